"""The two case workflows, with guards that say in Chinese what is still missing.

Guards see a :class:`Subject`: the case, the session (for its documents and
photos) and the values the transition request brings (approval authority,
dates, …) before they are written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cases.models import (
    CASE_DOCUMENT,
    CONSENT_DOCUMENT,
    EXHUMATION_PHOTO,
    REBURIAL_PHOTO,
    SEARCH_EVIDENCE,
    FamilySearch,
    FamilySearchEntry,
    RelocationCase,
)
from evidence.models import Attachment
from memorials.models import Facility, Martyr
from memorials.vocab import FacilityKind
from memorials.workflow import Transition, Workflow


@dataclass
class Subject:
    """What a guard looks at: the case, the session, and the request's values."""

    case: Any
    session: Session
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return self.case.status

    @status.setter
    def status(self, value: str) -> None:
        self.case.status = value


def attachments(session: Session, owner_type: str, owner_ids: list[int], *, verified_only: bool = False) -> int:
    if not owner_ids:
        return 0
    stmt = select(func.count(Attachment.id)).where(Attachment.owner_type == owner_type,
                                                   Attachment.owner_id.in_(owner_ids))
    if verified_only:
        stmt = stmt.where(Attachment.verification == "verified")
    return session.scalar(stmt) or 0


def _names(session: Session, martyr_ids: list[int]) -> dict[int, str]:
    return dict(session.execute(select(Martyr.id, Martyr.name).where(Martyr.id.in_(martyr_ids))).all())


# ---- relocation ------------------------------------------------------------------------------------------------

RELOCATION_STATES = {
    "proposed": "已提出",
    "consulting_family": "征求亲属意见",
    "approved": "已批准",
    "exhumed": "已起迁",
    "reburied": "已安葬",
    "closed": "已办结",
    "withdrawn": "已撤销",
}
DECISION_LABELS = {"agree": "同意", "disagree": "不同意", "pending": "待定", "no_family_found": "未找到亲属"}
KIND_LABELS = {"consolidation": "集中迁葬", "cross_region": "异地迁葬"}


def _has_martyrs(s: Subject) -> str | None:
    return None if s.case.martyrs else "案件尚未列入烈士"


def _family_decisions(s: Subject) -> str | None:
    case: RelocationCase = s.case
    names = _names(s.session, [m.martyr_id for m in case.martyrs])
    missing = []
    for m in case.martyrs:
        name = names.get(m.martyr_id, str(m.martyr_id))
        if m.decision == "pending":
            missing.append(f"尚未记录烈士{name}的亲属意愿")
        elif m.decision == "disagree":
            missing.append(f"烈士{name}的亲属不同意迁葬，该烈士不能迁移（请移出本案或重新征求意见）")
        elif m.decision == "agree":
            if not (m.decided_by and m.relation and m.decided_on):
                missing.append(f"烈士{name}的亲属意愿缺少表态人、亲属关系或日期")
            if not attachments(s.session, CONSENT_DOCUMENT, [m.id]):
                missing.append(f"烈士{name}的亲属意愿缺少签字的书面材料（扫描件、PDF或照片）")
        elif m.decision == "no_family_found" and not (m.decision_note.strip() and m.decided_on):
            missing.append(f"烈士{name}未找到亲属，须记录寻亲经过（做了什么、何时）")
    return "；".join(missing) or None


def _cemetery_reasons(s: Subject) -> str | None:
    case: RelocationCase = s.case
    names = _names(s.session, [m.martyr_id for m in case.martyrs])
    missing = []
    for m in case.martyrs:
        kind = s.session.scalar(select(Facility.kind).where(Facility.id == m.origin_facility_id))
        if kind == FacilityKind.cemetery and not m.cemetery_reason.strip():
            missing.append(f"烈士{names.get(m.martyr_id)}已安葬在烈士陵园，原则上不再迁移，须写明迁移理由")
    return "；".join(missing) or None


def _destination(s: Subject) -> str | None:
    case: RelocationCase = s.case
    if case.kind == "consolidation":
        if case.destination_facility_id is None:
            return "尚未指定迁入的设施"
        names = _names(s.session, [m.martyr_id for m in case.martyrs])
        lacking = [names.get(m.martyr_id, "") for m in case.martyrs if not m.plot]
        if lacking:
            return f"尚未指定烈士{'、'.join(lacking)}的迁入墓位"
        return None
    if not (case.receiving_division_code and case.receiving_bureau and case.receiving_place):
        return "尚未填写接收地（接收地行政区划、接收单位及安葬地点）"
    return None


def _approval(s: Subject) -> str | None:
    lacking = [label for key, label in (("authority", "审批机关"), ("document_no", "批准文号"), ("date", "批准日期"))
               if not s.values.get(key)]
    return f"审批须记录{'、'.join(lacking)}" if lacking else None


