"""Domain errors raised by services; casework.errors maps them to responses."""


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


class InvalidInput(DomainError):
    """Input that passed the form's shape checks but breaks a domain rule.

    ``field`` names the form field to attach the message to, when there is one.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


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
