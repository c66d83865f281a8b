"""/sla, the managers' SLA dashboard, and its CSV export, through HTTP: who may see it,
what each role sees, the quarter chooser and the audited download."""

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from casework import db
from casework.audit.models import AuditEvent
from casework.cases.models import PartyRole
from casework.clock import ZONE, quarter_of, utcnow
from casework.permissions import Role
from casework.victims.models import ClockKind, ClockOutcome
from casework.victims.services.sla_reports import EXPORT_HEADER
from tests.factories import add_party, make_agency, make_case, make_person, make_user
from tests.support.sla_clocks import make_clock, make_clock_due

LONDON = ZONE
# Sentinels: if any of these is on a page or in a file, a name or reference leaked.
VICTIM_FIRST, VICTIM_LAST = "Zebediah", "Quartermaine"
REFERENCE = "ASB-2026-04242"


@pytest.fixture
def partnership(session):
    """A council case with one victim whose conference clock is overdue and whose 7-day
    clock is due soon, and a police case with a clock met on time this quarter."""
    council, police = make_agency(name="Fenland District Council"), make_agency(name="Cambridgeshire Constabulary")
    now = utcnow()
    case = make_case(lead_agency=council, opened_by=make_user(agency=council), reference=REFERENCE)
    victim = make_person(created_by=case_opener(case), first_name=VICTIM_FIRST, last_name=VICTIM_LAST)
    add_party(case=case, person=victim, role=PartyRole.VICTIM)
    overdue = make_clock_due(case=case, person=victim, due_at=now - timedelta(hours=3))
    soon = make_clock_due(case=case, person=victim, due_at=now + timedelta(hours=14), kind=ClockKind.REDUCE_7D)
    police_case = make_case(lead_agency=police, opened_by=make_user(agency=police))
    other = make_person(created_by=case_opener(police_case), first_name="Olwen", last_name="Marchbank")
    add_party(case=police_case, person=other, role=PartyRole.VICTIM)
    quarter = quarter_of(now)
    make_clock(
        case=police_case, person=other, started_at=max(quarter.start, now - timedelta(days=2)), outcome=ClockOutcome.MET
    )
    return {
        "council": council,
        "police": police,
        "case": case,
        "victim": victim,
        "police_case": police_case,
        "other": other,
        "overdue": overdue,
        "soon": soon,
        "quarter": quarter,
        "now": now,
    }


def case_opener(case):
    from casework.accounts.models import User

    return db.session.get(User, case.opened_by_id)


def exports() -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "sla.exported")))


# --- Who may see it --------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.MANAGER, Role.ADMIN, Role.PSG_CHAIR, Role.ANALYST])
def test_managers_admins_chairs_and_analysts_see_the_dashboard(client_as, partnership, role):
    response = client_as(make_user(role=role, agency=partnership["council"])).get("/sla")
    assert response.status_code == 200
    assert "SLA dashboard" in response.text
    assert '<a class="govuk-service-navigation__link" href="/sla"' in response.text


