"""The demo's licensed premises show every part of the traffic light register."""

from sqlalchemy import select

from casework import db
from casework.demo import load_demo
from casework.premises.models import Premises


def test_loading_the_demo_twice_adds_no_premises(demo):
    demo()  # loaded once (tests/demo/conftest.py checks that it loaded)
    count = len(db.session.scalars(select(Premises.id)).all())
    assert not load_demo()
    assert len(db.session.scalars(select(Premises.id)).all()) == count
