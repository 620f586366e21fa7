"""Fictional case work for the demo district (labelled 演示 in every record).

Relatives for several martyrs; one finished consolidation case (the graves
the registry's demo already moved into the central burial area); one case
waiting on families' consent; one cross-region case; family searches at
every stage, one of which found a family. Idempotent: a second run adds
nothing.
"""

from __future__ import annotations

import csv
from datetime import datetime, timezone
from importlib.resources import files

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.models import FamilySearch, FamilySearchEntry, RelocationCase, RelocationMartyr
from cases.numbers import next_number
from memorials import audit
from memorials.actors import SYSTEM
from memorials.models import Burial, Facility, Martyr, Relative

DEMO = "（演示数据，人物与事件均为虚构）"


def _martyr(session: Session, name: str) -> Martyr:
    return session.scalars(select(Martyr).where(Martyr.name == name, Martyr.division_code.like("421122%"))).one()


def _facility(session: Session, code: str) -> Facility:
    return session.scalars(select(Facility).where(Facility.code == code)).one()


def _since(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=timezone.utc)


def _relatives(session: Session) -> None:
    text = files(__package__).joinpath("relatives.csv").read_text(encoding="utf-8")
    for row in csv.DictReader(text.splitlines()):
        martyr = _martyr(session, row.pop("martyr"))
        if session.scalar(select(Relative.id).where(Relative.martyr_id == martyr.id, Relative.name == row["name"])):
            continue
        session.add(Relative(martyr_id=martyr.id, **row))
    session.flush()


def _case(session: Session, *, kind: str, year: int, status: str, since: str, martyrs: list[tuple[str, dict]],
          **fields: object) -> RelocationCase:
    first = _martyr(session, martyrs[0][0])
    case = RelocationCase(number=next_number(session, RelocationCase.number, prefix="QZ", division_code="421122",
                                             year=year),
                          kind=kind, status=status, status_since=_since(since), division_code="421122",
                          created_by="demo", **fields)
    session.add(case)
    session.flush()
    for name, row in martyrs:
        martyr = first if name == first.name else _martyr(session, name)
        origin = row.pop("origin")
        burial = session.scalars(select(Burial).where(Burial.martyr_id == martyr.id, Burial.facility_id == origin.id)
                                 .order_by(Burial.id.desc())).first()
        session.add(RelocationMartyr(case_id=case.id, martyr_id=martyr.id, origin_burial_id=burial.id,
                                     origin_facility_id=origin.id, **row))
    session.flush()
    audit.record(session=session, actor=SYSTEM, entity="relocation_case", entity_id=case.id, action="create",
                 old=None, new={"number": case.number, "status": status, "note": "演示数据"})
    return case


def _relocations(session: Session) -> None:
    central = _facility(session, "421122-0002")
    moved = [("余光华", "421122-0013", "余秀珍", "侄孙女", "2021-06-12"),
             ("罗正明", "421122-0013", "罗建国", "孙子", "2021-06-15"),
             ("涂文清", "421122-0017", "涂春梅", "侄女", "2021-07-02"),
             ("邓友发", "421122-0017", "邓志明", "侄孙", "2021-07-20"),
             ("詹有福", "421122-0027", "詹国庆", "孙子", "2021-08-03")]
    rows = []
    for name, code, who, relation, day in moved:
        martyr = _martyr(session, name)
        current = session.scalar(select(Burial).where(Burial.martyr_id == martyr.id, Burial.until.is_(None)))
        rows.append((name, {"origin": _facility(session, code), "plot": current.plot if current else "",
                            "decision": "agree", "decided_by": who, "relation": relation, "decided_on": day,
                            "new_burial_id": current.id if current else None}))
    _case(session, kind="consolidation", year=2021, status="closed", since="2023-04-10", martyrs=rows,
          title="七里坪、华家河、高桥镇零散烈士墓集中迁葬", destination_facility_id=central.id,
          approval_authority="红安县人民政府", approval_document_no="红政函〔2021〕36号（演示）",
          approval_date="2021-09-01", exhumed_on="2021-10", exhumation_present="县退役军人事务局、镇村干部、亲属代表",
          reburied_on="2023-03", reburial_present="县退役军人事务局、陵园管理所、亲属代表",
          note="分三批迁入集中安葬区：2021年10月、2022年4月、2023年3月。" + DEMO)
    zy = _facility(session, "421122-0014")
    _case(session, kind="consolidation", year=2026, status="consulting_family", since="2026-05-06",
          title="紫云寨村零散烈士墓迁入集中安葬区", destination_facility_id=central.id, note=DEMO,
          martyrs=[("阮大发", {"origin": zy, "plot": "中-23", "decision": "agree", "decided_by": "阮桂英",
                               "relation": "侄女", "decided_on": "2026-05-20"}),
                   ("石友贵", {"origin": zy, "plot": "中-24", "decision": "pending",
                               "decision_note": "籍贯河南光山，已函请光山县退役军人事务局协助联系亲属"}),
                   ("曹德元", {"origin": zy, "plot": "中-25", "decision": "pending"})])
    _case(session, kind="cross_region", year=2026, status="approved", since="2026-08-18",
          title="付良臣烈士遗骸迁回原籍河南光山", receiving_division_code="411522",
          receiving_bureau="光山县退役军人事务局", receiving_contact="接收联系人 0376-8612345（演示）",
          receiving_place="光山县烈士陵园", approval_authority="红安县人民政府",
          approval_document_no="红政函〔2026〕51号（演示）", approval_date="2026-08-18", note=DEMO,
          martyrs=[("付良臣", {"origin": _facility(session, "421122-0022"), "decision": "agree",
                               "decided_by": "付传家", "relation": "侄孙", "decided_on": "2026-06-30"})])


