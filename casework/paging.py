"""One page of a longer list."""

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def clamp(requested: int, total: int, per_page: int) -> int:
    """The requested page number, within the pages that exist."""
    return max(1, min(requested, -(-total // per_page)))
