"""The partnership's figures: the analysts' home page, the same page for managers and
administrators, and its four CSV files. Counts only, small numbers of cases suppressed,
no way from there to any record of a person, and a fixed number of queries."""

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from casework import db
from casework.actions.models import ActionStatus
from casework.audit.models import AuditEvent
from casework.cases.models import CaseStatus, CaseType, PartyRole
from casework.clock import local_date, previous_quarters, quarter_of, utcnow
from casework.permissions import Role
from casework.premises.models import TlsStatus
from casework.victims.models import ClockOutcome
from tests.factories import (
    add_party,
    make_action,
    make_agency,
    make_case,
    make_person,
    make_premises,
    make_referral,
    make_user,
)
from tests.support.queries import DASHBOARD_BUDGET, assert_same_queries, page_queries
from tests.support.sla_clocks import make_clock

pytestmark = pytest.mark.both_databases

FILES = ("/figures/sla/export", "/figures/premises/export", "/figures/actions/export", "/figures/cases/export")
# If any of these is on a page or in a file, something about a person leaked.
FIRST, LAST, TITLE, ACTION = "Zebediah", "Quartermaine", "Shouting at number 12", "Ring Zebediah back"


@pytest.fixture
def partnership(session):
    council, police = make_agency(name="Fenland District Council"), make_agency(name="Cambridgeshire Constabulary")
    member = make_user(agency=council, name="Amira Castell")
    now = utcnow()
    current = quarter_of(now)
    last = previous_quarters(current, 2)[1]
    opened = current.start + timedelta(minutes=1)
    # This quarter: 2 victim cases open (fewer than 5), 5 perpetrator cases closed.
    victim_cases = [make_case(lead_agency=council, opened_by=member, opened_at=opened, title=TITLE) for _ in range(2)]
    for _ in range(5):
        make_case(
            lead_agency=police, opened_by=member, opened_at=opened, case_type=CaseType.PERPETRATOR,
            status=CaseStatus.CLOSED,
        )  # fmt: skip
    # Last quarter: 1 problem place, still open.
    make_case(lead_agency=council, opened_by=member, opened_at=last.start + timedelta(days=1), case_type=CaseType.PLACE)
    victim = make_person(created_by=member, first_name=FIRST, last_name=LAST)
    add_party(case=victim_cases[0], person=victim, role=PartyRole.VICTIM)
    # Last quarter's conference clocks: one met on time, one overdue when the case closed.
    on = {"case": victim_cases[0], "person": victim, "started_at": last.start + timedelta(days=3)}
    make_clock(**on, outcome=ClockOutcome.MET)
    make_clock(**on, outcome=ClockOutcome.OVERDUE_AT_CLOSING)
    make_premises(status=TlsStatus.RED)
    make_premises()
    make_premises()
    today = local_date(now)
    make_action(agency=police, created_by=member, case=victim_cases[0], title=ACTION, due_on=today - timedelta(days=3))
    make_action(agency=police, created_by=member, case=victim_cases[0], title=ACTION, due_on=today + timedelta(days=3))
    done = make_action(agency=council, created_by=member, case=victim_cases[1], title=ACTION, status=ActionStatus.DONE)
    done.completed_at = now
    db.session.commit()
    return {
        "council": council, "police": police, "member": member, "victim": victim, "cases": victim_cases,
        "current": current, "last": last,
    }  # fmt: skip


def secrets(partnership) -> list[str]:
    references = [case.reference for case in partnership["cases"]]
    return [FIRST, LAST, TITLE, ACTION, "Amira Castell", 'href="/cases/', 'href="/people/', *references]


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def cell(page: str, testid: str) -> str:
    return page.split(f'data-testid="{testid}">', 1)[1].split("<", 1)[0].strip()


