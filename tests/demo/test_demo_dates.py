"""The demo is current whenever it is loaded: its dates are relative to the moment of
loading, so at any instant (the first of a month, 29 February, either side of the clock
changes, New Year's Eve) it shows victims' clocks due soon and overdue, premises with a
deadline passed and a visit due, last month's PSG meeting and next week's, and actions
overdue and due soon. One load per instant (tests/demo/conftest.py);
tests/support/demo_checks.py reads it."""

import pytest

from tests.support import demo_checks


@pytest.mark.calendar
def test_the_demo_is_current_whenever_it_is_loaded(demo):
    now = demo()
    demo_checks.clocks_due_soon_and_overdue(now)
    demo_checks.premises_cover_every_colour_and_deadline(now)
    demo_checks.partnership_at_work(now)
