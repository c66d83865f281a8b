"""The demo's licensed premises show every part of the traffic light register."""

from collections import Counter

import pytest
from sqlalchemy import select

from casework import db
from casework.clock import utcnow
from casework.demo import load_demo
from casework.premises.models import LicensingHearing, Premises, PremisesIncident, PremisesVisit, TlsStatus
from casework.premises.services import tls_rules
from casework.premises.services.tls_rules import DeadlineKind, TlsRules


@pytest.mark.calendar
def test_demo_premises_cover_every_colour_and_deadline(session):
    now = utcnow()
    assert load_demo(now=now)
    premises = list(db.session.scalars(select(Premises)))
    rules = TlsRules()

    assert len(premises) == 20
    assert Counter(p.status for p in premises) == {TlsStatus.GREEN: 12, TlsStatus.AMBER: 5, TlsStatus.RED: 3}
    assert {p.town for p in premises} == {"Wisbech", "March", "Whittlesey", "Chatteris"}

    past_deadline = [p for p in premises if tls_rules.needs_licensing_review(p.status, p.status_since, now, rules)]
    assert [p.name for p in past_deadline] == ["The Drowned Eel"]
    hearing = db.session.scalar(select(LicensingHearing).where(LicensingHearing.premises_id == past_deadline[0].id))
    assert hearing is not None

    visits = Counter(db.session.scalars(select(PremisesVisit.premises_id)))
    last_visit = {
        premises_id: max(
            db.session.scalars(select(PremisesVisit.visited_at).where(PremisesVisit.premises_id == premises_id))
        )
        for premises_id in visits
    }
    visit_due = [
        p.name
        for p in premises
        if p.status is TlsStatus.AMBER
        for deadline in tls_rules.deadlines(p.status, p.status_since, last_visit.get(p.id), rules)
        if deadline.kind is DeadlineKind.AMBER_VISIT and not deadline.met and not deadline.overdue(now)
    ]
    assert visit_due == ["The Fen Tiger"]

    reporting = Counter(agency_id for (agency_id,) in db.session.execute(select(PremisesIncident.reporting_agency_id)))
    assert len(reporting) >= 3  # incidents from several agencies


def test_loading_the_demo_twice_adds_no_premises(session):
    assert load_demo()
    count = len(db.session.scalars(select(Premises.id)).all())
    assert not load_demo()
    assert len(db.session.scalars(select(Premises.id)).all()) == count
