"""Domain exceptions. They name the problem; ``api/errors.py`` maps them to HTTP."""

from __future__ import annotations


class DomainError(Exception):
    """Base of the problems a user can act on."""


class ValidationProblem(DomainError):
    """Input that cannot be stored: ``field`` names where, ``reason`` says why (422)."""

    def __init__(self, field: str, reason: str, *, problems: list[tuple[str, str]] | None = None) -> None:
        self.problems = problems or [(field, reason)]
        self.field, self.reason = self.problems[0]
        super().__init__("; ".join(f"{f}: {r}" for f, r in self.problems))

    @classmethod
    def many(cls, problems: list[tuple[str, str]]) -> ValidationProblem:
        return cls(problems[0][0], problems[0][1], problems=problems)


class NotFound(DomainError):
    """No such object, or one the user may not see (404: existence does not leak)."""

    def __init__(self, entity: str, ident: object) -> None:
        super().__init__(f"{entity} {ident} not found")
        self.entity = entity
        self.ident = ident


class Conflict(DomainError):
    """The request clashes with the current state (409), e.g. a changed record.

    ``extra`` goes into the answer beside ``detail`` (e.g. a slot's remaining places).
    """

    def __init__(self, message: str = "", **extra: object) -> None:
        super().__init__(message)
        self.extra = extra


class InvalidTransition(Conflict):
    """A workflow step that is not allowed now, or lacks its evidence (409)."""


class Forbidden(DomainError):
    """The user's role may not do this (403)."""


class Unauthenticated(DomainError):
    """No valid credentials (401)."""
