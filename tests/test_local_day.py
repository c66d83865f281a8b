"""``db.local_day``: the UK local date of a stored UTC time, worked out by the database,
is the date ``clock.local_date`` gives, on both sides of midnight and of the clock
changes (the agenda ranks cases by it in SQL)."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import literal, select

from casework import db
from casework.clock import local_date
from casework.db import UTCDateTime, local_day

pytestmark = pytest.mark.both_databases

INSTANTS = [
    datetime(2027, 1, 14, 23, 59, 59, 999999, tzinfo=UTC),  # winter: the UTC date
    datetime(2027, 3, 28, 0, 59, tzinfo=UTC),  # just before the clocks go forward
    datetime(2027, 3, 28, 1, 0, tzinfo=UTC),  # 02:00 BST
    datetime(2027, 7, 14, 22, 59, tzinfo=UTC),  # 23:59 BST on the 14th
    datetime(2027, 7, 14, 23, 0, tzinfo=UTC),  # midnight BST: the 15th
    datetime(2027, 10, 31, 0, 30, tzinfo=UTC),  # 01:30 BST, the first time round
    datetime(2027, 10, 31, 1, 30, tzinfo=UTC),  # 01:30 GMT, the second time round
    datetime(2027, 12, 31, 23, 30, tzinfo=UTC),  # new year's eve, GMT
]


@pytest.mark.parametrize("instant", INSTANTS, ids=lambda instant: instant.isoformat())
def test_the_database_gives_the_uk_date_of_a_utc_time(session, instant):
    assert db.session.scalar(select(local_day(literal(instant, UTCDateTime())))) == local_date(instant)


def test_no_time_has_no_date(session):
    assert db.session.scalar(select(local_day(literal(None, UTCDateTime())))) is None
