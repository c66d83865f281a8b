"""Use cases. Each takes the acting user first, checks policy, flushes and never commits."""

from typing import Protocol

from casework.exceptions import EditConflict


class Versioned(Protocol):
    version: int


def ensure_version(obj: Versioned, submitted: int) -> None:
    """Refuse an edit made from a page loaded before someone else's save."""
    if obj.version != submitted:
        raise EditConflict()
