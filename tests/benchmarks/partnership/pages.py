"""The pages and write paths the benchmark times: one line each.

A page is a name, the demo account that uses it, a method, a URL (or a function that
finds it in the data) and a budget. A write path also has the form it sends; its URL
and form are worked out afresh before each request (outside the timing), so each
request has something to do: a new referral to accept, the meeting's current version.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from casework import db
from casework.accounts.models import User
from casework.actions.models import Action
from casework.cases.models import Case, CaseAgency, CaseParty
from casework.clock import utcnow
from casework.home.services import victim_clocks
from casework.meetings.models import Meeting, MeetingKind
from casework.premises.models import Premises, PremisesIncident
from casework.referrals.models import Referral
from casework.victims.models import RiskAssessment
from tests.benchmarks.partnership.dataset import FILTERED_TOWN, QUEUE_ADDRESS
from tests.support.victims import LOWEST, date_and_time

BUDGET_MS = 50.0
PER_PAGE = 25


class Finder:
    """Looks up, in the dataset, the objects the pages are about."""

    def __init__(self, clients: dict[str, FlaskClient]) -> None:
        self.clients = clients

    def user(self, account: str) -> User:
        user = db.session.scalar(sa.select(User).where(User.email == f"{account}@demo.test"))
        assert user is not None, account
        return user

    def last_page(self, rows: int, at_most: int = 100) -> int:
        """Page 100, or the last full page where there are fewer (SMALL): a full page, so
        that both sizes show as many rows (the very last page may show only a few)."""
        return max(1, min(at_most, rows // PER_PAGE))

    def count(self, model: type) -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0

    def owed(self, account: str) -> int:
        """The actions the account's agency owes (its inbox, any status)."""
        agency = self.user(account).agency_id
        return db.session.scalar(sa.select(sa.func.count()).where(Action.assigned_agency_id == agency)) or 0

    def needing_action_listed(self) -> int:
        """The clocks the member's full list of victims needing action shows on its first
        page: a page of 50 at LARGE, the few there are at SMALL."""
        page = victim_clocks.page_of(self.user("member"), utcnow(), page=1, per_page=victim_clocks.PER_PAGE)
        return len(page.items)

    @cached_property
    def member_case(self) -> tuple[str, int]:
        """The member's agency's latest open case with a victim: its reference and victim."""
        agency = self.user("member").agency_id
        row = db.session.execute(
            sa.select(Case.reference, CaseParty.person_id)
            .join(CaseAgency, CaseAgency.case_id == Case.id)
            .join(CaseParty, CaseParty.case_id == Case.id)
            .where(
                CaseAgency.agency_id == agency,
                Case.status == "open",
                Case.restricted.is_(False),
                CaseParty.role == "victim",
            )
            .order_by(Case.id.desc())
            .limit(1)
        ).one()
        return row[0], row[1]

    @cached_property
    def assessed_victim(self) -> tuple[str, int]:
        """A victim on a case the member's agency is involved in, with the most assessments."""
        agency = self.user("member").agency_id
        row = db.session.execute(
            sa.select(Case.reference, RiskAssessment.person_id)
            .join(RiskAssessment, RiskAssessment.case_id == Case.id)
            .join(CaseAgency, CaseAgency.case_id == Case.id)
            .where(CaseAgency.agency_id == agency, Case.restricted.is_(False))
            .group_by(Case.reference, RiskAssessment.person_id)
            .order_by(sa.func.count().desc())
            .limit(1)
        ).one()
        return row[0], row[1]

    @cached_property
    def subject(self) -> int:
        """The person on the most cases (the subject of the subject access export)."""
        return db.session.scalar(
            sa.select(CaseParty.person_id).group_by(CaseParty.person_id).order_by(sa.func.count().desc()).limit(1)
        )  # type: ignore[return-value]

    def subject_records(self) -> int:
        """The records the subject access export lists (every entry of every list in it):
        what the export must show, which grows with the person's history, not the code."""
        response = self.clients["admin"].get(f"/people/{self.subject}/subject-access/download")
        return _entries(response.get_json())

    def due_now_rows(self) -> int:
        """The clocks the first page of every clock due now lists: at most a page (50)
        at LARGE, every one (about 17) at SMALL, so the page is judged per row shown."""
        page = self.clients["manager"].get("/sla/due-now").text
        return page.count('<td class="govuk-table__cell casework-nowrap">')

    @cached_property
    def busiest_premises(self) -> int:
        return db.session.scalar(
            sa.select(PremisesIncident.premises_id)
            .group_by(PremisesIncident.premises_id)
            .order_by(sa.func.count().desc())
            .limit(1)
        )  # type: ignore[return-value]

    @cached_property
    def owed_action(self) -> int:
        """The latest open action the member's agency owes on an open case it may see
        (not on the plan), so that both sizes show the same kind of page."""
        agency = self.user("member").agency_id
        return db.session.scalar(
            sa.select(Action.id)
            .join(Case, Case.id == Action.case_id)
            .where(
                Action.assigned_agency_id == agency,
                Action.status == "open",
                Case.status == "open",
                Case.restricted.is_(False),
            )
            .order_by(Action.id.desc())
            .limit(1)
        )  # type: ignore[return-value]

    def next_meeting(self) -> Meeting:
        meeting = db.session.scalar(
            sa.select(Meeting)
            .where(Meeting.kind == MeetingKind.PSG_MEETING, Meeting.finished_at.is_(None))
            .order_by(Meeting.held_at)
            .limit(1)
        )
        assert meeting is not None
        return meeting

    def new_referral(self) -> Referral:
        """The oldest referral still new in the queue the dataset holds for this."""
        referral = db.session.scalar(
            sa.select(Referral)
            .where(
                Referral.status == "new",
                Referral.referrer_id == self.user("partner").id,
                Referral.address.endswith(QUEUE_ADDRESS),
            )
            .order_by(Referral.id)
            .limit(1)
        )
        assert referral is not None, "the queue of new referrals is empty"
        return referral

    @cached_property
    def search_url(self) -> str:
        """The case list's URL for a text search, as the search form leaves it."""
        response = self.clients["member"].post("/cases/search", data={"text": "intimidation", "scope": "all"})
        assert response.status_code in (302, 303), response.status_code
        return response.location


