"""The fixed vocabulary of repairs: kinds, funding sources, states, evidence phases (codes English, labels Chinese)."""

from __future__ import annotations

from enum import StrEnum


class RepairKind(StrEnum):
    maintenance = "maintenance"
    renovation = "renovation"
    relocation = "relocation"
    upgrade = "upgrade"


KIND_LABELS = {"maintenance": "修缮维护", "renovation": "就地整修", "relocation": "集中迁移", "upgrade": "改造提升"}


class Source(StrEnum):
    local = "local"
    central = "central"
    provincial = "provincial"
    city = "city"
    donation = "donation"


SOURCE_LABELS = {"local": "本级财政", "central": "中央补助资金", "provincial": "省级补助资金",
                 "city": "市级补助资金", "donation": "社会捐助"}
HIGHER_LEVEL = frozenset({"central", "provincial", "city"})
"""上级补助资金: what the bureaus report as higher-level funds."""


class State(StrEnum):
    proposed = "proposed"
    approved = "approved"
    in_progress = "in_progress"
    completed = "completed"
    cancelled = "cancelled"


STATE_LABELS = {"proposed": "拟立项", "approved": "已批准", "in_progress": "施工中", "completed": "已竣工验收",
                "cancelled": "已取消"}


class Phase(StrEnum):
    """What an attachment of a project shows or proves."""

    before = "before"
    during = "during"
    after = "after"
    invoice = "invoice"
    acceptance = "acceptance"
    approval = "approval"


PHASE_LABELS = {"before": "施工前", "during": "施工中", "after": "竣工后", "invoice": "发票", "acceptance": "验收文件",
                "approval": "批复文件"}
PHOTO_PHASES = frozenset({"before", "during", "after"})
