"""The partnership benchmark's dataset builder (tests/benchmarks/partnership/dataset.py)
at a tiny size, so it cannot rot between runs of `make bench`: every table it fills has
rows in the intended proportions, and the demo accounts sign in and see them. Nothing
here is timed."""

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask
from flask.testing import FlaskClient

from casework import create_app, db
from casework.cases.models import Case
from casework.clock import local_date, utcnow
from casework.demo import DEMO_PASSWORD
from casework.meetings.services.agenda import SECTION_LIMIT
from config import TestConfig
from tests.benchmarks.partnership.common import migrate
from tests.benchmarks.partnership.dataset import (
    ACCEPT_QUEUE,
    AGENDA_CASES,
    FILTERED_TOWN,
    MOST_ASSESSED,
    SUBJECT_CASES,
    Size,
    build,
)
from tests.benchmarks.partnership.measure import _clients, _Timing
from tests.benchmarks.partnership.pages import PAGES, Finder
from tests.support.databases import fresh_database

pytestmark = pytest.mark.both_databases

# Large enough for the first cases the pages need at every size, with most still closed.
TINY = Size("tiny", 500)


@pytest.fixture(scope="module")
def built(
    database_url: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[tuple[Flask, dict[str, object]]]:
    """One tiny dataset per backend, shared by the tests below (it takes seconds to build),
    at the suite's pinned instant."""
    directory = tmp_path_factory.mktemp("bench")
    with fresh_database(database_url, directory, prefix="bench") as url:
        migrate(url)
        app = create_app(TestConfig(url))
        with time_machine.travel(request.config.getoption("now"), tick=False), app.app_context():
            info = build(TINY)
            db.session.remove()
        yield app, info  # no app context held: each request pushes its own, as in production
        app.extensions["casework.engine"].dispose()


def test_every_table_is_filled_in_proportion(built):
    _app, info = built
    rows = info["rows_added"]
    cases = TINY.cases
    assert rows["cases"] == cases
    assert rows["actions"] == cases * 10
    assert rows["audit_events"] == cases * 50
    assert rows["notes"] > 0 and rows["notifications"] == cases * 2
    assert 2.0 * cases <= rows["people"] <= 3.0 * cases
    assert rows["sla_clocks"] == 2 * rows["risk_assessments"] > 0
    assert rows["referrals"] == round(40_000 * cases / 100_000) + ACCEPT_QUEUE
    # Floors, so that a small casebook's lists fill the same pages as a large one's.
    assert rows["premises"] == 250 and rows["premises_incidents"] == 250 * 40
    assert rows["meetings"] == 50
    for table in (
        "access_requests",
        "case_agencies",
        "case_parties",
        "premises",
        "premises_incidents",
        "meetings",
        "agenda_items",
        "users",
    ):
        assert rows[table] > 0, table


def test_most_cases_are_closed_and_most_actions_done(built):
    app, info = built
    with app.app_context():
        _most_closed_and_done(info)


def _most_closed_and_done(info: dict[str, object]) -> None:
    bench = Case.id >= info["first_case_id"]  # type: ignore[operator]
    statuses = dict(
        db.session.execute(sa.select(Case.status, sa.func.count()).where(bench).group_by(Case.status)).all()
    )
    assert 0 < statuses.get("open", 0) < statuses["closed"]
    done = db.session.scalar(sa.text("SELECT count(*) FROM actions WHERE status = 'done'"))
    db.session.remove()
    assert done > 0.7 * info["rows_added"]["actions"]  # type: ignore[index]


def test_every_involvement_knows_whether_its_case_is_open(built):
    """`case_agencies.case_open` is what My work and the case list count open cases by;
    left to its default, every closed case would count as open."""
    app, _info = built
    with app.app_context():
        disagree = db.session.scalar(
            sa.text(
                "SELECT count(*) FROM case_agencies JOIN cases ON cases.id = case_agencies.case_id"
                " WHERE case_agencies.case_open != (cases.status = 'open')"
            )
        )
        closed = db.session.scalar(sa.text("SELECT count(*) FROM case_agencies WHERE NOT case_open"))
        db.session.remove()
    assert disagree == 0
    assert closed > 0


def test_the_subject_is_on_sixty_cases_or_every_case(built):
    app, _info = built
    with app.app_context():
        most = db.session.scalar(
            sa.text("SELECT count(*) FROM case_parties GROUP BY person_id ORDER BY 1 DESC LIMIT 1")
        )
        db.session.remove()
    assert most == min(SUBJECT_CASES, TINY.cases)


def signed_in(app: Flask, account: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/sign-in", data={"email": f"{account}@demo.test", "password": DEMO_PASSWORD})
    assert response.location == "/", response.location
    return client


def test_the_member_signs_in_and_sees_the_casebook(built):
    app, _info = built
    page = signed_in(app, "member").get("/cases?scope=all").get_data(as_text=True)
    assert page.count('href="/cases/ASB-') >= 20


def test_the_filtered_list_and_the_risk_history_fill_a_page_however_small(built):
    """The filtered case list shows a full page of 25 at any size, and the risk history's
    victim has more assessments than LARGE gives any victim by chance."""
    app, _info = built
    member = signed_in(app, "member")
    filtered = member.get(f"/cases?scope=all&status=open&case_type=victim&town={FILTERED_TOWN}").get_data(as_text=True)
    assert filtered.count('href="/cases/ASB-') == 25 and 'rel="next"' in filtered
    with app.app_context():
        assessed = Finder(_clients(app)).assessed_victim
        most = db.session.scalar(
            sa.text("SELECT count(*) FROM risk_assessments GROUP BY case_id, person_id ORDER BY 1 DESC LIMIT 1")
        )
        db.session.remove()
    assert most == MOST_ASSESSED
    history = member.get(f"/cases/{assessed[0]}/victims/{assessed[1]}/risk-assessments")
    assert history.status_code == 200


def test_every_order_the_agenda_ranks_by_is_longer_than_a_section_however_small(built, request):
    """The agenda reads each order it ranks a section's cases in as far as a section
    shows: LARGE fills every one with hundreds of open cases, and so must a small
    casebook, or the two sizes would not time the same work."""
    app, _info = built
    with time_machine.travel(request.config.getoption("now"), tick=False):
        now = utcnow()
    today = local_date(now)
    clock, action = Case.first_open_clock_due_at, Case.first_live_action_due_on
    high, overdue_clock, overdue_action = Case.high_risk_victim.is_(True), clock < now, action < today
    no_clock, nothing_due = sa.or_(clock.is_(None), clock >= now), sa.or_(action.is_(None), action >= today)
    orders = {
        "high risk, by the overdue clock": (high, overdue_clock),
        "high risk, with an overdue clock, by the overdue action": (high, overdue_clock, overdue_action),
        "high risk, by the overdue action": (high, no_clock, overdue_action),
        "high risk, nothing overdue": (high, no_clock, nothing_due),
        "overdue, by the action": (~high, no_clock, overdue_action),
        "flagged, nothing overdue": (~high, Case.psg_review.is_(True), no_clock, nothing_due),
    }
    with app.app_context():
        lengths = {
            name: db.session.scalar(sa.select(sa.func.count()).where(Case.status == "open", *where))
            for name, where in orders.items()
        }
        db.session.remove()
    assert all(length >= AGENDA_CASES > SECTION_LIMIT for length in lengths.values()), lengths


def test_the_manager_signs_in_and_sees_the_dashboards(built):
    app, _info = built
    manager = signed_in(app, "manager")
    for url in ("/sla", "/actions/overdue"):
        response = manager.get(url)
        assert response.status_code == 200, (url, response.location)


def test_timed_writes_leave_the_session_as_a_browser_would(built, request):
    """A browser follows a write's redirect to a page that shows the write's message, so
    its session holds one message at most; timed writes must do the same, or every one
    leaves another message and the session, read and written on every request, grows
    through the page's timing."""
    app, _info = built
    with time_machine.travel(request.config.getoption("now"), tick=False):
        timing = _Timing(app, Finder(_clients(app)), next(page for page in PAGES if page.name == "Add a note (POST)"))
        messages = []
        for _ in range(4):
            timing.one()
            with timing.client.session_transaction() as session:
                messages.append(len(session.get("_flashes", [])))
    assert messages == [1, 1, 1, 1]
