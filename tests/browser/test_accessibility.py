"""axe-core on the main pages: no serious or critical WCAG 2.2 AA violation, and the
GOV.UK and MoJ scripts run under the Content-Security-Policy without an error."""

from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from casework import db
from casework.accounts.models import User
from casework.cases.models import Case, CaseAgency, CaseParty, CaseStatus, Note
from casework.clock import utcnow
from casework.notifications.models import Notification, NotificationKind, NotificationStatus
from casework.people.models import Person
from casework.premises.models import Premises
from casework.victims.models import RiskAssessment, SlaClock
from tests.browser.conftest import ADMIN, ANALYST, MANAGER, MEMBER, Browsing
from tests.support.accessibility import BLOCKING, assert_accessible, axe_violations
from tests.support.sla_clocks import make_clock_due

pytestmark = pytest.mark.browser


def member_case_reference() -> str:
    """An open, unrestricted demo case the member's agency is involved in, with people and notes."""
    member_agency = select(User.agency_id).where(User.email == MEMBER).scalar_subquery()
    try:
        return db.session.scalars(
            select(Case.reference)
            .join(CaseAgency, CaseAgency.case_id == Case.id)
            .where(
                CaseAgency.agency_id == member_agency,
                Case.restricted.is_(False),
                select(CaseParty.id).where(CaseParty.case_id == Case.id).exists(),
                select(Note.id).where(Note.case_id == Case.id).exists(),
            )
            .order_by(Case.id)
        ).first()  # type: ignore[return-value]
    finally:
        db.session.remove()


def test_axe_reports_every_element_of_a_violation(browsing: Browsing) -> None:
    """The check itself: two unlabelled fields added to a page are both reported."""
    page = browsing.page()
    page.goto("/sign-in")
    page.evaluate(
        """() => { for (const n of [1, 2]) {
            const field = document.createElement('input');
            field.id = `unlabelled-${n}`;
            document.querySelector('main').append(field);
        } }"""
    )
    unlabelled = [v for v in axe_violations(page) if v["id"] == "label"]
    assert len(unlabelled) == 1 and unlabelled[0]["impact"] in BLOCKING
    assert [node["target"] for node in unlabelled[0]["nodes"]] == [["#unlabelled-1"], ["#unlabelled-2"]]


def test_sign_in_page(browsing: Browsing) -> None:
    page = browsing.page()
    page.goto("/sign-in")
    assert_accessible(page, browsing)


def test_sign_in_page_with_errors(browsing: Browsing) -> None:
    page = browsing.page()
    page.goto("/sign-in")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert_accessible(page, browsing)


# The demo account of each role whose home page is My work (the analyst's is the
# partnership's figures, below).
MY_WORK_ACCOUNTS = [
    MEMBER,
    "chair@demo.test",
    "licensing@demo.test",
    MANAGER,
    "partner@demo.test",
    ADMIN,
]


@pytest.mark.parametrize("email", MY_WORK_ACCOUNTS)
def test_my_work(browsing: Browsing, email: str) -> None:
    page = browsing.page(as_user=email)
    page.goto("/")
    page.get_by_role("heading", name="My work").wait_for()
    assert_accessible(page, browsing)
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_notifications(browsing: Browsing) -> None:
    page = browsing.page(as_user=MEMBER)
    page.goto("/notifications")
    page.get_by_role("heading", name="Notifications").wait_for()
    assert_accessible(page, browsing)


def test_case_list(browsing: Browsing) -> None:
    page = browsing.page(as_user=MEMBER)
    page.goto("/cases?scope=all")
    assert page.locator("#case-list tbody tr").count() > 1
    assert_accessible(page, browsing)


def test_case_page_in_full(browsing: Browsing) -> None:
    reference = member_case_reference()
    page = browsing.page(as_user=MEMBER)
    page.goto(f"/cases/{reference}")
    page.get_by_role("heading", name="People").wait_for()
    assert page.locator(".moj-timeline__item").count() >= 1
    assert page.get_by_role("button", name="Add note").is_visible()
    assert_accessible(page, browsing)


def test_open_a_case_form_with_errors(browsing: Browsing) -> None:
    page = browsing.page(as_user=MEMBER)
    page.goto("/cases/new")
    page.get_by_role("button", name="Open case").click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert_accessible(page, browsing)