@pytest.mark.parametrize("role", [Role.PSG_MEMBER, Role.PARTNER, Role.LICENSING_OFFICER])
def test_members_partners_and_licensing_officers_are_refused(client_as, partnership, role):
    client = client_as(make_user(role=role, agency=partnership["council"]))
    for url in ("/sla", f"/sla?quarter={partnership['quarter'].key}", "/sla/export"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert VICTIM_LAST not in response.text
    assert 'href="/sla"' not in client.get("/").text
    assert exports() == []


# --- What each role sees ---------------------------------------------------------------------


@pytest.mark.calendar
def test_a_manager_sees_overdue_and_due_soon_clocks_by_agency_linking_to_the_case(client_as, partnership):
    page = client_as(make_user(role=Role.MANAGER, agency=partnership["police"])).get("/sla").text
    assert "1 overdue and 1 due within 24 hours" in page
    assert f'<a class="govuk-link" href="/cases/{REFERENCE}">{REFERENCE}</a>' in page
    assert f"{VICTIM_FIRST} {VICTIM_LAST}" in page
    assert "Overdue by 3 hours" in page
    assert "Due in 14 hours" in page
    assert '<h3 class="govuk-summary-card__title">Fenland District Council</h3>' in page
    # The police case's clock is met: it is in the quarter's figures, not the now view.
    assert "Marchbank" not in page
    assert partnership["police_case"].reference not in page


def test_an_analyst_sees_counts_by_agency_but_no_name_or_reference(client_as, partnership):
    page = client_as(make_user(role=Role.ANALYST, agency=partnership["council"])).get("/sla").text
    assert "1 overdue and 1 due within 24 hours" in page
    assert "Fenland District Council" in page
    for secret in (VICTIM_FIRST, VICTIM_LAST, REFERENCE, partnership["police_case"].reference, "Marchbank", "/cases/"):
        assert secret not in page
    assert "Download" not in page


@pytest.mark.calendar
def test_the_quarter_figures_are_shaped_like_the_source_report(client_as, partnership):
    """In the previous quarter: one conference clock met on time, one 7-day clock stopped."""
    case, victim = partnership["case"], partnership["victim"]
    start = partnership["quarter"].start - timedelta(days=40)
    previous = quarter_of(start)
    make_clock(case=case, person=victim, started_at=start, outcome=ClockOutcome.MET)
    make_clock(case=case, person=victim, started_at=start, kind=ClockKind.REDUCE_7D, outcome=ClockOutcome.STOPPED)
    page = (
        client_as(make_user(role=Role.PSG_CHAIR, agency=partnership["council"]))
        .get(f"/sla?quarter={previous.key}")
        .text
    )
    assert f"Figures for {previous.label}" in page
    assert "100% of 1 decided; 1 victim in the quarter" in page
    assert '<strong class="govuk-tag govuk-tag--green">' in page and "Green" in page
    assert "No clocks decided yet; 1 victim in the quarter" in page  # a stopped clock is not decided
    assert "against a target of 85%" in page
    # What "decided" means is said, and counted in a row of its own.
    assert "the <strong>decided</strong> clocks: those met on time, met late or overdue" in page
    assert "Decided: met on time, met late or overdue" in page
    assert 'data-testid="conference_72h-counted">1<' in page and 'data-testid="reduce_7d-counted">0<' in page
    assert ">100% of 1 decided</td>" in page


@pytest.mark.calendar
def test_a_clock_overdue_at_closing_is_shown_and_counted_as_overdue(client_as, partnership):
    case, victim = partnership["case"], partnership["victim"]
    start = partnership["quarter"].start - timedelta(days=40)
    previous = quarter_of(start)
    make_clock(case=case, person=victim, started_at=start, outcome=ClockOutcome.MET)
    make_clock(case=case, person=victim, started_at=start, outcome=ClockOutcome.OVERDUE_AT_CLOSING)
    page = client_as(make_user(role=Role.MANAGER)).get(f"/sla?quarter={previous.key}").text
    cells = dict(re.findall(r'data-testid="conference_72h-(\w+)">(\d+)<', page))
    assert (cells["met"], cells["overdue"], cells["overdue_at_closing"], cells["stopped"]) == ("1", "1", "1", "0")
    assert "Overdue at closing" in page
    assert "50% of 2 decided; 1 victim in the quarter" in page


@pytest.mark.calendar
def test_the_trend_is_an_accessible_chart_with_a_table_of_the_same_figures(client_as, session):
    agency = make_agency()
    case = make_case(lead_agency=agency, opened_by=make_user(agency=agency))
    person = make_person(created_by=case_opener(case))
    current = quarter_of(utcnow())
    last = quarter_of(current.start - timedelta(days=1))
    before = quarter_of(last.start - timedelta(days=1))
    for started, outcome in [
        (last.start, ClockOutcome.MET),
        (last.start, ClockOutcome.MET_LATE),
        (before.start, ClockOutcome.MET),
    ]:
        make_clock(case=case, person=person, started_at=started + timedelta(days=3), outcome=outcome)

    page = client_as(make_user(role=Role.MANAGER)).get("/sla").text
    chart = page.split('<figure class="casework-sla-chart">', 1)[1].split("</figure>", 1)[0]
    assert 'role="img"' in chart and '<title id="trend-title">' in chart and '<desc id="trend-desc">' in chart
    assert f"{last.label}: case conference 50% of 2 decided" in chart
    assert ">50%</text>" in chart and ">100%</text>" in chart and '">85%</tspan></text>' in chart
    table = page.split("Compliance rate by quarter: the figures in the chart", 1)[1].split("</table>", 1)[0]
    row = table.split(f">{last.label}</th>", 1)[1].split("</tr>", 1)[0]
    assert '50% <span class="govuk-hint govuk-body-s">(1 of 2 decided)</span>' in row
    assert "No clocks decided yet" in row  # no 7-day clocks that quarter
    row = table.split(f">{before.label}</th>", 1)[1].split("</tr>", 1)[0]
    assert '100% <span class="govuk-hint govuk-body-s">(1 of 1 decided)</span>' in row
    assert " style=" not in page  # the Content-Security-Policy allows no inline styles


@pytest.mark.calendar
def test_an_empty_partnership_says_nothing_is_due(client_as, session):
    page = client_as(make_user(role=Role.MANAGER)).get("/sla").text
    assert "No clocks are overdue or due within 24 hours." in page
    assert page.count("No clocks decided yet; 0 victims in the quarter") == 2


# --- Choosing the quarter --------------------------------------------------------------------


@pytest.mark.calendar
def test_an_earlier_quarter_can_be_chosen_by_its_key(client_as, partnership):
    page = client_as(make_user(role=Role.MANAGER)).get("/sla?quarter=2024-Q4").text
    assert "Figures for Q4 2024/25" in page
    assert "January to March 2025" in page
    assert '<option value="2024-Q4" selected>Q4 2024/25</option>' in page
    assert "There is a problem" not in page


@pytest.mark.calendar
@pytest.mark.parametrize("key", ["2026-Q7", "nonsense", "", "2999-Q1", "<script>"])
def test_a_bad_quarter_is_a_form_error_and_shows_the_current_quarter(client_as, partnership, key):
    response = client_as(make_user(role=Role.MANAGER)).get("/sla", query_string={"quarter": key})
    assert response.status_code == 200
    assert "There is a problem" in response.text
    assert 'class="govuk-error-message"' in response.text
    assert f"Figures for {partnership['quarter'].label}" in response.text
    assert "<script>" not in response.text.split("<main", 1)[1].split("</main>", 1)[0]


# --- The export ------------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


@pytest.mark.calendar
@pytest.mark.parametrize("role", [Role.MANAGER, Role.ADMIN])
def test_managers_and_admins_download_the_quarters_clocks_and_it_is_audited(client_as, partnership, role):
    user = make_user(role=role, agency=partnership["council"])
    key = partnership["quarter"].key
    response = client_as(user).get(f"/sla/export?quarter={key}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="sla-clocks-{key}.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    rows = read_csv(response)
    assert tuple(rows[0]) == EXPORT_HEADER
    police_rows = [row for row in rows[1:] if row[0] == partnership["police_case"].reference]
    assert [(row[1], row[2], row[3], row[7]) for row in police_rows] == [
        ("Cambridgeshire Constabulary", str(partnership["other"].id), "Case conference within 72 hours", "Met")
    ]
    text = response.get_data(as_text=True)
    assert VICTIM_FIRST not in text and VICTIM_LAST not in text and "Marchbank" not in text
    events = exports()
    assert len(events) == 1
    assert (events[0].actor_id, events[0].detail) == (user.id, {"quarter": key, "rows": len(rows) - 1})


@pytest.mark.calendar
def test_the_export_lists_exactly_the_clocks_started_in_the_quarter(client_as, partnership):
    """The overdue and due-soon clocks started this quarter only if the quarter began
    more than three days ago, so the test names a past quarter with known rows."""
    case, victim = partnership["case"], partnership["victim"]
    start = partnership["quarter"].start - timedelta(days=30)  # in the previous quarter
    previous = quarter_of(start)
    make_clock(case=case, person=victim, started_at=start, outcome=ClockOutcome.MET_LATE)
    rows = read_csv(client_as(make_user(role=Role.MANAGER)).get(f"/sla/export?quarter={previous.key}"))
    assert rows[1:] == [
        [
            REFERENCE,
            "Fenland District Council",
            str(victim.id),
            "Case conference within 72 hours",
            start.astimezone(LONDON).isoformat(timespec="minutes"),
            (start + timedelta(hours=72)).astimezone(LONDON).isoformat(timespec="minutes"),
            (start + timedelta(hours=1)).astimezone(LONDON).isoformat(timespec="minutes"),
            "Met late",
            "",
        ]
    ]


def test_cells_that_would_run_as_spreadsheet_formulas_are_made_inert(client_as, session):
    now = utcnow()
    for name in ('=HYPERLINK("http://evil.example","Click")', "+1+1", "-2+3", "@SUM(A1:A9)"):
        agency = make_agency(name=name)
        case = make_case(lead_agency=agency, opened_by=make_user(agency=agency))
        person = make_person(created_by=case_opener(case))
        make_clock(case=case, person=person, started_at=now - timedelta(hours=1))
    rows = read_csv(client_as(make_user(role=Role.MANAGER)).get("/sla/export"))
    assert sorted(row[1] for row in rows[1:]) == sorted(
        ['\'=HYPERLINK("http://evil.example","Click")', "'+1+1", "'-2+3", "'@SUM(A1:A9)"]
    )


@pytest.mark.calendar
@pytest.mark.parametrize("role", [Role.PSG_CHAIR, Role.ANALYST])
def test_chairs_and_analysts_may_not_export(client_as, partnership, role):
    response = client_as(make_user(role=role, agency=partnership["council"])).get(
        f"/sla/export?quarter={partnership['quarter'].key}"
    )
    assert response.status_code == 403
    assert exports() == []


@pytest.mark.calendar
def test_the_export_button_is_offered_only_to_those_who_may_export(client_as, partnership):
    key = partnership["quarter"].key
    assert f'href="/sla/export?quarter={key}"' in client_as(make_user(role=Role.MANAGER)).get("/sla").text
    assert "/sla/export" not in client_as(make_user(role=Role.PSG_CHAIR)).get("/sla").text


@pytest.mark.calendar
def test_an_export_of_a_bad_quarter_goes_back_to_the_dashboard_and_writes_nothing(client_as, partnership):
    client = client_as(make_user(role=Role.MANAGER))
    response = client.get("/sla/export?quarter=2026-Q9")
    assert response.status_code == 302
    assert response.location == "/sla?quarter=2026-Q9"
    assert "Select a quarter from the list" in client.get(response.location).text
    assert exports() == []
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.verb == "sla.exported")) == 0