def _search(session: Session, name: str, status: str, opened: str, since: str, clues: dict[str, str],
            entries: list[dict], closed: str | None = None, note: str = "") -> None:
    martyr = _martyr(session, name)
    search = FamilySearch(number=next_number(session, FamilySearch.number, prefix="XQ", division_code="421122",
                                             year=int(opened[:4])),
                          martyr_id=martyr.id, division_code=martyr.division_code, status=status,
                          status_since=_since(since), clues=clues, opened_on=opened, closed_on=closed,
                          outcome_note=note, created_by="demo")
    session.add(search)
    session.flush()
    for entry in entries:
        session.add(FamilySearchEntry(search_id=search.id, **entry))
    audit.record(session=session, actor=SYSTEM, entity="family_search", entity_id=search.id, action="create",
                 old=None, new={"number": search.number, "status": status, "note": "演示数据"})


def _searches(session: Session) -> None:
    _search(session, "石友贵", "open", "2026-05-21", "2026-05-21",
            {"hometown": "河南省光山县", "unit": "红二十五军", "death_date": "1934-04", "note": DEMO}, [])
    _search(session, "曹德元", "leads", "2026-03-02", "2026-04-11",
            {"hometown": "河南省商城县", "unit": "红二十五军", "death_date": "1934-04", "note": DEMO},
            [{"kind": "lead", "occurred_on": "2026-04-11", "source": "商城县退役军人事务局",
              "given_by": "县局优抚股", "content": "商城县烈士名录中有同名烈士，籍贯为上石桥区"}])
    _search(session, "胡大有", "verifying", "2025-09-15", "2026-07-01",
            {"hometown": "山东省鄄城县", "unit": "晋冀鲁豫野战军第一纵队", "death_date": "1947-09", "note": DEMO},
            [{"kind": "lead", "occurred_on": "2025-10-08", "source": "志愿者寻亲平台", "given_by": "志愿者",
              "content": "鄄城县胡姓村民称其祖父1947年随军南下未归"},
             {"kind": "contact", "occurred_on": "2026-06-20", "content": "电话联系胡姓村民，约定采集DNA样本"}])
    _search(session, "陈立本", "found", "2024-11-05", "2025-06-18",
            {"hometown": "麻城县", "unit": "中国工农红军第二十八军", "death_date": "1935-09", "note": DEMO},
            [{"kind": "lead", "occurred_on": "2025-01-09", "source": "麻城市退役军人事务局", "given_by": "县局",
              "content": "麻城市陈姓家族族谱记载一人参加红军后牺牲"},
             {"kind": "verification", "occurred_on": "2025-06-10", "method": "document", "result": "confirmed",
              "content": "族谱与烈士证明书记载的生年、参军时间一致"}],
            closed="2025-06-18", note="经族谱与档案比对确认" + DEMO)
    _search(session, "马有林", "closed_not_found", "2024-03-01", "2024-12-20",
            {"hometown": "河北省大名县", "unit": "晋冀鲁豫野战军第三纵队", "death_date": "1947-10", "note": DEMO},
            [{"kind": "lead", "occurred_on": "2024-04-02", "source": "大名县退役军人事务局",
              "content": "查阅档案未见同名记录"}],
            closed="2024-12-20", note="走访三个村、查阅档案均无结果" + DEMO)
    chen = _martyr(session, "陈立本")
    if not session.scalar(select(Relative.id).where(Relative.martyr_id == chen.id)):
        session.add(Relative(martyr_id=chen.id, name="陈国庆", relation="侄孙", phone="13797051236",
                             address="湖北省麻城市宋埠镇陈家湾村3组"))
    session.flush()


def load_demo(session: Session) -> None:
    """Add the fictional case work once (nothing when any case exists already)."""
    _relatives(session)
    if session.scalar(select(RelocationCase.id).limit(1)) or session.scalar(select(FamilySearch.id).limit(1)):
        return
    _relocations(session)
    _searches(session)