def test_add_person_form(browsing: Browsing) -> None:
    page = browsing.page(as_user=MEMBER)
    page.goto(f"/cases/{member_case_reference()}/people/new")
    page.get_by_role("heading", name="Add a new person").wait_for()
    assert_accessible(page, browsing)


def test_admin_users_page(browsing: Browsing) -> None:
    page = browsing.page(as_user=ADMIN)
    page.goto("/admin/users")
    page.get_by_role("heading", name="Users", exact=True).wait_for()
    assert_accessible(page, browsing)


def test_admin_notifications_page(browsing: Browsing) -> None:
    """With a failed row, so its retry button is checked too."""
    try:
        member = db.session.scalars(select(User.id).where(User.email == MEMBER)).one()
        failed = Notification(
            user_id=member,
            kind=NotificationKind.ACTION_OVERDUE,
            link="/actions",
            reference="ACT-1",
            status=NotificationStatus.FAILED,
            attempts=1,
            last_error="SMTP recipient refused: 550",
        )
        db.session.add(failed)
        db.session.commit()
    finally:
        db.session.remove()
    page = browsing.page(as_user=ADMIN)
    page.goto("/admin/notifications")
    page.get_by_role("heading", name="Notifications", exact=True).wait_for()
    assert_accessible(page, browsing)


# --- Victims' risk and the SLA clocks --------------------------------------------------


def member_assessed_victim() -> tuple[str, int]:
    """A demo victim with an assessment, on an unrestricted case the member's agency is involved in."""
    member_agency = select(User.agency_id).where(User.email == MEMBER).scalar_subquery()
    try:
        return db.session.execute(  # type: ignore[return-value]
            select(Case.reference, RiskAssessment.person_id)
            .join(RiskAssessment, RiskAssessment.case_id == Case.id)
            .join(CaseAgency, CaseAgency.case_id == Case.id)
            .where(CaseAgency.agency_id == member_agency, Case.restricted.is_(False), Case.status == CaseStatus.OPEN)
            .order_by(Case.id)
            .limit(1)
        ).one()
    finally:
        db.session.remove()


def test_case_page_with_a_victims_level_and_clocks(browsing: Browsing) -> None:
    reference, _person_id = member_assessed_victim()
    page = browsing.page(as_user=MEMBER)
    page.goto(f"/cases/{reference}")
    page.get_by_role("heading", name="Case conferences").wait_for()
    assert_accessible(page, browsing)


def test_victims_needing_action_in_full(browsing: Browsing) -> None:
    reference, person_id = member_assessed_victim()
    try:  # an overdue clock of the member's own, taken away again after
        case = db.session.scalars(select(Case).where(Case.reference == reference)).one()
        clock = make_clock_due(
            case=case, person=db.session.get_one(Person, person_id), due_at=utcnow() - timedelta(hours=1)
        )
        made = (clock.id, clock.started_by_assessment_id)
    finally:
        db.session.remove()
    try:
        page = browsing.page(as_user=MEMBER)
        page.goto("/victims-needing-action")
        page.get_by_role("heading", name="Victims needing action").wait_for()
        assert page.locator("#victims-needing-action-list tbody tr").count() >= 1
        assert_accessible(page, browsing)
        page.set_viewport_size({"width": 390, "height": 844})
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        db.session.execute(delete(SlaClock).where(SlaClock.id == made[0]))
        db.session.execute(delete(RiskAssessment).where(RiskAssessment.id == made[1]))
        db.session.commit()
        db.session.remove()


def test_risk_assessment_form_with_errors(browsing: Browsing) -> None:
    reference, person_id = member_assessed_victim()
    page = browsing.page(as_user=MEMBER)
    page.goto(f"/cases/{reference}/victims/{person_id}/risk-assessments/new")
    page.get_by_role("button", name="Save assessment").click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert_accessible(page, browsing)


def test_risk_history(browsing: Browsing) -> None:
    reference, person_id = member_assessed_victim()
    page = browsing.page(as_user=MEMBER)
    page.goto(f"/cases/{reference}/victims/{person_id}/risk-assessments")
    assert_accessible(page, browsing)


def test_record_a_case_conference_form(browsing: Browsing) -> None:
    reference, _person_id = member_assessed_victim()
    page = browsing.page(as_user=MEMBER)
    page.goto(f"/cases/{reference}/conferences/new")
    page.get_by_role("button", name="Record conference").wait_for()
    assert_accessible(page, browsing)


