"""Domain errors raised by services; casework.errors maps them to responses."""

from collections.abc import Sequence
from dataclasses import dataclass


class DomainError(Exception):
    """Base class for errors a service raises on purpose."""


class NotFound(DomainError):
    """The object does not exist, or the user may not know that it does."""

    def __init__(self, kind: str, key: object) -> None:
        super().__init__(f"{kind} {key!r} not found")
        self.kind = kind


class PermissionDenied(DomainError):
    """The user may see the object but not do this to it."""

    def __init__(self, permission: str) -> None:
        super().__init__(f"missing permission {permission}")
        self.permission = permission


@dataclass(frozen=True)
class Problem:
    """One reason input is refused, and the form field it concerns (None: the whole form)."""

    message: str
    field: str | None = None


class InvalidInput(DomainError):
    """Input that passed the form's shape checks but breaks a domain rule.

    ``field`` names the form field to attach the message to, when there is one. A service
    that checks several things raises one InvalidInput with every problem it found
    (``InvalidInput.of``), so the user sees them all at once.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.problems: tuple[Problem, ...] = (Problem(message, field),)

    @classmethod
    def of(cls, problems: Sequence[Problem]) -> "InvalidInput":
        """All of a service's refusals in one error; the first gives ``message`` and ``field``."""
        first, *_ = problems
        error = cls(first.message, field=first.field)
        error.problems = tuple(problems)
        return error


class Checks:
    """Collects a service's refusals instead of raising at the first.

    A service calls ``refuse`` for each rule broken, then ``raise_any`` before it writes.
    """

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def refuse(self, message: str, *, field: str | None = None) -> None:
        self.problems.append(Problem(message, field))

    def add(self, error: InvalidInput) -> None:
        self.problems.extend(error.problems)

    def raise_any(self) -> None:
        if self.problems:
            raise InvalidInput.of(self.problems)


class InvalidTransition(DomainError):
    """The object is not in a state that allows this (closing a closed case)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class EditConflict(DomainError):
    """Someone else saved the object after this user loaded it."""

    def __init__(self, message: str = "Someone else changed this record while you were editing it.") -> None:
        super().__init__(message)
        self.message = message