Url = str | Callable[[Finder], str]
Form = Callable[[Finder], dict[str, Any]]


@dataclass(frozen=True)
class Page:
    name: str
    account: str  # the demo account (member, chair, licensing, manager, partner, analyst, admin)
    url: Url
    method: str = "GET"
    form: Form | None = None  # for POST: the form of the next request
    budget_ms: float = BUDGET_MS
    expect: tuple[int, ...] = (200,)
    tags: tuple[str, ...] = field(default=())
    # A page that must list every record of something: LARGE is judged against SMALL per
    # record listed, as its records differ in number at the two sizes.
    records: Callable[[Finder], int] | None = None

    def request(self, finder: Finder) -> tuple[str, dict[str, Any] | None]:
        url = self.url if isinstance(self.url, str) else self.url(finder)
        return url, self.form(finder) if self.form else None


def _entries(data: object) -> int:
    if isinstance(data, dict):
        return sum(_entries(value) for value in data.values())
    if isinstance(data, list):
        return len(data) + sum(_entries(value) for value in data)
    return 0


def _case(finder: Finder) -> str:
    return f"/cases/{finder.member_case[0]}"


def _note(_finder: Finder) -> dict[str, Any]:
    return {"kind": "note", "body": "Spoke to the victim; the noise has stopped since the warning."}


def _assessment_url(finder: Finder) -> str:
    reference, person = finder.member_case
    return f"/cases/{reference}/victims/{person}/risk-assessments/new"


def _assessment(finder: Finder) -> dict[str, Any]:
    html = finder.clients["member"].get(_assessment_url(finder)).get_data(as_text=True)
    matrix = re.search(r'name="matrix_id" type="hidden" value="(\d+)"', html)
    assert matrix, "no matrix_id on the risk assessment form"
    return {
        "matrix_id": matrix.group(1),
        **date_and_time("assessed", utcnow() - timedelta(hours=1)),
        **{f"q_{question}": option for question, option in LOWEST.items()},
        "override_level": "",
        "override_reason": "",
    }


def _accept_url(finder: Finder) -> str:
    return f"/referrals/{finder.new_referral().id}/accept"


def _acceptance(finder: Finder) -> dict[str, Any]:
    referral = finder.new_referral()
    return {
        "accept-version": str(referral.version),
        "accept-person_id": "new",
        "accept-role": "victim",
        "accept-into": "new",
        "accept-case_reference": "",
        "accept-case_type": "victim",
        "accept-title": "Youths gathering and shouting abuse",
        "accept-lead_agency_id": str(finder.user("chair").agency_id),
    }