@pytest.mark.parametrize("email", [MANAGER, ANALYST])
def test_sla_dashboard(browsing: Browsing, email: str) -> None:
    page = browsing.page(as_user=email)
    page.goto("/sla")
    page.get_by_role("heading", level=1).wait_for()
    assert_accessible(page, browsing)


def test_sla_clocks_due_now(browsing: Browsing) -> None:
    page = browsing.page(as_user=MANAGER)
    page.goto("/sla/due-now")
    page.get_by_role("heading", level=1).wait_for()
    assert_accessible(page, browsing)


@pytest.mark.parametrize("email, url", [(ANALYST, "/"), (MANAGER, "/figures")])
def test_partnership_figures(browsing: Browsing, email: str, url: str) -> None:
    page = browsing.page(as_user=email)
    page.goto(url)
    page.get_by_role("heading", name="Cases by quarter opened, type and status").wait_for()
    assert_accessible(page, browsing)


def test_the_analysts_home_fits_a_phone(browsing: Browsing) -> None:
    page = browsing.page(as_user=ANALYST)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/")
    page.get_by_role("heading", name="Cases by quarter opened, type and status").wait_for()
    wide = page.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 390)"
        ".map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').slice(0, 40))"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, wide


# --- Licensed premises ---------------------------------------------------------------

LICENSING = "licensing@demo.test"


def red_premises_with_history() -> int:
    """A red premises with an incident and a move on its timeline, made once in the live database."""
    from datetime import timedelta

    from casework.agencies.models import Agency
    from casework.clock import utcnow
    from casework.premises.models import (
        IncidentCategory,
        IncidentSeverity,
        IncidentSource,
        Premises,
        PremisesKind,
        TlsStatus,
    )
    from casework.premises.services import premises as premises_service

    try:
        existing = db.session.scalar(select(Premises.id).where(Premises.licence_number == "AXE-00001"))
        if existing is not None:
            return existing
        officer = db.session.scalars(select(User).where(User.email == LICENSING)).one()
        item = Premises(
            name="The Accessible Arms",
            licence_number="AXE-00001",
            kind=PremisesKind.ON_SALES,
            town="Wisbech",
            cluster="Wisbech town centre",
            status=TlsStatus.AMBER,
            status_since=utcnow() - timedelta(days=40),
        )
        db.session.add(item)
        db.session.flush()
        agency = db.session.scalars(select(Agency).where(Agency.active.is_(True)).order_by(Agency.id)).first()
        assert agency is not None
        premises_service.record_incident(
            officer,
            item.id,
            occurred_at=utcnow() - timedelta(days=3),
            reporting_agency_id=agency.id,
            source=IncidentSource.POLICE,
            category=IncidentCategory.VIOLENCE,
            severity=IncidentSeverity.HIGH,
            description="Fight at closing time",
        )
        premises_service.move_status(officer, item.id, version=item.version, to_status=TlsStatus.RED, reason="Violence")
        db.session.commit()
        return item.id
    finally:
        db.session.remove()


def test_premises_register(browsing: Browsing) -> None:
    red_premises_with_history()
    page = browsing.page(as_user=LICENSING)
    page.goto("/premises")
    page.get_by_role("link", name="The Accessible Arms").wait_for()
    assert_accessible(page, browsing)


def test_premises_page(browsing: Browsing) -> None:
    premises_id = red_premises_with_history()
    page = browsing.page(as_user=LICENSING)
    page.goto(f"/premises/{premises_id}")
    page.get_by_role("heading", name="Timeline").wait_for()
    assert_accessible(page, browsing)


def test_premises_timeline_with_its_page_links(browsing: Browsing) -> None:
    premises_id = red_premises_with_history()
    page = browsing.page(as_user=LICENSING)
    # Continuing after the epoch: every entry, with a link to older ones (the pagination).
    page.goto(f"/premises/{premises_id}/timeline?after=0-status-0")
    page.get_by_role("link", name="Older entries").wait_for()
    assert_accessible(page, browsing)


def test_move_colour_form_with_errors(browsing: Browsing) -> None:
    premises_id = red_premises_with_history()
    page = browsing.page(as_user=LICENSING)
    page.goto(f"/premises/{premises_id}/status")
    page.get_by_role("button", name="Move colour").click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert_accessible(page, browsing)