def _admin_only(s: Subject) -> str | None:
    return None if s.values.get("role") == "admin" else "只有管理员可以批准迁葬"


def _dated_with_people(what: str) -> Any:
    def guard(s: Subject) -> str | None:
        lacking = [label for key, label in (("date", "日期"), ("present", "在场人员")) if not s.values.get(key)]
        return f"{what}须记录{'、'.join(lacking)}" if lacking else None
    return guard


def _photos(owner_type: str, what: str, where: str) -> Any:
    def guard(s: Subject) -> str | None:
        if attachments(s.session, owner_type, [s.case.id], verified_only=True):
            return None
        return f"缺少经位置核验的{what}照片（须在{where}200米内拍摄，带GPS）"
    return guard


def _reburial_proof(s: Subject) -> str | None:
    if s.case.kind == "consolidation":
        return _photos(REBURIAL_PHOTO, "安葬", "迁入设施")(s)
    lacking = []
    if not (s.values.get("document_no") or s.case.confirmation_document_no):
        lacking.append("接收地确认文号")
    if not attachments(s.session, CASE_DOCUMENT, [s.case.id]):
        lacking.append("接收地的确认书（扫描件、PDF或照片）")
    return f"异地迁葬须记录{'、'.join(lacking)}" if lacking else None


def _reason(s: Subject) -> str | None:
    return None if s.values.get("reason") else "撤销须写明理由"


_OPEN = {"proposed", "consulting_family", "approved"}

RELOCATION = Workflow(
    entity="relocation_case",
    states=RELOCATION_STATES,
    transitions=[
        Transition("consult", {"proposed"}, "consulting_family", "征求亲属意见", guards=(_has_martyrs,)),
        Transition("approve", {"consulting_family"}, "approved", "批准",
                   guards=(_has_martyrs, _family_decisions, _cemetery_reasons, _destination, _approval, _admin_only)),
        Transition("exhume", {"approved"}, "exhumed", "起迁", guards=(
            _dated_with_people("起迁"), _photos(EXHUMATION_PHOTO, "起迁", "原安葬地"))),
        Transition("rebury", {"exhumed"}, "reburied", "安葬", guards=(_dated_with_people("安葬"), _destination,
                                                                       _reburial_proof)),
        Transition("close", {"reburied"}, "closed", "办结"),
        Transition("withdraw", _OPEN, "withdrawn", "撤销", guards=(_reason,)),
    ],
)


# ---- family search ---------------------------------------------------------------------------------------------

SEARCH_STATES = {"open": "立案", "leads": "线索核查", "verifying": "比对确认", "found": "已找到亲属",
                 "closed_not_found": "结案（未找到）"}


def _has_lead(s: Subject) -> str | None:
    search: FamilySearch = s.case
    return None if any(e.kind == "lead" for e in search.entries) else "尚未记录任何线索（来源、提供人、内容）"


def _verified(s: Subject) -> str | None:
    search: FamilySearch = s.case
    confirmed: list[FamilySearchEntry] = [e for e in search.entries if e.kind == "verification"
                                          and e.result == "confirmed"]
    missing = []
    if not confirmed:
        missing.append("尚无结论为“确认”的核实记录（文书、证言或DNA比对）")
    elif not attachments(s.session, SEARCH_EVIDENCE, [e.id for e in confirmed]):
        missing.append("核实记录缺少佐证材料（文书、证言记录或DNA报告）")
    if not s.values.get("relatives"):
        missing.append("须登记找到的亲属（姓名、关系）")
    return "；".join(missing) or None


def _note(s: Subject) -> str | None:
    return None if s.values.get("note") else "结案须写明已做的工作和未找到的原因"


FAMILY_SEARCH = Workflow(
    entity="family_search",
    states=SEARCH_STATES,
    transitions=[
        Transition("follow_leads", {"open"}, "leads", "核查线索", guards=(_has_lead,)),
        Transition("verify", {"leads"}, "verifying", "开始比对确认"),
        Transition("found", {"verifying"}, "found", "确认找到亲属", guards=(_verified,)),
        Transition("close_not_found", {"open", "leads", "verifying"}, "closed_not_found", "结案（未找到）",
                   guards=(_note,)),
    ],
)


def transition_to(flow: Workflow, current: str, target: str) -> str:
    """The name of the transition from ``current`` to ``target`` (``{"to": STATE}`` bodies)."""
    for t in flow.transitions:
        if t.target == target and current in t.sources:
            return t.name
    for t in flow.transitions:
        if t.target == target:
            return t.name  # refused with "only from …" by the workflow
    return target
