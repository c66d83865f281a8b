"""/premises/report, the traffic light report, and its CSV export through HTTP: who may
see and download it, what analysts see, the quarter chooser, the audited download."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from casework import db
from casework.audit.models import AuditEvent
from casework.permissions import Permission, Role
from casework.policy import can
from casework.premises.models import PremisesStatusChange, TlsStatus
from casework.premises.services import tls_reports
from casework.premises.services.tls_reports import EXPORT_HEADER
from tests.factories import make_agency, make_premises, make_user

RED, AMBER, GREEN = TlsStatus.RED, TlsStatus.AMBER, TlsStatus.GREEN
QUARTER = "2025-Q3"  # October to December 2025
NAME = "The Quillfeather Arms"  # a sentinel: must never show to analysts


@pytest.fixture
def register(session):
    """Two premises turned red in 2025-Q3: one never reached amber, one reached amber in
    time and has not reached green since (both are past a deadline now); and a green one."""
    council = make_agency(name="Fenland District Council")
    officer = make_user(role=Role.LICENSING_OFFICER, agency=council)
    overdue = make_premises(
        name=NAME, status=RED, status_since=datetime(2025, 11, 3, 10, tzinfo=UTC), licence_number="PL-QUILL"
    )
    improved = make_premises(
        name="@SUM(A1)", status=AMBER, status_since=datetime(2025, 12, 1, 10, tzinfo=UTC), town="March"
    )
    make_premises(status=GREEN)
    for premises, from_status, to_status, at in (
        (overdue, GREEN, RED, datetime(2025, 11, 3, 10, tzinfo=UTC)),
        (improved, GREEN, RED, datetime(2025, 10, 6, 10, tzinfo=UTC)),
        (improved, RED, AMBER, datetime(2025, 12, 1, 10, tzinfo=UTC)),
    ):
        db.session.add(
            PremisesStatusChange(
                premises_id=premises.id,
                from_status=from_status,
                to_status=to_status,
                reason="Incidents",
                officer_id=officer.id,
                at=at,
            )
        )
    db.session.commit()
    return {"council": council, "overdue": overdue, "improved": improved}


def exports() -> int:
    return db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.verb == "premises.report_exported")
    )


def cell(text: str, testid: str) -> str:
    start = text.index(f'data-testid="{testid}">') + len(f'data-testid="{testid}">')
    return text[start : text.index("<", start)].strip()


@pytest.mark.calendar
@pytest.mark.parametrize("role", [Role.LICENSING_OFFICER, Role.MANAGER, Role.PSG_CHAIR, Role.ADMIN, Role.ANALYST])
def test_licensing_officers_managers_chairs_admins_and_analysts_see_the_report(client_as, register, role):
    response = client_as(make_user(role=role, agency=register["council"])).get(f"/premises/report?quarter={QUARTER}")
    assert response.status_code == 200
    assert "Traffic light report" in response.text
    assert cell(response.text, "colour-red") == "1"
    assert cell(response.text, "colour-amber") == "1"
    assert cell(response.text, "colour-green") == "1"
    # Two turned red in the quarter: one reached amber in time, one never did.
    assert cell(response.text, "red-entered") == "2"
    assert cell(response.text, "red-met") == "1"
    assert cell(response.text, "red-not_met") == "1"
    assert cell(response.text, "red-rate") == "50%"
    rag = " ".join(response.text[response.text.index('data-testid="red-rag"') :].split("</p>")[0].split())
    assert 'govuk-tag--red"> Red </strong> against a target of 80%' in rag
    assert cell(response.text, f"moves-{QUARTER}") == "3"
    assert "2 premises have a deadline passed." in response.text


@pytest.mark.parametrize("role", [Role.PSG_MEMBER, Role.PARTNER])
def test_members_and_partners_are_refused(client_as, register, role):
    client = client_as(make_user(role=role, agency=register["council"]))
    for url in (
        "/premises/report",
        f"/premises/report?quarter={QUARTER}",
        f"/premises/report/export?quarter={QUARTER}",
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert NAME not in response.text
    assert exports() == 0


@pytest.mark.parametrize("role", [Role.LICENSING_OFFICER, Role.PSG_CHAIR])
def test_licensing_officers_and_chairs_may_not_download_it(client_as, register, role):
    response = client_as(make_user(role=role, agency=register["council"])).get(
        f"/premises/report/export?quarter={QUARTER}"
    )
    assert response.status_code == 403
    assert exports() == 0


@pytest.mark.parametrize("role", list(Role))
def test_the_register_links_to_the_report_for_whoever_may_see_it(client_as, register, role):
    """The navigation and the register's own link, as the role's permissions say."""
    client = client_as(make_user(role=role, agency=register["council"]))
    home = client.get("/").text
    sees_report = can(make_user(role=role, agency=register["council"]), Permission.PREMISES_REPORT)
    assert ('href="/premises/report"' in home) is sees_report
    register_page = client.get("/premises")
    if register_page.status_code == 200:
        assert ('href="/premises/report"' in register_page.text) is sees_report


@pytest.mark.calendar
def test_managers_see_overdue_premises_with_links(client_as, register):
    response = client_as(make_user(role=Role.MANAGER, agency=register["council"])).get("/premises/report")
    assert f'<a class="govuk-link" href="/premises/{register["overdue"].id}">{NAME}</a>' in response.text
    assert "Download" in response.text


def test_analysts_see_counts_but_never_a_premises_name(client_as, register):
    response = client_as(make_user(role=Role.ANALYST, agency=register["council"])).get(
        f"/premises/report?quarter={QUARTER}"
    )
    assert response.status_code == 200
    assert "2 premises have a deadline passed." in response.text
    assert NAME not in response.text
    assert f"/premises/{register['overdue'].id}" not in response.text
    assert "Download" not in response.text


@pytest.mark.calendar
@pytest.mark.parametrize("key", ["2025-Q9", "last year", "2999-Q1"])
def test_a_bad_quarter_shows_the_error_and_the_current_quarter(client_as, register, key):
    response = client_as(make_user(role=Role.MANAGER, agency=register["council"])).get(
        f"/premises/report?quarter={key}"
    )
    assert response.status_code == 200
    assert "There is a problem" in response.text
    assert 'href="#quarter"' in response.text
    assert "Select a quarter" in response.text


@pytest.mark.calendar
def test_the_quarter_chooser_offers_recent_quarters(client_as, register):
    response = client_as(make_user(role=Role.MANAGER, agency=register["council"])).get(
        f"/premises/report?quarter={QUARTER}"
    )
    assert f'<option value="{QUARTER}" selected>Q3 2025/26</option>' in response.text


@pytest.mark.calendar
@pytest.mark.parametrize("role", [Role.MANAGER, Role.ADMIN])
def test_managers_and_admins_download_the_quarter_audited(client_as, register, role):
    response = client_as(make_user(role=role, agency=register["council"])).get(
        f"/premises/report/export?quarter={QUARTER}"
    )
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert f'filename="premises-changes-{QUARTER}.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.text.removeprefix("\ufeff"))))
    assert tuple(rows[0]) == EXPORT_HEADER
    assert [row[:5] for row in rows[1:]] == [
        ["'@SUM(A1)", register["improved"].licence_number, "March", "Green", "Red"],  # formula made inert
        [NAME, "PL-QUILL", "Wisbech", "Green", "Red"],
        ["'@SUM(A1)", register["improved"].licence_number, "March", "Red", "Amber"],
    ]
    assert rows[1][5] == "2025-10-06T11:00+01:00"
    assert rows[3][6:] == ["Fenland District Council", "Yes"]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "premises.report_exported")).one()
    assert event.detail == {"quarter": QUARTER, "rows": 3}


@pytest.mark.parametrize("role", [Role.PSG_CHAIR, Role.ANALYST])
def test_chairs_and_analysts_may_not_download(client_as, register, role):
    response = client_as(make_user(role=role, agency=register["council"])).get(
        f"/premises/report/export?quarter={QUARTER}"
    )
    assert response.status_code == 403
    assert exports() == 0


@pytest.mark.calendar
def test_a_bad_quarter_in_the_export_goes_back_to_the_report(client_as, register):
    response = client_as(make_user(role=Role.MANAGER, agency=register["council"])).get(
        "/premises/report/export?quarter=nonsense"
    )
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/premises/report?quarter=nonsense")
    assert exports() == 0


@pytest.mark.calendar
def test_the_register_still_answers_beside_the_report(client_as, register):
    """/premises/report is not a premises id: both blueprints answer their own URLs."""
    manager = client_as(make_user(role=Role.MANAGER, agency=register["council"]))
    assert manager.get(f"/premises/{register['overdue'].id}").status_code == 200
    assert manager.get("/premises/report").status_code == 200


def test_the_target_comes_from_configuration(app, client_as, register, monkeypatch):
    monkeypatch.setitem(app.config, "TLS_RED_TO_AMBER_TARGET_PERCENT", 50)
    response = client_as(make_user(role=Role.MANAGER, agency=register["council"])).get(
        f"/premises/report?quarter={QUARTER}"
    )
    rag = " ".join(response.text[response.text.index('data-testid="red-rag"') :].split("</p>")[0].split())
    assert 'govuk-tag--green"> Green </strong> against a target of 50%' in rag


@pytest.mark.calendar
def test_a_long_list_of_overdue_premises_ends_with_a_link_to_them_all(client_as, register, monkeypatch):
    monkeypatch.setattr(tls_reports, "OVERDUE_LISTED", 1)
    client = client_as(make_user(role=Role.MANAGER, agency=register["council"]))
    text = client.get("/premises/report").text
    assert cell(text, "overdue-count") == "2 premises have a deadline passed."
    assert text.count('<a class="govuk-link" href="/premises/') == 1
    assert "And 1 more premises." in text
    link = "/premises?deadline_passed=y&amp;sort=deadline-asc"
    assert f'<a class="govuk-link" href="{link}">See all 2 premises with a deadline passed in the register</a>' in text
    register_page = client.get(link.replace("&amp;", "&")).text
    assert NAME in register_page and "@SUM(A1)" in register_page


@pytest.mark.calendar
def test_no_link_when_every_overdue_premises_is_listed(client_as, register):
    text = client_as(make_user(role=Role.MANAGER, agency=register["council"])).get("/premises/report").text
    assert "overdue-more" not in text and "deadline_passed" not in text


@pytest.mark.calendar
def test_the_25_most_overdue_are_listed_and_the_register_has_the_rest(client_as, register):
    """The register fixture has 2 premises past a deadline; 24 more red ones make 26."""
    for days in range(24):
        make_premises(status=RED, status_since=datetime(2025, 6, 1, 10, tzinfo=UTC) + timedelta(days=days))
    text = client_as(make_user(role=Role.MANAGER, agency=register["council"])).get("/premises/report").text
    assert cell(text, "overdue-count") == "26 premises have a deadline passed."
    assert text.count('<a class="govuk-link" href="/premises/') == 25
    assert "And 1 more premises." in text
    assert "See all 26 premises with a deadline passed in the register" in text
