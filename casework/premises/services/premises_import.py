"""Loading a list of licensed premises from a CSV file (the format is in README.md).

Every row is checked before anything is written, and every bad row is reported with its
line number and reason; nothing is written unless every row is good. Then all rows are
inserted and audited as one ``premises.imported`` event; the caller commits once.
New premises start green, like any other.
"""

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import select

from casework import db
from casework.accounts.models import User
from casework.audit import services as audit
from casework.people import services as people
from casework.premises.models import Premises, PremisesKind

COLUMNS = (
    "name",
    "address",
    "postcode",
    "licence_number",
    "kind",
    "town",
    "cluster",
    "licence_holder",
    "designated_premises_supervisor",
    "sircs_member",
    "thumbs_up",
)
REQUIRED = ("name", "address", "postcode", "licence_number", "kind", "town")
YES_NO = {"yes": True, "no": False}
TEXT_COLUMNS = tuple(column for column in COLUMNS if column not in ("kind", "sircs_member", "thumbs_up"))
# Licence numbers already stored are looked up this many at a time.
LOOKUP_CHUNK = 500

T = TypeVar("T")
Track = Callable[[Iterable[T]], Iterable[T]]


def _untracked(items: Iterable[T]) -> Iterable[T]:
    return items


@dataclass(frozen=True)
class Problem:
    line: int  # 0 for a problem with the whole file
    message: str

    def __str__(self) -> str:
        return f"Line {self.line}: {self.message}" if self.line else self.message


class ImportInvalid(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = problems


@dataclass(frozen=True)
class Row:
    line: int  # where the row starts in the file, the header being line 1
    values: dict[str, str]
    cells: int  # how many values the row has


def _max_length(column: str) -> int:
    column_type = Premises.__table__.c[column].type
    assert isinstance(column_type, sa.String) and column_type.length is not None
    return column_type.length


def read(text: str) -> list[Row]:
    """The file's rows; ImportInvalid if it is empty or its header lacks a column or has
    one this format does not know."""
    if not text.strip():
        raise ImportInvalid([Problem(0, "The file is empty: it needs a header line and a row for each premises")])
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [name.strip().lower() for name in next(reader)]
    problems = []
    if missing := [name for name in COLUMNS if name not in header]:
        problems.append(Problem(1, f"The header has no column {', '.join(missing)}"))
    if unknown := [name for name in header if name not in COLUMNS]:
        problems.append(Problem(1, f"The header has columns this format does not know: {', '.join(unknown)}"))
    if duplicated := sorted({name for name in header if header.count(name) > 1}):
        problems.append(Problem(1, f"The header names a column more than once: {', '.join(duplicated)}"))
    if problems:
        raise ImportInvalid(problems)
    rows, start = [], reader.line_num + 1
    for cells in reader:
        if any(cell.strip() for cell in cells):
            rows.append(Row(start, dict(zip(header, cells, strict=False)), len(cells)))
        start = reader.line_num + 1
    if not rows:
        raise ImportInvalid([Problem(0, "The file has a header but no premises")])
    return rows


def _problems_of(row: Row, columns: int) -> list[str]:
    values = row.values
    problems = []
    if row.cells != columns:
        problems.append(f"has {row.cells} values where the header has {columns}")
    for column in REQUIRED:
        if not values.get(column, "").strip():
            problems.append(f"{column} is empty")
    for column in TEXT_COLUMNS:
        limit = _max_length(column)
        if len(values.get(column, "").strip()) > limit:
            problems.append(f"{column} is longer than {limit} characters")
    postcode = values.get("postcode", "")
    if postcode.strip() and not people.is_uk_postcode(postcode):
        problems.append(f"postcode {postcode.strip()!r} is not a UK postcode, like SW1A 1AA")
    kind = values.get("kind", "").strip().lower()
    if kind and kind not in {k.value for k in PremisesKind}:
        problems.append(f"kind must be one of {', '.join(PremisesKind)}, not {kind!r}")
    for column in ("sircs_member", "thumbs_up"):
        if values.get(column, "").strip().lower() not in YES_NO:
            problems.append(f"{column} must be yes or no")
    return problems


def _stored(licence_numbers: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(licence_numbers), LOOKUP_CHUNK):
        chunk = licence_numbers[start : start + LOOKUP_CHUNK]
        found.update(db.session.scalars(select(Premises.licence_number).where(Premises.licence_number.in_(chunk))))
    return found


def validate(rows: list[Row], track: Track[Row] = _untracked) -> list[dict[str, Any]]:
    """Every row checked: the premises' values, or ImportInvalid listing every bad row."""
    columns = len(COLUMNS)
    problems: list[Problem] = []
    first_line: dict[str, int] = {}
    for row in track(rows):
        reasons = _problems_of(row, columns)
        number = row.values.get("licence_number", "").strip()
        if number:
            if number in first_line:
                reasons.append(f"licence number {number} is also on line {first_line[number]}")
            else:
                first_line[number] = row.line
        problems.extend(Problem(row.line, reason) for reason in reasons)
    for number in sorted(_stored(list(first_line)), key=first_line.__getitem__):
        problems.append(Problem(first_line[number], f"licence number {number} is already in Casework"))
    if problems:
        raise ImportInvalid(sorted(problems, key=lambda problem: problem.line))
    return [_values(row) for row in rows]


def _values(row: Row) -> dict[str, Any]:
    values = {column: row.values[column].strip() for column in TEXT_COLUMNS}
    return values | {
        "postcode": people.normalise_postcode(values["postcode"]),
        "kind": PremisesKind(row.values["kind"].strip().lower()),
        "sircs_member": YES_NO[row.values["sircs_member"].strip().lower()],
        "thumbs_up": YES_NO[row.values["thumbs_up"].strip().lower()],
    }


def insert(actor: User | None, premises: list[dict[str, Any]], track: Track[dict[str, Any]] = _untracked) -> int:
    """Add every premises (validated first) and one audit event; flushes, never commits."""
    for values in track(premises):
        db.session.add(Premises(**values))
    db.session.flush()
    audit.record(actor, "premises.imported", "premises", None, detail={"rows": len(premises)})
    return len(premises)
