"""The data migration that puts stored postcodes and phone numbers in the form new ones
are kept in: what parses is normalised, anything else is left as it was typed, and the
downgrade changes nothing."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from casework import db
from casework.accounts.models import User
from casework.agencies.models import Agency, AgencyKind
from casework.clock import utcnow
from casework.people.models import Person
from casework.permissions import Role
from casework.premises.models import Premises, PremisesKind
from casework.referrals.models import Consent, Referral, ReferralSubject
from tests.conftest import alembic_config
from tests.support.databases import fresh_database

pytestmark = pytest.mark.both_databases

BEFORE, NORMALISING = "3e8d41c2a9f6", "9b27d5e0c4a1"

# (postcode, phone) as typed before the rules, and as they should be afterwards.
PEOPLE = [
    (("pe15 9xy", "07700900456"), ("PE15 9XY", "07700 900 456")),
    (("SW1A1AA", "+44 (0)20 7946 0000"), ("SW1A 1AA", "020 7946 0000")),
    ((" m1  1ae ", "01632-960001"), ("M1 1AE", "01632 960 001")),
    (("PE15 9XY", "07700 900 456"), ("PE15 9XY", "07700 900 456")),
    (("by church", "ring after 6"), ("by church", "ring after 6")),
    (("PE15", "+33 1 23 45 67 89"), ("PE15", "+33 1 23 45 67 89")),
    (("", ""), ("", "")),
]


def then(connection: sa.Connection, model: type) -> sa.Table:
    """The model's table as it was at the revision before (its columns that existed
    then, with their defaults), so that no column added later is written."""
    table = model.__table__  # type: ignore[attr-defined]
    existing = {column["name"] for column in sa.inspect(connection).get_columns(table.name)}
    return sa.Table(table.name, sa.MetaData(), *[column._copy() for column in table.c if column.name in existing])


@pytest.fixture
def migrated_before(database_url: str, tmp_path: Path) -> Iterator[str]:
    with fresh_database(database_url, tmp_path, prefix="casework_contact_details") as url:
        command.upgrade(alembic_config(url), BEFORE)
        yield url


def fill(url: str) -> None:
    now = utcnow()
    engine = db.make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.insert(then(connection, Agency)), [{"id": 1, "name": "Police", "kind": AgencyKind.POLICE}]
            )
            connection.execute(
                sa.insert(then(connection, User)),
                [
                    {
                        "id": 1,
                        "email": "o@example.test",
                        "name": "O",
                        "agency_id": 1,
                        "role": Role.PSG_MEMBER,
                        "password_hash": "x",
                    }
                ],
            )
            connection.execute(
                sa.insert(then(connection, Person)),
                [
                    {
                        "id": n + 1,
                        "first_name": "A",
                        "last_name": f"Person {n}",
                        "postcode": postcode,
                        "phone": phone,
                        "created_by_id": 1,
                    }
                    for n, ((postcode, phone), _after) in enumerate(PEOPLE)
                ],
            )
            connection.execute(
                sa.insert(then(connection, Referral)),
                [
                    {
                        "id": n + 1,
                        "subject": ReferralSubject.PERSON,
                        "postcode": postcode,
                        "what_is_happening": "Noise",
                        "consent": Consent.YES,
                        "referring_agency_id": 1,
                        "referrer_id": 1,
                        "received_at": now,
                    }
                    for n, postcode in enumerate(["cb11aa", "somewhere"])
                ],
            )
            connection.execute(
                sa.insert(then(connection, Premises)),
                [
                    {
                        "id": n + 1,
                        "name": f"The Anchor {n}",
                        "postcode": postcode,
                        "licence_number": f"LN/{n}",
                        "kind": PremisesKind.ON_SALES,
                    }
                    for n, postcode in enumerate(["pe131aa", "PE13"])
                ],
            )
    finally:
        engine.dispose()


def stored(url: str) -> dict[str, list[tuple[object, ...]]]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as connection:
            return {
                "people": [
                    tuple(row)
                    for row in connection.execute(sa.text("SELECT postcode, phone, version FROM people ORDER BY id"))
                ],
                "referrals": [
                    tuple(row) for row in connection.execute(sa.text("SELECT postcode FROM referrals ORDER BY id"))
                ],
                "premises": [
                    tuple(row) for row in connection.execute(sa.text("SELECT postcode FROM premises ORDER BY id"))
                ],
            }
    finally:
        engine.dispose()


def test_stored_postcodes_and_phone_numbers_that_parse_are_normalised(migrated_before):
    fill(migrated_before)
    command.upgrade(alembic_config(migrated_before), NORMALISING)
    after = stored(migrated_before)
    assert after["people"] == [(*normalised, 1) for _typed, normalised in PEOPLE]  # versions untouched
    assert after["referrals"] == [("CB1 1AA",), ("somewhere",)]
    assert after["premises"] == [("PE13 1AA",), ("PE13",)]

    command.downgrade(alembic_config(migrated_before), BEFORE)  # says so, and changes nothing
    assert stored(migrated_before) == after