@pytest.mark.parametrize(
    ("form", "button"),
    [
        ("incidents/new", "Record incident"),
        ("visits/new", "Record visit"),
        ("hearings/new", "Record hearing"),
        ("accreditation", "Save change"),
    ],
)
def test_premises_recording_forms_with_errors(browsing: Browsing, form: str, button: str) -> None:
    premises_id = red_premises_with_history()
    page = browsing.page(as_user=LICENSING)
    page.goto(f"/premises/{premises_id}/{form}")
    # Blank the prefilled date so that every form comes back with at least one error.
    for field in page.locator("input.govuk-date-input__input, input[type=text]").all():
        field.fill("")
    page.get_by_role("button", name=button).click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert_accessible(page, browsing)


@pytest.mark.parametrize("email", [MANAGER, ANALYST])
def test_traffic_light_report(browsing: Browsing, email: str) -> None:
    red_premises_with_history()
    page = browsing.page(as_user=email)
    page.goto("/premises/report")
    page.get_by_role("heading", name="Traffic light report").wait_for()
    assert_accessible(page, browsing)


def test_premises_page_seen_through_a_linked_case(browsing: Browsing) -> None:
    """The demo PSG member opens The Drowned Eel from the case about it."""
    try:
        premises_id = db.session.scalar(select(Premises.id).where(Premises.name == "The Drowned Eel"))
    finally:
        db.session.remove()
    page = browsing.page(as_user=MEMBER)
    page.goto(f"/premises/{premises_id}")
    page.get_by_role("heading", name="Cases about this premises").wait_for()
    assert_accessible(page, browsing)


# --- Actions, PSG meetings, referrals and the delivery plan ----------------------------

CHAIR, PARTNER = "chair@demo.test", "partner@demo.test"


def member_live_action() -> int:
    """A live demo action the member's agency owes, so its page has the update form."""
    from casework.actions.models import LIVE_STATUSES, Action

    member_agency = select(User.agency_id).where(User.email == MEMBER).scalar_subquery()
    try:
        return db.session.scalars(  # type: ignore[return-value]
            select(Action.id)
            .where(Action.assigned_agency_id == member_agency, Action.status.in_(LIVE_STATUSES))
            .order_by(Action.id)
        ).first()
    finally:
        db.session.remove()


def next_meeting() -> int:
    """The demo's scheduled PSG meeting, with its generated agenda."""
    from casework.meetings.models import Meeting, MeetingKind

    try:
        return db.session.scalars(  # type: ignore[return-value]
            select(Meeting.id)
            .where(Meeting.kind == MeetingKind.PSG_MEETING, Meeting.finished_at.is_(None))
            .order_by(Meeting.held_at)
        ).first()
    finally:
        db.session.remove()


def chairs_agenda_item() -> tuple[int, int]:
    """An item of the next meeting about a case the chair's agency is involved in, so the
    chair records its minutes and decisions."""
    from casework.meetings.models import AgendaItem

    meeting_id = next_meeting()
    chair_agency = select(User.agency_id).where(User.email == CHAIR).scalar_subquery()
    try:
        return db.session.execute(  # type: ignore[return-value]
            select(AgendaItem.meeting_id, AgendaItem.id)
            .join(CaseAgency, CaseAgency.case_id == AgendaItem.case_id)
            .where(AgendaItem.meeting_id == meeting_id, CaseAgency.agency_id == chair_agency)
            .order_by(AgendaItem.position)
            .limit(1)
        ).one()
    finally:
        db.session.remove()


def new_person_referral() -> int:
    """A person referral awaiting the chair's decision."""
    from casework.referrals.models import Referral, ReferralStatus, ReferralSubject

    try:
        return db.session.scalars(  # type: ignore[return-value]
            select(Referral.id)
            .where(Referral.status == ReferralStatus.NEW, Referral.subject == ReferralSubject.PERSON)
            .order_by(Referral.id)
        ).first()
    finally:
        db.session.remove()


