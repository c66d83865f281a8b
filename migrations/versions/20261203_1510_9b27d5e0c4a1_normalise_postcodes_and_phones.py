"""stored postcodes and phone numbers in the one form new ones are kept in

Revision ID: 9b27d5e0c4a1
Revises: 3e8d41c2a9f6
Create Date: 2026-12-03 15:10:00.000000

A data migration: postcodes of people, referrals and premises that are UK postcodes
become "SW1A 1AA" (capitals, one space); people's phone numbers that are UK numbers
become their grouped national form ("07700 900 982"). Anything else is left as it was
typed. The rules are copied here as they are at this revision, so that the migration
keeps doing the same when the application's rules change.
"""

import logging
import re
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9b27d5e0c4a1"
down_revision: str | None = "3e8d41c2a9f6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_POSTCODE = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}")
_PHONE = re.compile(r"(?:\+44|0)[1-9][0-9]{8,9}")
_PHONE_SEPARATORS = re.compile(r"[ ()-]")


def _postcode(text: str) -> str:
    compact = "".join(text.split()).upper()
    if not _POSTCODE.fullmatch(compact):
        return text
    return f"{compact[:-3]} {compact[-3:]}"


def _groups(national: str) -> tuple[int, ...]:
    if len(national) == 10:
        return (5, 5) if national[1] in "17" else (4, 6)
    if national[1] == "2":
        return (3, 4, 4)
    if national[1] in "389" or (national[1] == "1" and "1" in (national[2], national[3])):
        return (4, 3, 4)
    return (5, 3, 3)


def _phone(text: str) -> str:
    compact = _PHONE_SEPARATORS.sub("", text.strip().replace("+44 (0)", "+44").replace("+44(0)", "+44"))
    if not _PHONE.fullmatch(compact):
        return text
    national = "0" + compact.removeprefix("+44") if compact.startswith("+44") else compact
    groups, start = [], 0
    for size in _groups(national):
        groups.append(national[start : start + size])
        start += size
    return " ".join(groups)


def _normalise(table_name: str, column_name: str, rule: Callable[[str], str]) -> None:
    table = sa.table(table_name, sa.column("id", sa.Integer), sa.column(column_name, sa.String))
    column = table.c[column_name]
    connection = op.get_bind()
    rows = connection.execute(sa.select(table.c.id, column).where(column != "")).all()
    changed = [{"row_id": row_id, "value": rule(value)} for row_id, value in rows if rule(value) != value]
    if changed:
        # Only the value: a record's version is left alone, so nobody's open form of it
        # turns stale over a change of spacing.
        connection.execute(
            table.update().where(table.c.id == sa.bindparam("row_id")).values({column_name: sa.bindparam("value")}),
            changed,
        )


def upgrade() -> None:
    _normalise("people", "postcode", _postcode)
    _normalise("referrals", "postcode", _postcode)
    _normalise("premises", "postcode", _postcode)
    _normalise("people", "phone", _phone)


def downgrade() -> None:
    """Nothing to undo: the values as typed are not kept, and the normalised ones are
    as valid at the earlier revision."""
    logging.getLogger("alembic.runtime.migration").info(
        "Postcodes and phone numbers stay in their normalised form: the values as typed are not kept."
    )
