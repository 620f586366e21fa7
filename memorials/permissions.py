"""Who may do what: the one table of roles and permissions.

Every route and page names the permission it needs; jurisdiction (a
division-code prefix) limits where a permission applies. Admins hold every
permission.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    admin = "admin"
    planner = "planner"
    inspector = "inspector"
    organizer = "organizer"
    case_officer = "case_officer"
    viewer = "viewer"


ROLE_LABELS = {
    "admin": "系统管理员",
    "planner": "规划/业务科室",
    "inspector": "巡查员",
    "organizer": "祭扫组织者",
    "case_officer": "案件经办人",
    "viewer": "只读用户",
}


class Permission(StrEnum):
    registry_read = "registry.read"
    registry_edit = "registry.edit"
    relatives_read = "relatives.read"
    relatives_contact = "relatives.contact"
    relatives_edit = "relatives.edit"
    inspections_read = "inspections.read"
    inspections_file = "inspections.file"
    evidence_read = "evidence.read"
    """Ask for a photo or document; whether you see it is its owner's rule (jurisdiction, …)."""
    defects_manage = "defects.manage"
    repairs_read = "repairs.read"
    repairs_run = "repairs.run"
    """Propose a repair project, record its budget lines and spending, start, complete or cancel it."""
    repairs_approve = "repairs.approve"
    """Approve a repair project, record an approved adjustment of its total."""
    cases_run = "cases.run"
    events_read = "events.read"
    """See commemoration events, readiness, slots, trips and proxy visits (contacts masked unless you run events)."""
    events_run = "events.run"
    """Run events, slots, bookings, proxy visits, trips and the tribute pages' moderation."""
    audit_read = "audit.read"
    users_manage = "users.manage"


_ALL = frozenset(Role)
R = Role

PERMISSIONS: dict[Permission, frozenset[Role]] = {
    Permission.registry_read: _ALL,
    Permission.registry_edit: frozenset({R.admin, R.planner}),
    Permission.relatives_read: _ALL,
    Permission.relatives_contact: frozenset({R.admin, R.case_officer}),
    Permission.relatives_edit: frozenset({R.admin, R.case_officer}),
    Permission.inspections_read: _ALL,
    Permission.inspections_file: frozenset({R.admin, R.inspector}),
    Permission.evidence_read: _ALL,
    Permission.defects_manage: frozenset({R.admin, R.inspector, R.planner}),
    Permission.repairs_read: _ALL,
    Permission.repairs_run: frozenset({R.admin, R.planner}),
    Permission.repairs_approve: frozenset({R.admin}),
    Permission.cases_run: frozenset({R.admin, R.case_officer}),
    Permission.events_read: _ALL,
    Permission.events_run: frozenset({R.admin, R.organizer}),
    Permission.audit_read: _ALL,
    Permission.users_manage: frozenset({R.admin}),
}


def allowed(role: str, permission: Permission) -> bool:
    return role in PERMISSIONS[permission]