def referral_about_a_known_person() -> int:
    """A new referral, made once in the live database, naming someone the chair's agency
    already knows (same name and date of birth), so the chair's checks list them."""
    from casework.people.models import Person
    from casework.referrals import services as referrals
    from casework.referrals.models import Consent, Referral, ReferralSubject

    marker = "Referred to check the similar people on the chair's page."
    chair_agency = select(User.agency_id).where(User.email == CHAIR).scalar_subquery()
    try:
        existing = db.session.scalar(select(Referral.id).where(Referral.what_is_happening == marker))
        if existing is not None:
            return existing
        known = db.session.scalars(
            select(Person)
            .join(CaseParty, CaseParty.person_id == Person.id)
            .join(CaseAgency, CaseAgency.case_id == CaseParty.case_id)
            .where(Person.date_of_birth.is_not(None), CaseAgency.agency_id == chair_agency)
            .order_by(Person.id)
        ).first()
        assert known is not None
        partner = db.session.scalars(select(User).where(User.email == PARTNER)).one()
        referral = referrals.make_referral(
            partner,
            subject=ReferralSubject.PERSON,
            first_name=known.first_name,
            last_name=known.last_name,
            date_of_birth=known.date_of_birth,
            address="",
            postcode="",
            place="",
            what_is_happening=marker,
            risks="",
            consent=Consent.YES,
            consent_reason="",
        )
        db.session.commit()
        return referral.id
    finally:
        db.session.remove()


def rated_plan_action() -> int:
    """A delivery-plan action with a RAG, milestones and quarterly updates."""
    from casework.plan.models import PlanAction, PlanMilestone, PlanUpdate

    try:
        return db.session.scalars(  # type: ignore[return-value]
            select(PlanAction.id)
            .where(
                PlanAction.rag.is_not(None),
                select(PlanMilestone.id).where(PlanMilestone.plan_action_id == PlanAction.id).exists(),
                select(PlanUpdate.id).where(PlanUpdate.plan_action_id == PlanAction.id).exists(),
            )
            .order_by(PlanAction.ref)
        ).first()
    finally:
        db.session.remove()


@pytest.mark.parametrize("email", [MEMBER, PARTNER])
def test_actions_inbox(browsing: Browsing, email: str) -> None:
    page = browsing.page(as_user=email)
    page.goto("/actions")
    assert page.locator("#actions-inbox tbody tr").count() >= 1
    assert_accessible(page, browsing)


def test_overdue_actions(browsing: Browsing) -> None:
    page = browsing.page(as_user=MANAGER)
    page.goto("/actions/overdue")
    page.get_by_role("table", name="Overdue actions by agency").wait_for()
    assert_accessible(page, browsing)


def test_action_page_with_its_update_form(browsing: Browsing) -> None:
    page = browsing.page(as_user=MEMBER)
    page.goto(f"/actions/{member_live_action()}")
    page.get_by_role("button", name="Save update").wait_for()
    assert_accessible(page, browsing)


def test_action_update_with_errors(browsing: Browsing) -> None:
    page = browsing.page(as_user=MEMBER)
    page.goto(f"/actions/{member_live_action()}")
    page.get_by_role("group", name="Status").get_by_label("Done").check()
    page.get_by_role("button", name="Save update").click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert_accessible(page, browsing)


def test_new_action_form_with_errors(browsing: Browsing) -> None:
    page = browsing.page(as_user=MEMBER)
    page.goto(f"/actions/new?case={member_case_reference()}")
    page.get_by_role("button", name="Create action").click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert_accessible(page, browsing)


def test_meetings_list(browsing: Browsing) -> None:
    page = browsing.page(as_user=CHAIR)
    page.goto("/meetings")
    page.get_by_role("table", name="Upcoming meetings").wait_for()
    assert_accessible(page, browsing)


@pytest.mark.parametrize("email", [CHAIR, MEMBER])
def test_next_meeting_page(browsing: Browsing, email: str) -> None:
    page = browsing.page(as_user=email)
    page.goto(f"/meetings/{next_meeting()}")
    page.get_by_role("heading", name="Agenda", exact=True).wait_for()
    assert page.locator("section[id^=item-]").count() >= 1
    assert_accessible(page, browsing)


def test_what_did_not_fit_on_the_agenda(browsing: Browsing) -> None:
    page = browsing.page(as_user=CHAIR)
    page.goto(f"/meetings/{next_meeting()}/agenda/high-risk")
    page.get_by_role("link", name="Back to the meeting").wait_for()
    assert_accessible(page, browsing)


