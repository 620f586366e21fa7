"""Proxy visits (代祭扫): a family far away asks; the bureau assigns, visits, proves it with photos, tells them.

requested → assigned → visited → notified, or declined. A visit is recorded
only with the four acts done (wipe the stone, lay flowers, photograph, call
the family) and at least one photo that passes the same location proof as a
patrol photo, at the grave's facility. Notifying the family creates a
private link: 32 random bytes, of which only the SHA-256 is stored, expiring
after ``link_days``; the family's page shows the martyr, the date and the
photos, nothing else.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from commemoration.models import PROXY_OWNER, ProxyVisit, TributePage
from commemoration.schemas import ProxyRequestIn, ProxyTransitionIn
from commemoration.vocab import ACT_LABELS, ACTS, PROXY_STATE_LABELS, ProxyState
from evidence.location import EarlierUse, PhotoProof, Thresholds, phone_position, prove
from evidence.models import Attachment
from evidence.photos import PhotoFacts
from evidence.service import attach
from evidence.uploads import Accepted
from memorials import audit
from memorials.actors import Actor
from memorials.divisions import scoped
from memorials.errors import ValidationProblem
from memorials.models import Burial, Facility, User
from memorials.scoping import get_or_404
from memorials.workflow import Transition, Workflow


def _assigned(visit: ProxyVisit) -> str | None:
    return None if visit.assignee_id else "尚未指定祭扫人员"


def _acts(visit: ProxyVisit) -> str | None:
    lacking = [ACT_LABELS[a] for a in ACTS if a not in (visit.acts or [])]
    return f"尚未完成：{'、'.join(lacking)}" if lacking else None


def _dated(visit: ProxyVisit) -> str | None:
    return None if visit.visited_on else "缺少祭扫日期"


def _photos(visit: ProxyVisit) -> str | None:
    if any(p.verification == "verified" for p in visit.photos):
        return None
    return "尚无经位置核验的祭扫照片（照片须在墓地现场拍摄，带定位信息）"


FLOW = Workflow(
    entity="proxy_visit",
    states=PROXY_STATE_LABELS,
    transitions=[
        Transition("assign", {"requested", "assigned"}, "assigned", "派员祭扫", guards=(_assigned,)),
        Transition("visit", {"assigned"}, "visited", "记录祭扫", guards=(_dated, _acts, _photos)),
        Transition("notify", {"visited", "notified"}, "notified", "告知家属"),
        Transition("decline", {"requested", "assigned"}, "declined", "不予受理",
                   guards=(lambda v: None if v.decline_reason else "请填写不予受理的原因",)),
    ],
)
TO_TRANSITION = {"assigned": "assign", "visited": "visit", "notified": "notify", "declined": "decline"}


def _grave(session: Session, martyr_id: int) -> Facility:
    burial = session.scalar(select(Burial).where(Burial.martyr_id == martyr_id, Burial.until.is_(None)))
    if burial is None:
        raise ValidationProblem("martyr_id", "this martyr's grave is not in our registry")
    return session.get(Facility, burial.facility_id)  # type: ignore[return-value]


def request_public(*, session: Session, data: ProxyRequestIn) -> ProxyVisit:
    """A family's request through the public form: only for a martyr with a public page and a grave here."""
    page = session.get(TributePage, data.martyr_id)
    if page is None or not page.public:
        raise ValidationProblem("martyr_id", f"no public martyr {data.martyr_id}")
    return _create(session=session, data=data, source="public", actor=None)


def request_office(*, session: Session, actor: Actor, data: ProxyRequestIn) -> ProxyVisit:
    """A request taken by the bureau (by phone, at the counter)."""
    visit = _create(session=session, data=data, source="office", actor=actor)
    if not actor.covers(visit.division_code):
        raise ValidationProblem("martyr_id", f"martyr {data.martyr_id}'s grave is outside your jurisdiction")
    return visit


def _create(*, session: Session, data: ProxyRequestIn, source: str, actor: Actor | None) -> ProxyVisit:
    facility = _grave(session, data.martyr_id)
    visit = ProxyVisit(martyr_id=data.martyr_id, facility_id=facility.id, division_code=facility.division_code,
                       requester_name=data.requester_name, requester_phone=data.requester_phone,
                       relation=data.relation, message=data.message, status=ProxyState.requested.value,
                       source=source, acts=[])
    session.add(visit)
    session.flush()
    audit.record(session=session, actor=actor or _PUBLIC, entity="proxy_visit", entity_id=visit.id, action="create",
                 old=None, new={"martyr_id": visit.martyr_id, "facility_id": facility.id, "source": source,
                                "relation": visit.relation})
    return visit


_PUBLIC = Actor(user_id=None, username="public", role="viewer", jurisdiction="")


def get_visit(*, session: Session, visit_id: int, actor: Actor, lock: bool = False) -> ProxyVisit:
    return get_or_404(session, ProxyVisit, visit_id, actor, entity="proxy_visit", lock=lock)


@dataclass
class Outcome:
    visit: ProxyVisit
    link_token: str | None = None


