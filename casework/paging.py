"""One page of a longer list, and the one way numbers in a query string are read."""

import re
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

# Record ids are 32-bit integer columns, and no list has that many pages: a larger
# number names nothing, and an offset worked out from it could overflow a column.
LARGEST = 2**31 - 1
_DIGITS = re.compile(r"[0-9]{1,10}")
_ANY_DIGITS = re.compile(r"[0-9]+")


def whole_number(text: str | None) -> int | None:
    """The number ``text`` spells in ASCII digits, from 1 to LARGEST; None for anything
    else. ``str.isdigit`` would take '²' and '①', which ``int`` then refuses; ``int``
    alone would take '٣', '３', ' 2' and '+1'."""
    if text is None or not _DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if 0 < number <= LARGEST else None


def page_number(text: str | None) -> int:
    """A ``page`` argument: the page it names, or the first page for anything that is
    not a page number. A number past the last page is the services' to bring back to
    the last, however large: it is read as LARGEST, never handed to ``int`` whole."""
    if text is None or not _ANY_DIGITS.fullmatch(text):
        return 1
    return whole_number(text) or (LARGEST if text.strip("0") else 1)


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
