"""The clocks a case page shows under each victim: the open ones, soonest due first,
then those overdue when the case closed; met and stopped clocks are left out."""

from datetime import timedelta

import pytest

from casework.clock import utcnow
from casework.victims.models import ClockKind, ClockOutcome
from casework.victims.services import sla
from tests.factories import add_party, make_case, make_person, make_user
from tests.support.sla_clocks import make_clock

pytestmark = pytest.mark.both_databases


def test_open_clocks_then_those_overdue_at_closing_by_victim(council):
    officer = make_user(agency=council)
    case = make_case(lead_agency=council, opened_by=officer)
    ada = make_person(created_by=officer)
    bea = make_person(created_by=officer, first_name="Bea")
    for person in (ada, bea):
        add_party(case=case, person=person)
    start = utcnow() - timedelta(days=10)
    breached = make_clock(case=case, person=ada, started_at=start, outcome=ClockOutcome.OVERDUE_AT_CLOSING)
    later = make_clock(case=case, person=ada, started_at=start + timedelta(days=3), kind=ClockKind.REDUCE_7D)
    sooner = make_clock(case=case, person=ada, started_at=start + timedelta(days=2))
    make_clock(case=case, person=ada, started_at=start, outcome=ClockOutcome.MET)
    make_clock(case=case, person=bea, started_at=start, outcome=ClockOutcome.STOPPED)

    shown = sla.open_or_overdue_at_closing_clocks(case.id)

    assert shown == {ada.id: [sooner, later, breached]}