def _agenda(finder: Finder) -> dict[str, Any]:
    return {"version": str(finder.next_meeting().version)}


def _admin_audit(query: Callable[[Finder], str]) -> Callable[[Finder], str]:
    return lambda finder: f"/admin/audit?{query(finder)}"


REDIRECT = (302, 303)
SUBJECT_ACCESS_MS = 1_000.0

PAGES: list[Page] = [
    # My work, for every role
    *(
        Page(f"My work ({account})", account, "/")
        for account in ("member", "chair", "licensing", "manager", "partner", "analyst", "admin")
    ),
    Page(
        "Victims needing action, the full list",
        "member",
        "/victims-needing-action",
        records=Finder.needing_action_listed,
    ),
    # The case list
    Page("Case list, a member's default", "member", "/cases"),
    Page("Case list, page 100", "member", lambda f: f"/cases?scope=all&page={f.last_page(f.count(Case))}"),
    Page("Case list, filtered", "member", f"/cases?scope=all&status=open&case_type=victim&town={FILTERED_TOWN}"),
    Page("Case list, text search", "member", lambda f: f.search_url),
    # A case and what hangs off it
    Page("Case page", "member", _case),
    Page("Person page", "member", lambda f: f"/people/{f.member_case[1]}"),
    Page(
        "Risk history",
        "member",
        lambda f: f"/cases/{f.assessed_victim[0]}/victims/{f.assessed_victim[1]}/risk-assessments",
    ),
    Page("Action page", "member", lambda f: f"/actions/{f.owed_action}"),
    # Actions
    Page("Action inbox", "member", "/actions"),
    Page("Action inbox, page 100", "member", lambda f: f"/actions?status=all&page={f.last_page(f.owed('member'))}"),
    Page("Overdue actions", "manager", "/actions/overdue"),
    # Dashboards and reports
    Page("SLA dashboard", "manager", "/sla"),
    Page("SLA clocks due now", "manager", "/sla/due-now", records=Finder.due_now_rows),
    Page("TLS report", "manager", "/premises/report"),
    Page("Premises register", "licensing", "/premises"),
    Page("Premises register, page 100", "licensing", lambda f: f"/premises?page={f.last_page(f.count(Premises))}"),
    Page("Premises, deadline passed", "licensing", "/premises?deadline_passed=y"),
    Page("Premises, suggestion differs", "licensing", "/premises?suggestion_differs=y"),
    Page("Premises page", "licensing", lambda f: f"/premises/{f.busiest_premises}"),
    Page("The plan", "manager", "/plan"),
    # Referrals, meetings
    Page("Referrals", "chair", "/referrals"),
    Page("Referral page", "chair", lambda f: f"/referrals/{f.new_referral().id}"),
    Page("Meetings", "chair", "/meetings"),
    # Notifications and requests for access
    Page("Notifications", "member", "/notifications"),
    Page("Notifications (admin)", "admin", "/admin/notifications"),
    Page("Requests for access", "chair", "/access-requests"),
    # The audit log
    Page("Audit log, unfiltered", "admin", "/admin/audit"),
    Page("Audit log, a person", "admin", _admin_audit(lambda f: f"person={f.subject}")),
    Page("Audit log, a case", "admin", _admin_audit(lambda f: f"case={f.member_case[0]}")),
    # Subject access
    Page(
        "Subject access export",
        "admin",
        lambda f: f"/people/{f.subject}/subject-access",
        budget_ms=SUBJECT_ACCESS_MS,
        records=Finder.subject_records,
    ),
    Page(
        "Subject access, JSON",
        "admin",
        lambda f: f"/people/{f.subject}/subject-access/download",
        budget_ms=SUBJECT_ACCESS_MS,
        records=Finder.subject_records,
    ),
    # Write paths
    Page("Add a note (POST)", "member", lambda f: f"{_case(f)}/notes", "POST", _note, expect=REDIRECT),
    Page("Record a risk assessment (POST)", "member", _assessment_url, "POST", _assessment, expect=REDIRECT),
    Page("Accept a referral (POST)", "chair", _accept_url, "POST", _acceptance, expect=REDIRECT),
    Page(
        "Generate a PSG agenda (POST)",
        "chair",
        lambda f: f"/meetings/{f.next_meeting().id}/agenda/generate",
        "POST",
        _agenda,
        expect=REDIRECT,
    ),
    Page("Meeting page, after the agenda", "chair", lambda f: f"/meetings/{f.next_meeting().id}"),
]
