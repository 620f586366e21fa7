"""The kernel's money type and workflow helper, on real databases."""

from __future__ import annotations

from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from pydantic import BaseModel
from sqlalchemy import Column, Integer, MetaData, Table, func, insert, select

from memorials.actors import SYSTEM
from memorials.audit import history
from memorials.errors import InvalidTransition
from memorials.money import XLSX_FORMAT, Money, MoneyColumn, MoneyField, xlsx_cell
from memorials.workflow import Transition, TransitionRefused, Workflow


@pytest.mark.parametrize("text, expected", [("0.1", "0.10"), ("330,000", "330000.00"), ("-5.5", "-5.50"),
                                             (" 12.34 ", "12.34"), ("0", "0.00")])
def test_money_reads_decimal_text(text, expected):
    assert str(Money(text)) == expected


@pytest.mark.parametrize("bad", ["1.234", "abc", "NaN", "Infinity", "", "1e15"])
def test_money_refuses_what_is_not_an_amount(bad):
    with pytest.raises(ValueError):
        Money(bad)


def test_money_never_touches_a_float():
    with pytest.raises(TypeError):
        Money(0.1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        float(Money("1.00"))
    tenths = Money.sum([Money("0.10")] * 10)
    assert tenths == Money("1.00") and sum([0.1] * 10) != 1.0


def test_money_in_json_is_a_decimal_string():
    class Budget(BaseModel):
        amount: MoneyField

    assert Budget.model_validate_json('{"amount": 1234.5}').model_dump_json() == '{"amount":"1234.50"}'
    assert Budget.model_validate_json('{"amount": "0.30"}').amount == Money("0.1") + Money("0.2")
    with pytest.raises(ValueError):
        Budget.model_validate_json('{"amount": "0.001"}')


def test_money_in_xlsx_is_exact(tmp_path):
    book = Workbook()
    cell = book.active.cell(row=1, column=1, value=xlsx_cell(Money("330000.30")))
    cell.number_format = XLSX_FORMAT
    book.save(tmp_path / "m.xlsx")
    read = load_workbook(tmp_path / "m.xlsx").active.cell(row=1, column=1)
    assert Money(Decimal(str(read.value))) == Money("330000.30") and read.number_format == XLSX_FORMAT


@pytest.mark.both_backends
def test_money_column_sums_exactly_in_sql(engine):
    meta = MetaData()
    lines = Table("money_probe", meta, Column("id", Integer, primary_key=True), Column("amount", MoneyColumn()))
    meta.create_all(engine)
    try:
        with engine.begin() as conn:
            conn.execute(insert(lines), [{"amount": Money("0.10")} for _ in range(10)]
                         + [{"amount": Money("999999999.99")}])
            total = conn.execute(select(func.sum(lines.c.amount))).scalar_one()
            first = conn.execute(select(lines.c.amount).limit(1)).scalar_one()
        assert total == Money("1000000000.99") and first == Money("0.10")
    finally:
        meta.drop_all(engine)


class Case:
    def __init__(self) -> None:
        self.id = 7
        self.status = "draft"
        self.consents: set[str] = set()
        self.martyrs = {"张德胜", "李大"}


FLOW = Workflow(
    entity="test_case",
    states={"draft": "草稿", "approved": "已批准", "done": "已完成", "cancelled": "已撤销"},
    transitions=[
        Transition("approve", {"draft"}, "approved", "批准",
                   guards=(lambda c: "；".join(f"尚未记录烈士{m}的亲属意愿" for m in sorted(c.martyrs - c.consents))
                           or None,)),
        Transition("finish", {"approved"}, "done", "完成"),
        Transition("cancel", {"draft", "approved"}, "cancelled", "撤销"),
    ],
)


def test_workflow_guards_say_what_is_missing_and_steps_are_listed():
    case = Case()
    steps = {s.name: s for s in FLOW.next_steps(case)}
    assert set(steps) == {"approve", "cancel"} and not steps["approve"].ready
    with pytest.raises(TransitionRefused) as refused:
        FLOW.check(case, "approve")
    assert "尚未记录烈士张德胜的亲属意愿" in str(refused.value) and isinstance(refused.value, InvalidTransition)
    with pytest.raises(TransitionRefused, match="当前状态为「草稿」"):
        FLOW.check(case, "finish")
    with pytest.raises(TransitionRefused, match="没有名为「explode」的操作"):
        FLOW.check(case, "explode")


def test_workflow_transitions_are_audited(session):
    case = Case()
    case.consents = set(case.martyrs)
    FLOW.apply(session=session, obj=case, name="approve", actor=SYSTEM, entity_id=case.id, note="材料齐全")
    FLOW.apply(session=session, obj=case, name="finish", actor=SYSTEM, entity_id=case.id)
    assert case.status == "done" and FLOW.next_steps(case) == []
    entries = history(session=session, entity="test_case", entity_id=case.id, limit=10)
    assert [(e.action, e.old, e.new) for e in sorted(entries, key=lambda e: e.id)] == [
        ("transition:approve", {"status": "draft"}, {"status": "approved", "note": "材料齐全"}),
        ("transition:finish", {"status": "approved"}, {"status": "done"}),
    ]


def test_a_workflow_naming_unknown_states_is_refused_when_declared():
    with pytest.raises(ValueError, match="unknown states"):
        Workflow(entity="x", states={"a": "甲"}, transitions=[Transition("go", {"a"}, "b", "去")])
