"""Workflows: named states, named transitions, guards that say what evidence is missing.

Repair projects, relocation cases, family searches and bookings each
declare one ``Workflow``. A transition is taken only from one of its source
states and only when every guard passes; a guard answers ``None`` or, in
Chinese, what is missing ("尚未记录烈士张德胜的亲属意愿"). Every transition
taken is audited (who, when, from, to, note), and pages list the next steps
with what each still lacks.

>>> flow = Workflow(
...     entity="demo_case",
...     states={"draft": "草稿", "approved": "已批准"},
...     transitions=[Transition("approve", {"draft"}, "approved", "批准",
...                             guards=(lambda case: None if case.signed else "缺少签字的审批表",))],
... )
>>> class Case:
...     status, signed = "draft", False
>>> [(s.name, s.missing) for s in flow.next_steps(Case())]
[('approve', ('缺少签字的审批表',))]
>>> flow.check(Case(), "approve")
Traceback (most recent call last):
...
memorials.workflow.TransitionRefused: 不能执行「批准」：缺少签字的审批表
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from memorials import audit
from memorials.actors import Actor
from memorials.errors import InvalidTransition

Guard = Callable[[Any], "str | None"]


class TransitionRefused(InvalidTransition):
    """A transition that is not possible now; ``missing`` lists why, in Chinese (409)."""

    def __init__(self, transition: str, label: str, missing: Iterable[str]) -> None:
        self.transition = transition
        self.missing = tuple(missing)
        super().__init__(f"不能执行「{label}」：{'；'.join(self.missing)}")


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[str] | set[str]
    target: str
    label: str
    """What the button says (Chinese)."""
    guards: tuple[Guard, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "sources", frozenset(self.sources))


@dataclass(frozen=True)
class Step:
    """A transition possible from the current state, and what it still lacks."""

    name: str
    label: str
    target: str
    missing: tuple[str, ...] = ()

    @property
    def ready(self) -> bool:
        return not self.missing


@dataclass
class Workflow:
    entity: str
    """The audit trail's entity name (``repair``, ``relocation_case``, …)."""
    states: Mapping[str, str]
    """Each state and its Chinese label, in the order pages show them."""
    transitions: Iterable[Transition]
    state_attribute: str = "status"
    _by_name: dict[str, Transition] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.transitions = tuple(self.transitions)
        self._by_name = {}
        for t in self.transitions:
            if t.name in self._by_name:
                raise ValueError(f"{self.entity}: transition {t.name!r} declared twice")
            unknown = (set(t.sources) | {t.target}) - set(self.states)
            if unknown:
                raise ValueError(f"{self.entity}: transition {t.name!r} names unknown states {sorted(unknown)}")
            self._by_name[t.name] = t

    def state_of(self, obj: object) -> str:
        return getattr(obj, self.state_attribute)

    def label(self, state: str) -> str:
        return self.states[state]

    def transition(self, name: str) -> Transition:
        try:
            return self._by_name[name]
        except KeyError:
            known = "、".join(self._by_name)
            raise TransitionRefused(name, name, [f"没有名为「{name}」的操作（可用：{known}）"]) from None

    def _missing(self, obj: object, t: Transition) -> tuple[str, ...]:
        return tuple(message for guard in t.guards if (message := guard(obj)))

    def next_steps(self, obj: object) -> list[Step]:
        """Every transition from the current state, with what each still lacks (for pages)."""
        state = self.state_of(obj)
        return [Step(t.name, t.label, t.target, self._missing(obj, t)) for t in self.transitions if state in t.sources]

    def check(self, obj: object, name: str) -> Transition:
        """The transition ``name`` if it may be taken now; else ``TransitionRefused`` saying why."""
        t = self.transition(name)
        state = self.state_of(obj)
        if state not in t.sources:
            allowed = "、".join(self.states[s] for s in sorted(t.sources, key=list(self.states).index))
            raise TransitionRefused(name, t.label, [f"当前状态为「{self.states[state]}」，只能从「{allowed}」执行"])
        missing = self._missing(obj, t)
        if missing:
            raise TransitionRefused(name, t.label, missing)
        return t

    def apply(self, *, session: Session, obj: object, name: str, actor: Actor, entity_id: object,
              note: str = "") -> Transition:
        """Take transition ``name``: check it, change the state, audit who, when, from, to and why."""
        t = self.check(obj, name)
        old = self.state_of(obj)
        setattr(obj, self.state_attribute, t.target)
        audit.record(session=session, actor=actor, entity=self.entity, entity_id=entity_id,
                     action=f"transition:{t.name}", old={self.state_attribute: old},
                     new={self.state_attribute: t.target, "note": note} if note else {self.state_attribute: t.target})
        session.flush()
        return t