def test_schedule_meeting_form_with_errors(browsing: Browsing) -> None:
    page = browsing.page(as_user=CHAIR)
    page.goto("/meetings/new")
    page.get_by_role("button", name="Schedule meeting").click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert_accessible(page, browsing)


def test_minutes_form(browsing: Browsing) -> None:
    meeting_id, item_id = chairs_agenda_item()
    page = browsing.page(as_user=CHAIR)
    page.goto(f"/meetings/{meeting_id}/items/{item_id}/minutes")
    page.get_by_role("button", name="Save minutes").wait_for()
    assert_accessible(page, browsing)


def test_decision_form_with_errors(browsing: Browsing) -> None:
    meeting_id, item_id = chairs_agenda_item()
    page = browsing.page(as_user=CHAIR)
    page.goto(f"/meetings/{meeting_id}/items/{item_id}/decisions/new")
    page.get_by_role("button", name="Record decision").click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert_accessible(page, browsing)


def test_referrals_list(browsing: Browsing) -> None:
    page = browsing.page(as_user=CHAIR)
    page.goto("/referrals")
    assert page.locator("#referral-list tbody tr").count() >= 1
    assert_accessible(page, browsing)


def test_make_a_referral_form_with_errors(browsing: Browsing) -> None:
    page = browsing.page(as_user=PARTNER)
    page.goto("/referrals/new")
    page.get_by_role("button", name="Send referral").click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert_accessible(page, browsing)


def test_referral_page_with_the_chairs_forms(browsing: Browsing) -> None:
    page = browsing.page(as_user=CHAIR)
    page.goto(f"/referrals/{new_person_referral()}")
    page.get_by_role("button", name="Accept referral").wait_for()
    page.get_by_role("button", name="Decline referral").wait_for()
    assert_accessible(page, browsing)


def test_referral_page_with_similar_people(browsing: Browsing) -> None:
    page = browsing.page(as_user=CHAIR)
    page.goto(f"/referrals/{referral_about_a_known_person()}")
    page.get_by_role("table", name="Similar people and their cases").wait_for()
    assert_accessible(page, browsing)


@pytest.mark.parametrize("button", ["Accept referral", "Decline referral"])
def test_referral_decision_with_errors(browsing: Browsing, button: str) -> None:
    page = browsing.page(as_user=CHAIR)
    page.goto(f"/referrals/{new_person_referral()}")
    page.get_by_role("button", name=button).click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert_accessible(page, browsing)


def test_delivery_plan(browsing: Browsing) -> None:
    page = browsing.page(as_user=MEMBER)
    page.goto("/plan")
    page.get_by_role("heading", level=1).wait_for()
    assert_accessible(page, browsing)


def test_plan_action_page(browsing: Browsing) -> None:
    page = browsing.page(as_user=MEMBER)
    page.goto(f"/plan/actions/{rated_plan_action()}")
    page.get_by_role("heading", level=1).wait_for()
    assert_accessible(page, browsing)


def test_plan_exceptions(browsing: Browsing) -> None:
    page = browsing.page(as_user=MANAGER)
    page.goto("/plan/exceptions")
    page.get_by_role("heading", level=1).wait_for()
    assert_accessible(page, browsing)


@pytest.mark.parametrize(
    ("form", "button"),
    [
        ("priorities/new", "Save priority"),
        ("actions/new", "Save action"),
        ("actions/{id}/progress", "Save progress update"),
    ],
)
def test_plan_forms_with_errors(browsing: Browsing, form: str, button: str) -> None:
    page = browsing.page(as_user=MANAGER)
    page.goto("/plan/" + form.format(id=rated_plan_action()))
    page.get_by_role("button", name=button).click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert_accessible(page, browsing)


def test_notification_choices_page(browsing: Browsing) -> None:
    page = browsing.page(as_user=MEMBER)
    page.goto("/account/notifications")
    page.get_by_role("heading", name="Notifications", level=1).wait_for()
    assert_accessible(page, browsing)
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


# --- Pages added lately -------------------------------------------------------------------------


def test_the_analysts_figures_page(browsing: Browsing) -> None:
    page = browsing.page(as_user=ANALYST)
    page.goto("/figures")
    page.get_by_role("heading", name="Cases by quarter opened, type and status").wait_for()
    assert_accessible(page, browsing)


