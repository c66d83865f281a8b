"""An inbox page of live and finished actions reads the finished ones only past the live
ones: the count of live actions the database keeps says where they end. At county
scale (180,000 actions owed by one agency) page 100 read 9,400 index entries, 2,500 of
each status, and took 7.7 ms; it reads the 4,400 live ones it needs in 2.6 ms
(docs/performance.md)."""

from datetime import date

from casework import db
from casework.actions.models import ActionStatus
from casework.actions.services import action_lists
from tests.factories import make_agency, make_user
from tests.support.plans import as_at_county_scale, plan_of, sent_statements


def test_a_page_of_every_status_bounds_the_finished_walks_by_the_kept_live_count(app, session):
    officer = make_user(agency=make_agency())
    as_at_county_scale(db.session.connection())
    with sent_statements(app.extensions["casework.engine"], "page_keys") as sent:
        criteria = action_lists.InboxFilter(statuses=tuple(ActionStatus), page=100)
        action_lists.inbox(officer, criteria, today=date(2026, 12, 2))
    [(statement, parameters)] = sent
    plan = plan_of(db.session.connection(), statement, parameters)
    assert any("live_action_counts" in step for step in plan), plan


def test_a_filtered_page_does_not_use_the_live_count_it_cannot_split(app, session):
    officer = make_user(agency=make_agency())
    with sent_statements(app.extensions["casework.engine"], "page_keys") as sent:
        criteria = action_lists.InboxFilter(statuses=tuple(ActionStatus), due_from=date(2026, 1, 1))
        action_lists.inbox(officer, criteria, today=date(2026, 12, 2))
    [(statement, _)] = sent
    assert "live_action_counts" not in statement