def table_rows(page: str, caption: str) -> list[list[str]]:
    """The text of each body row of the table with this caption."""
    body = page.split(caption, 1)[1].split("<tbody", 1)[1].split("</tbody>", 1)[0]
    return [
        [cell.strip() for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


# --- The analysts' home ------------------------------------------------------------------


@pytest.mark.calendar
def test_an_analyst_sees_the_partnerships_figures_at_home(client_as, partnership):
    page = client_as(make_user(role=Role.ANALYST, agency=partnership["council"])).get("/").text
    assert "My work: partnership figures" in page
    assert cell(page, "sla-conference_72h") == "50% of 2 decided; 1 victim in the quarter"
    assert partnership["last"].label in page
    assert (cell(page, "colour-red"), cell(page, "colour-amber"), cell(page, "colour-green")) == ("1", "0", "2")
    actions = table_rows(page, "Actions each agency owes now, and those it finished this quarter")
    assert ["Cambridgeshire Constabulary", "2", "1", "0"] in actions
    assert ["Fenland District Council", "0", "0", "1"] in actions
    cases = table_rows(page, "Cases opened in each of the last 4 quarters")
    this, last = partnership["current"].label, partnership["last"].label
    assert [this, "Victim", "&lt;5", "0"] in cases
    assert [this, "Perpetrator", "0", "5"] in cases
    assert [last, "Problem place", "&lt;5", "0"] in cases
    assert [last, "Victim", "0", "0"] in cases
    assert len(cases) == 4 * len(CaseType)
    for link in ("/sla", "/premises/report", *FILES):
        assert f'href="{link}"' in page
    for secret in secrets(partnership):
        assert secret not in page


@pytest.mark.calendar
def test_an_analyst_downloads_each_file_of_figures_and_each_download_is_audited(client_as, partnership):
    analyst = make_user(role=Role.ANALYST, agency=partnership["council"])
    client = client_as(analyst)
    this, last = partnership["current"].label, partnership["last"].label

    sla = read_csv(client.get("/figures/sla/export"))
    assert sla[0][:4] == ["Quarter", "Clock", "Clocks started", "Victims"]
    assert len(sla) == 1 + 8 * 2
    row = next(r for r in sla if r[:2] == [last, "Case conference within 72 hours"])
    assert dict(zip(sla[0], row, strict=True)) == {
        "Quarter": last, "Clock": "Case conference within 72 hours", "Clocks started": "2", "Victims": "1",
        "Met on time": "1", "Met late": "0", "Overdue, including at closing": "1", "Overdue at closing": "1",
        "Decided: met on time, met late or overdue": "2", "Pending, including due soon": "0", "Stopped": "0",
        "Compliance rate: percent of decided met on time": "50", "Target percent": "85", "RAG": "Red",
    }  # fmt: skip

    premises = read_csv(client.get("/figures/premises/export"))
    assert premises[0][:4] == ["Quarter", "Moves between colours", "Licensing visits", "Licensing hearings"]
    assert [r[0] for r in premises[1:]] == [q.label for q in previous_quarters(partnership["current"], 4)]

    actions = read_csv(client.get("/figures/actions/export"))
    assert actions[0] == ["Agency", "Live actions: open or in progress", "Of which overdue", f"Done in {this}"]
    assert actions[1:] == [["Cambridgeshire Constabulary", "2", "1", "0"], ["Fenland District Council", "0", "0", "1"]]

    cases = read_csv(client.get("/figures/cases/export"))
    assert cases[0] == ["Quarter opened", "Case type", "Open now", "Closed now"]
    assert [this, "Victim", "<5", "0"] in cases and [this, "Perpetrator", "0", "5"] in cases
    assert [last, "Problem place", "<5", "0"] in cases

    events = db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "figures.exported").order_by(AuditEvent.id))
    assert [(e.actor_id, e.detail["figures"]) for e in events] == [
        (analyst.id, name) for name in ("sla", "premises", "actions", "cases")
    ]
    for body in (client.get(url).get_data(as_text=True) for url in FILES):
        for secret in secrets(partnership):
            assert secret not in body


def test_counts_of_cases_from_one_to_four_are_suppressed():
    from casework.home.services.figures import shown

    assert [shown(n) for n in (0, 1, 2, 3, 4, 5, 17)] == ["0", "<5", "<5", "<5", "<5", "5", "17"]


def test_an_analyst_cannot_open_any_record_of_a_case_a_person_a_referral_or_premises(client_as, partnership):
    client = client_as(make_user(role=Role.ANALYST, agency=partnership["council"]))
    case, victim = partnership["cases"][0], partnership["victim"]
    referral = make_referral(referrer=partnership["member"])
    premises = make_premises()
    action = make_action(agency=partnership["council"], created_by=partnership["member"], case=case)
    # Plain values: each request ends the session the records were made in.
    kept = [FIRST, LAST, TITLE, premises.name, referral.what_is_happening]
    case, victim = case.reference, victim.id
    referral, premises, action = referral.id, premises.id, action.id
    for url in (
        "/cases", f"/cases/{case}", f"/cases/{case}/victims/{victim}/risk-assessments",
        f"/people/{victim}", f"/people/{victim}/subject-access", "/referrals", f"/referrals/{referral}",
        "/premises", f"/premises/{premises}", f"/actions/{action}", "/sla/export",
    ):  # fmt: skip
        response = client.get(url)
        assert response.status_code in (403, 404), url
        for secret in kept:
            assert secret not in response.text, url


# --- Managers and administrators; the other roles ---------------------------------------------


@pytest.mark.parametrize("role", [Role.MANAGER, Role.ADMIN])
def test_managers_and_administrators_have_the_figures_a_link_away(client_as, partnership, role):
    client = client_as(make_user(role=role, agency=partnership["council"]))
    assert 'href="/figures"' in client.get("/").text
    page = client.get("/figures").text
    assert '<h1 class="govuk-heading-l">Partnership figures</h1>' in page
    for url in FILES:
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role", [Role.PSG_MEMBER, Role.PSG_CHAIR, Role.PARTNER, Role.LICENSING_OFFICER])
def test_other_roles_are_refused_the_figures(client_as, partnership, role):
    client = client_as(make_user(role=role, agency=partnership["council"]))
    assert 'href="/figures"' not in client.get("/").text
    for url in ("/figures", *FILES):
        assert client.get(url).status_code == 403, url
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "figures.exported")).first() is None


# --- Query counts -------------------------------------------------------------------------------


def more_of_everything(partnership, count: int) -> None:
    member, last = partnership["member"], partnership["last"]
    for number in range(count):
        case = make_case(
            lead_agency=partnership["council"], opened_by=member, opened_at=last.start + timedelta(days=number % 80)
        )
        person = make_person(created_by=member)
        make_clock(case=case, person=person, started_at=last.start + timedelta(days=number % 80))
        make_premises(status=TlsStatus.AMBER)
        make_action(agency=make_agency() if number % 5 == 0 else partnership["police"], created_by=member, case=case)


@pytest.mark.parametrize("url", ["/", *FILES])
def test_the_figures_cost_the_same_queries_however_much_there_is(app, client_as, partnership, url):
    client = client_as(make_user(role=Role.ANALYST, agency=partnership["council"]))
    more_of_everything(partnership, 3)
    _, few = page_queries(app, client, url)
    more_of_everything(partnership, 30)
    _, many = page_queries(app, client, url)
    assert_same_queries(few, many)
    if url == "/":  # the signed-in user, then one query for each of the four figures
        assert len(many) == 5 <= DASHBOARD_BUDGET
