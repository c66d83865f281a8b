"""``db.null_or_not_before``: the same truth on both databases, written differently for
each planner (the agenda filters the cases it reads in reference order with it)."""

from datetime import date

import pytest
from sqlalchemy import Date, literal, select

from casework import db
from casework.db import null_or_not_before

pytestmark = pytest.mark.both_databases

DAY = date(2027, 3, 28)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, True), (date(2027, 3, 27), False), (DAY, True), (date(2027, 3, 29), True)],
)
def test_null_or_not_before(session, value, expected):
    truth = null_or_not_before(literal(value, Date()), literal(DAY, Date()))
    assert bool(db.session.scalar(select(truth))) is expected