def take_step(*, session: Session, actor: Actor, visit: ProxyVisit, data: ProxyTransitionIn, today: date
              ) -> Outcome:
    name = TO_TRANSITION.get(data.to.value)
    if name is None:
        raise ValidationProblem("to", f"cannot move a proxy visit to {data.to.value}")
    token = None
    if name == "assign":
        if data.assignee_id is None:
            raise ValidationProblem("assignee_id", "required: who visits the grave")
        user = session.get(User, data.assignee_id)
        if user is None or not user.active or not visit.division_code.startswith(_scope_of(user)):
            raise ValidationProblem("assignee_id", f"no active staff member {data.assignee_id} covering the grave")
        visit.assignee_id = user.id
    elif name == "visit":
        if data.date is None:
            raise ValidationProblem("date", "required: the day of the visit")
        if data.date > today:
            raise ValidationProblem("date", "is in the future")
        visit.visited_on = data.date
        visit.acts = list(dict.fromkeys(data.acts or []))
        visit.call_note = data.call_note
    elif name == "decline":
        visit.decline_reason = data.reason
    elif name == "notify":
        token = secrets.token_urlsafe(32)
        visit.token_hash = hash_token(token)
        visit.token_expires_at = datetime.now(timezone.utc) + timedelta(days=data.link_days)
        if data.call_note:
            visit.call_note = data.call_note
    FLOW.apply(session=session, obj=visit, name=name, actor=actor, entity_id=visit.id,
               note=data.reason or data.call_note)
    return Outcome(visit, token)


def _scope_of(user: User) -> str:
    return Actor(user_id=user.id, username=user.username, role=user.role, jurisdiction=user.jurisdiction or "").scope


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def by_token(*, session: Session, token: str, now: datetime) -> ProxyVisit | None:
    """The visit behind a family's private link, if it is valid and not expired."""
    if not token or len(token) > 100:
        return None
    visit = session.scalar(select(ProxyVisit).where(ProxyVisit.token_hash == hash_token(token)))
    if visit is None or visit.token_expires_at is None or visit.token_expires_at < now:
        return None
    return visit


def add_photos(*, session: Session, actor: Actor, visit: ProxyVisit, files: Sequence[Accepted],
               device: tuple[float, float, str] | None, thresholds: Thresholds) -> list[Attachment]:
    if visit.status not in (ProxyState.assigned, ProxyState.visited):
        raise ValidationProblem("photos", f"photos are taken once the visit is assigned (now "
                                          f"{PROXY_STATE_LABELS[visit.status]})")
    facility = visit.facility
    session.execute(select(Facility.id).where(Facility.id == facility.id).with_for_update())
    times = {f.facts.taken_at for f in files if isinstance(f.facts, PhotoFacts) and f.facts.taken_at is not None}
    same = Attachment.sha256.in_({f.sha256 for f in files})
    earlier = EarlierUse(hashes=set(), taken=set())
    for sha256, taken_at in session.execute(
            select(Attachment.sha256, Attachment.taken_at)
            .join(ProxyVisit, ProxyVisit.id == Attachment.owner_id)
            .where(Attachment.owner_type == PROXY_OWNER, ProxyVisit.facility_id == facility.id,
                   or_(same, Attachment.taken_at.in_(times)) if times else same)):
        earlier.hashes.add(sha256)
        if taken_at is not None:
            earlier.taken.add(taken_at)
    phone = phone_position(device[0], device[1], device[2], field="position") if device else None
    proofs: list[PhotoProof | None] = []
    for index, item in enumerate(files):
        if not isinstance(item.facts, PhotoFacts):
            raise ValidationProblem(f"photos[{index}]", "must be a photo")
        proofs.append(prove(facility=(facility.longitude, facility.latitude), gps=item.facts.gps, device=phone,
                            thresholds=thresholds, reused=earlier.claim(item.sha256, item.facts.taken_at)))
    rows = attach(session=session, owner_type=PROXY_OWNER, owner_id=visit.id, accepted=files, proofs=proofs)
    session.expire(visit, ["photos"])
    audit.record(session=session, actor=actor, entity="proxy_visit", entity_id=visit.id, action="photos", old=None,
                 new={"files": [r.sha256 for r in rows], "verification": [r.verification for r in rows]})
    return rows


@dataclass
class VisitQuery:
    division: str | None = None
    status: str | None = None
    year: int | None = None


def list_visits(*, session: Session, actor: Actor, query: VisitQuery, limit: int, offset: int
                ) -> tuple[list[ProxyVisit], int]:
    conditions = [scoped(ProxyVisit.division_code, actor.scope)]
    if query.division:
        conditions.append(scoped(ProxyVisit.division_code, query.division))
    if query.status:
        conditions.append(ProxyVisit.status == query.status)
    if query.year:
        conditions.append(ProxyVisit.created_at >= datetime(query.year, 1, 1, tzinfo=timezone.utc))
        conditions.append(ProxyVisit.created_at < datetime(query.year + 1, 1, 1, tzinfo=timezone.utc))
    total = session.scalar(select(func.count()).select_from(ProxyVisit).where(*conditions)) or 0
    rows = session.scalars(select(ProxyVisit).where(*conditions).order_by(ProxyVisit.id.desc())
                           .limit(limit).offset(offset)).all()
    return list(rows), total
