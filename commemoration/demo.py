"""Next Qingming in the demo district (红安县). **Fictional**, like the demo facilities and martyrs.

The event (date from the solar terms) visits five sites with school, unit
and family groups; each stop has morning and afternoon slots with bookings;
a dozen martyrs have public tribute pages with flowers and messages in every
moderation state; proxy visits wait, are assigned or declined; one
cross-region trip takes two relatives to a grave in another province. A
proxy visit carried out and told to the family (with photos proven at the
grave) is added by ``memorials demo`` only (``history``), since it stores
files.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from commemoration import events, proxy, tribute, trips
from commemoration.calendar import next_qingming
from commemoration.models import Event, ProxyVisit
from commemoration.schemas import (
    BookingIn,
    EventIn,
    GroupIn,
    MessageIn,
    PersonIn,
    ProxyRequestIn,
    ProxyTransitionIn,
    SlotIn,
    TripIn,
)
from commemoration.vocab import EventKind, GroupKind, MessageStatus, ProxyState
from evidence.demo import demo_photo
from evidence.location import Thresholds
from evidence.store import store_for
from evidence.uploads import Limits, Upload, accept
from memorials import clock
from memorials.actors import SYSTEM
from memorials.models import Facility, Martyr, User
from memorials.settings import Settings

STOPS = ("421122-0001", "421122-0003", "421122-0006", "421122-0012", "421122-0015")
PUBLIC = ("张德胜", "吴春山", "周德明", "李少卿")
DEMO_PHONE = "13800000000"


def _facility(session: Session, code: str) -> Facility:
    return session.scalars(select(Facility).where(Facility.code == code)).one()


def load(session: Session) -> None:
    """Add the fictional commemoration once (nothing when any event exists already)."""
    if session.scalar(select(Event.id).limit(1)):
        return
    today = clock.today()
    day = next_qingming(today)
    stops = [_facility(session, code) for code in STOPS]
    event = events.create_event(session=session, actor=SYSTEM, data=EventIn(
        name=f"{day.year}年清明节烈士纪念设施祭扫活动", kind=EventKind.qingming, date=day, end_date=day,
        organiser="红安县退役军人事务局", facility_ids=[f.id for f in stops], notes="演示数据，虚构",
        groups=[GroupIn(kind=GroupKind.school, name="红安县第一中学（虚构）", headcount=120, contact_name="王老师",
                        contact_phone=DEMO_PHONE),
                GroupIn(kind=GroupKind.unit, name="红安县人民武装部（虚构）", headcount=40),
                GroupIn(kind=GroupKind.families, name="烈士亲属代表", headcount=18)]))
    slots = events.add_slots(session=session, actor=SYSTEM, event=event, slots=[
        SlotIn(facility_id=f.id, date=day, start=start, end=end, capacity=capacity)
        for f, capacity in zip(stops, (200, 100, 60, 30, 30))
        for start, end in ((time(8, 30), time(10, 0)), (time(10, 0), time(11, 30)), (time(14, 0), time(16, 0)))])
    for slot, (group, people) in zip(slots[::2], (("红安县第一中学（虚构）", 120), ("红安县人民武装部（虚构）", 40),
                                                  ("烈士亲属代表", 18), ("七里坪镇中心小学（虚构）", 25))):
        events.book(session=session, actor=SYSTEM, today=today,
                    data=BookingIn(slot_id=slot.id, group_name=group, people=people))
    martyrs = {m.name: m for m in session.scalars(select(Martyr).where(Martyr.name.in_(PUBLIC)))}
    for name in PUBLIC:
        if name in martyrs:
            tribute.publish(session=session, actor=SYSTEM, martyr_id=martyrs[name].id, public=True)
    first = martyrs.get("张德胜")
    if first is not None:
        for _ in range(36):
            tribute.lay_flower(session=session, martyr_id=first.id)
        for text, author, status in (("先烈精神永垂不朽！", "红安一中学生", MessageStatus.approved),
                                     ("缅怀先烈，继往开来。", "一名退役军人", MessageStatus.approved),
                                     ("清明时节，遥寄哀思。", "网友", MessageStatus.pending),
                                     ("无关内容", "网友", MessageStatus.rejected)):
            message = tribute.leave_message(session=session, martyr_id=first.id, client="demo", blocked=(),
                                            data=MessageIn(text=text, author=author))
            if status != MessageStatus.pending:
                tribute.moderate(session=session, actor=SYSTEM, message_id=message.id, status=status)
    organiser = session.scalar(select(User).where(User.role == "organizer", User.active.is_(True)).limit(1))
    for name, requester, relation, step in (("吴春山", "吴建国（虚构）", "侄孙", None),
                                            ("周德明", "周小红（虚构）", "孙女", "assigned"),
                                            ("李少卿", "李明（虚构）", "外孙", "declined")):
        martyr = martyrs.get(name)
        if martyr is None:
            continue
        visit = proxy.request_office(session=session, actor=SYSTEM, data=ProxyRequestIn(
            martyr_id=martyr.id, requester_name=requester, requester_phone=DEMO_PHONE, relation=relation,
            message="家在外地，清明无法前往，恳请代为祭扫。"))
        if step == "assigned" and organiser is not None:
            proxy.take_step(session=session, actor=SYSTEM, visit=visit, today=today,
                            data=ProxyTransitionIn(to=ProxyState.assigned, assignee_id=organiser.id))
        elif step == "declined":
            proxy.take_step(session=session, actor=SYSTEM, visit=visit, today=today, data=ProxyTransitionIn(
                to=ProxyState.declined, reason="经核实，该烈士已由亲属自行祭扫（演示）"))
    trips.create_trip(session=session, actor=SYSTEM, today=today, data=TripIn(
        event_id=event.id, division_code="421122", martyr_name="陈家宝（虚构）", destination_name="沈阳抗美援朝烈士陵园",
        destination_place="辽宁省沈阳市皇姑区北陵大街", receiving_bureau="沈阳市退役军人事务局",
        receiving_division_code="210100", people=[PersonIn(name="陈国强（虚构）", relation="侄子"),
                                                  PersonIn(name="陈丽（虚构）", relation="侄孙女")],
        depart_on=day - timedelta(days=2), return_on=day + timedelta(days=2)))


def history(session: Session, settings: Settings) -> str:
    """A proxy visit carried out with photos at the grave and told to the family (``memorials demo`` only)."""
    if session.scalar(select(ProxyVisit.id).where(ProxyVisit.status == ProxyState.notified.value).limit(1)):
        return "proxy visit: already there"
    martyr = session.scalar(select(Martyr).where(Martyr.name == "张德胜").limit(1))
    organiser = session.scalar(select(User).where(User.active.is_(True), User.role.in_(("organizer", "admin")))
                               .order_by(User.id).limit(1))
    if martyr is None or organiser is None:
        return "proxy visit: no martyr or no organiser"
    today = clock.today()
    waiting = session.scalar(select(ProxyVisit).where(ProxyVisit.status == ProxyState.requested.value,
                                                      ProxyVisit.relation == "孙女").limit(1))
    if waiting is not None:  # the demo's loader ran before any account existed
        proxy.take_step(session=session, actor=SYSTEM, visit=waiting, today=today,
                        data=ProxyTransitionIn(to=ProxyState.assigned, assignee_id=organiser.id))
    thresholds = Thresholds(settings.photo_verify_radius_m, settings.position_gap_flag_m)
    store, limits = store_for(settings), Limits.of(settings)
    done = []
    for requester, relation, tell in (("张卫东（虚构）", "曾孙", True), ("张红梅（虚构）", "曾孙女", False)):
        visit = proxy.request_office(session=session, actor=SYSTEM, data=ProxyRequestIn(
            martyr_id=martyr.id, requester_name=requester, requester_phone=DEMO_PHONE, relation=relation,
            message="人在外地工作，请代为祭扫曾祖父。"))
        proxy.take_step(session=session, actor=SYSTEM, visit=visit, today=today,
                        data=ProxyTransitionIn(to=ProxyState.assigned, assignee_id=organiser.id))
        facility = visit.facility
        taken = datetime.combine(today - timedelta(days=1), time(9, 30 + len(done)), tzinfo=clock.zone())
        data = demo_photo(facility.longitude + 0.0002, facility.latitude + 0.0001, taken, after=True,
                          seed=visit.id)
        accepted = accept([Upload.of("proxy-visit.jpg", data)], store=store, limits=limits)
        proxy.add_photos(session=session, actor=SYSTEM, visit=visit, files=accepted, device=None,
                         thresholds=thresholds)
        proxy.take_step(session=session, actor=SYSTEM, visit=visit, today=today, data=ProxyTransitionIn(
            to=ProxyState.visited, date=today - timedelta(days=1),
            acts=["clean_stone", "lay_flowers", "photograph", "call_family"], call_note=f"已电话告知{requester}"))
        if tell:
            outcome = proxy.take_step(session=session, actor=SYSTEM, visit=visit, today=today,
                                      data=ProxyTransitionIn(to=ProxyState.notified, link_days=90))
            done.append(f"proxy visit {visit.id}: family link /tribute/visits/{outcome.link_token}")
        else:
            done.append(f"proxy visit {visit.id}: visited, family not told yet")
    return "; ".join(done)
