"""Who is acting: the user behind a request or a CLI command.

Services take an ``Actor`` so that they can keep to its jurisdiction and
write the audit trail; the CLI acts as ``SYSTEM``.
"""

from __future__ import annotations

from dataclasses import dataclass

from memorials.divisions import prefix_of


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str
    role: str
    jurisdiction: str
    """A division code; the actor works on everything whose code starts with its prefix. Empty: nationwide."""

    @property
    def scope(self) -> str:
        """The division-code prefix this actor may see and change ('' = everything)."""
        return prefix_of(self.jurisdiction) if self.jurisdiction else ""

    def covers(self, division_code: str) -> bool:
        return division_code.startswith(self.scope)


SYSTEM = Actor(user_id=None, username="system", role="admin", jurisdiction="")