def someone_who_forgot_their_password() -> int:
    """An account of its own (a demo account's password must keep working for the other tests)."""
    from casework.accounts.services.passwords import hash_password
    from casework.permissions import Role

    try:
        agency_id = db.session.scalars(select(User.agency_id).where(User.email == MEMBER)).one()
        user = User(
            email=f"forgetful.{db.session.scalar(select(func.count()).select_from(User))}@example.test",
            name="Frances Forgetful",
            role=Role.PSG_MEMBER,
            agency_id=agency_id,
            password_hash=hash_password("a long browser test passphrase"),
        )
        db.session.add(user)
        db.session.commit()
        return user.id
    finally:
        db.session.remove()


# --- Requests for access, and a forgotten password -------------------------------------


def pending_access_request() -> int:
    """A request from the member for a demo case their agency is not involved in, made
    once in the live database."""
    from casework.cases.models import AccessRequest
    from casework.cases.services import commands

    try:
        existing = db.session.scalar(select(AccessRequest.id).where(AccessRequest.status == "pending"))
        if existing is not None:
            return existing
        member = db.session.scalars(select(User).where(User.email == MEMBER)).one()
        involved = select(CaseAgency.case_id).where(CaseAgency.agency_id == member.agency_id)
        reference = db.session.scalars(
            select(Case.reference).where(Case.id.not_in(involved), Case.restricted.is_(False)).order_by(Case.id)
        ).first()
        assert reference is not None
        request = commands.request_access(member, reference, reason="The family are our tenants.")
        db.session.commit()
        return request.id
    finally:
        db.session.remove()


def test_setting_a_temporary_password_with_errors_and_then_the_password_shown(browsing: Browsing) -> None:
    user_id = someone_who_forgot_their_password()
    page = browsing.page(as_user=ADMIN)
    page.goto(f"/admin/users/{user_id}/temporary-password")
    page.get_by_label("Temporary password (optional)").fill("too short")
    page.get_by_role("button", name="Set a temporary password").click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert_accessible(page, browsing)
    page.get_by_label("Temporary password (optional)").fill("")
    page.get_by_role("button", name="Set a temporary password").click()
    page.get_by_role("heading", name="Temporary password set").wait_for()
    assert page.locator("#temporary-password").inner_text()
    assert_accessible(page, browsing)


def test_share_case_form_with_errors(browsing: Browsing) -> None:
    page = browsing.page(as_user=MEMBER)
    page.goto(f"/cases/{member_case_reference()}/agencies/new")
    page.get_by_role("button", name="Share case").click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert_accessible(page, browsing)


def test_access_request_queue(browsing: Browsing) -> None:
    pending_access_request()
    page = browsing.page(as_user=MANAGER)
    page.goto("/access-requests")
    page.get_by_role("heading", name="Requests for access").wait_for()
    assert page.locator("#access-request-list tbody tr").count() >= 1
    assert_accessible(page, browsing)


def test_declining_an_access_request_with_errors(browsing: Browsing) -> None:
    request_id = pending_access_request()
    page = browsing.page(as_user=MANAGER)
    page.goto(f"/access-requests/{request_id}/decline")
    page.get_by_role("button", name="Decline request").click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert_accessible(page, browsing)


def test_forgotten_password_page_with_errors(browsing: Browsing) -> None:
    page = browsing.page()
    page.goto("/sign-in")
    page.get_by_role("link", name="I have forgotten my password").click()
    page.get_by_role("heading", name="Reset your password").wait_for()
    assert_accessible(page, browsing)
    page.get_by_role("button", name="Send a link").click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert_accessible(page, browsing)


def test_reset_password_page_with_errors(browsing: Browsing) -> None:
    from casework.accounts.services import password_reset

    token = "axe-reset-token-" + "y" * 32
    try:
        user = db.session.scalars(select(User).where(User.email == "partner@demo.test")).one()
        password_reset.issue_link(user, token)
        db.session.commit()
    finally:
        db.session.remove()
    page = browsing.page()
    page.goto(f"/sign-in/reset-password/{token}")
    page.get_by_role("heading", name="Choose a new password").wait_for()
    assert_accessible(page, browsing)
    page.get_by_label("New password", exact=True).fill("short")
    page.get_by_role("button", name="Set new password").click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert_accessible(page, browsing)
    page.goto("/sign-in/reset-password/no-such-token")
    page.get_by_role("heading", name="This link no longer works").wait_for()
    assert_accessible(page, browsing)
