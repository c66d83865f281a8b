"""The actions services called directly: the RAG rule, creating an action on each kind of
subject with every refusal, and the assigned agency moving an action on."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from casework import db
from casework.actions.models import Action, ActionStatus, ActionUpdate
from casework.actions.services import action_lists, actions
from casework.actions.services.actions import DueDateInPast, Subject, SubjectKind, rag
from casework.audit.models import AuditEvent
from casework.clock import today
from casework.exceptions import EditConflict, InvalidInput, NotFound, PermissionDenied
from casework.permissions import Role
from casework.rag import Rag
from tests.factories import (
    make_action,
    make_agency,
    make_plan_item,
    make_premises,
    make_psg_meeting,
    make_user,
)

pytestmark = pytest.mark.both_databases

TODAY = date(2026, 3, 16)


def in_two_weeks() -> date:
    """A due date that needs no warning, wherever the test's clock stands."""
    return today() + timedelta(days=14)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def written() -> tuple[int, int, int]:
    """Actions, updates and audit events stored, to check a refusal wrote nothing."""
    return count(Action), count(ActionUpdate), count(AuditEvent)


# --- RAG ---------------------------------------------------------------------------------


@pytest.mark.calendar
@pytest.mark.parametrize(
    ("due_on", "expected"),
    [
        (TODAY - timedelta(days=1), Rag.RED),
        (TODAY, Rag.AMBER),
        (TODAY + timedelta(days=7), Rag.AMBER),
        (TODAY + timedelta(days=8), Rag.GREEN),
    ],
)
@pytest.mark.parametrize("status", [ActionStatus.OPEN, ActionStatus.IN_PROGRESS])
def test_live_actions_are_red_when_overdue_amber_within_seven_days_and_green_after(due_on, expected, status):
    assert rag(status, due_on, TODAY) is expected


@pytest.mark.calendar
@pytest.mark.parametrize("status", [ActionStatus.DONE, ActionStatus.CANCELLED])
@pytest.mark.parametrize("days", [-30, 0, 30])
def test_finished_actions_have_no_rag(status, days):
    assert rag(status, TODAY + timedelta(days=days), TODAY) is None


# --- Creating ----------------------------------------------------------------------------


def create(actor, subject, **overrides):
    values = {
        "title": "Visit the victim",
        "detail": "With the PCSO",
        "assigned_agency_id": None,
        "assignee_id": None,
        "due_on": in_two_weeks(),
    }
    values.update(overrides)
    return actions.create_action(actor, subject, **values)


@pytest.mark.parametrize("kind", list(SubjectKind))
def test_an_action_can_be_created_on_each_kind_of_subject(kind, member, council, police, case):
    subject_id = {
        SubjectKind.CASE: lambda: case.id,
        SubjectKind.PREMISES: lambda: make_premises().id,
        SubjectKind.MEETING: lambda: make_psg_meeting(chair=member).id,
        SubjectKind.PLAN: lambda: make_plan_item(lead_agency=council).id,
    }[kind]()
    chair = make_user(role=Role.PSG_CHAIR, agency=council)  # sees premises, meetings and the plan
    assignee = make_user(agency=police, name="PC Jones")

    action = create(chair, Subject.of(kind, subject_id), assigned_agency_id=police.id, assignee_id=assignee.id)
    db.session.commit()

    stored = db.session.get(Action, action.id)
    assert getattr(stored, kind.column.key) == subject_id
    assert (stored.title, stored.detail, stored.status, stored.due_on) == (
        "Visit the victim",
        "With the PCSO",
        ActionStatus.OPEN,
        in_two_weeks(),
    )
    assert (stored.assigned_agency_id, stored.assignee_id, stored.created_by_id) == (police.id, assignee.id, chair.id)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "action.created")).one()
    assert (event.object_id, event.actor_id) == (action.id, chair.id)
    assert event.case_id == (case.id if kind is SubjectKind.CASE else None)
    assert event.detail["agency"] == "Cambridgeshire Constabulary"


def test_a_case_action_may_be_created_only_by_someone_who_sees_the_case_in_full(case, police):
    stranger = make_user(agency=make_agency(name="Clarion Housing"))  # sees only the stub
    before = written()
    with pytest.raises(NotFound):
        create(stranger, Subject(case_id=case.id), assigned_agency_id=police.id)
    assert written() == before


def test_a_partner_who_sees_the_case_may_not_create_actions(case, police):
    partner = make_user(role=Role.PARTNER, agency=police)
    with pytest.raises(PermissionDenied):
        create(partner, Subject(case_id=case.id), assigned_agency_id=police.id)


def test_someone_who_cannot_see_the_subject_gets_not_found_before_any_role_check(case, police):
    analyst = make_user(role=Role.ANALYST, agency=police)
    with pytest.raises(NotFound):
        actions.subject_to_act_on(analyst, case_reference=case.reference)
    with pytest.raises(NotFound):
        actions.subject_to_act_on(make_user(role=Role.PARTNER, agency=police), premises_id=make_premises().id)


def test_the_subject_to_act_on_is_named_as_its_pages_name_it(case, member, council):
    chair = make_user(role=Role.PSG_CHAIR, agency=council)
    premises = make_premises(name="The Crown")
    item = make_plan_item(lead_agency=council, ref="2.1.4")
    assert actions.subject_to_act_on(member, case_reference=case.reference.lower()).text == case.reference
    assert actions.subject_to_act_on(chair, premises_id=premises.id).text == "The Crown"
    assert actions.subject_to_act_on(chair, plan_action_id=item.id).text == "2.1.4"
    with pytest.raises(NotFound):
        actions.subject_to_act_on(chair)  # no subject at all
    with pytest.raises(NotFound):
        actions.subject_to_act_on(chair, premises_id=premises.id, plan_action_id=item.id)


@pytest.mark.parametrize(
    ("agency_id", "message"),
    [
        (lambda agencies: 999_999, "Select the agency the action is assigned to"),
        (lambda agencies: agencies["inactive"].id, "Old Agency is no longer an active agency: select another agency"),
        (
            lambda agencies: agencies["housing"].id,
            "Clarion Housing is not involved in this case: add the agency to the case first",
        ),
    ],
    ids=["missing", "inactive", "not involved"],
)
def test_the_assigned_agency_must_exist_be_active_and_be_involved_in_the_case(agency_id, message, member, case):
    agencies = {
        "inactive": make_agency(name="Old Agency", active=False),
        "housing": make_agency(name="Clarion Housing"),
    }
    before = written()
    with pytest.raises(InvalidInput) as refused:
        create(member, Subject(case_id=case.id), assigned_agency_id=agency_id(agencies))
    assert (refused.value.field, refused.value.message) == ("assigned_agency_id", message)
    assert written() == before


def test_any_active_agency_may_be_assigned_an_action_on_a_premises(council):
    chair = make_user(role=Role.PSG_CHAIR, agency=council)
    housing = make_agency(name="Clarion Housing")
    action = create(chair, Subject(premises_id=make_premises().id), assigned_agency_id=housing.id)
    assert action.assigned_agency_id == housing.id


def test_the_assigned_officer_must_belong_to_the_assigned_agency(member, council, police, case):
    elsewhere = make_user(agency=council, name="Alex Council")
    before = written()
    with pytest.raises(InvalidInput) as refused:
        create(member, Subject(case_id=case.id), assigned_agency_id=police.id, assignee_id=elsewhere.id)
    assert refused.value.field == "assignee_id"
    assert refused.value.message == (
        "Alex Council works for Fenland District Council, not Cambridgeshire Constabulary: "
        "choose an officer from Cambridgeshire Constabulary, or nobody"
    )
    assert written() == before


def test_an_inactive_officer_cannot_be_assigned(member, police, case):
    gone = make_user(agency=police, active=False)
    with pytest.raises(InvalidInput) as refused:
        create(member, Subject(case_id=case.id), assigned_agency_id=police.id, assignee_id=gone.id)
    assert refused.value.field == "assignee_id"


def test_an_officer_without_an_inbox_cannot_be_assigned(member, police, case):
    analyst = make_user(agency=police, role=Role.ANALYST, name="Ana Lyst")
    before = written()
    with pytest.raises(InvalidInput) as refused:
        create(member, Subject(case_id=case.id), assigned_agency_id=police.id, assignee_id=analyst.id)
    assert refused.value.field == "assignee_id"
    assert refused.value.message.startswith("Ana Lyst cannot be given actions")
    assert written() == before


def test_a_title_is_needed(member, police, case):
    with pytest.raises(InvalidInput) as refused:
        create(member, Subject(case_id=case.id), assigned_agency_id=police.id, title="   ")
    assert refused.value.field == "title"


@pytest.mark.calendar
def test_a_due_date_in_the_past_is_allowed(member, police, case):
    yesterday = today() - timedelta(days=1)
    action = create(member, Subject(case_id=case.id), assigned_agency_id=police.id, due_on=yesterday)
    assert action.due_on == yesterday


@pytest.mark.calendar
def test_a_past_due_date_is_refused_until_confirmed_when_asked_to_warn(member, police, case):
    yesterday = today() - timedelta(days=1)
    before = written()
    with pytest.raises(DueDateInPast):
        create(
            member,
            Subject(case_id=case.id),
            assigned_agency_id=police.id,
            due_on=yesterday,
            warn_if_due_before=today(),
        )
    assert written() == before
    due_today = create(
        member, Subject(case_id=case.id), assigned_agency_id=police.id, due_on=today(), warn_if_due_before=today()
    )
    assert due_today.due_on == today()


@pytest.mark.calendar
def test_the_other_checks_come_before_the_past_due_warning(member, case):
    housing = make_agency(name="Clarion Housing")
    with pytest.raises(InvalidInput) as refused:
        create(
            member,
            Subject(case_id=case.id),
            assigned_agency_id=housing.id,
            due_on=today() - timedelta(days=3),
            warn_if_due_before=today(),
        )
    assert not isinstance(refused.value, DueDateInPast)
    assert refused.value.field == "assigned_agency_id"


def test_a_case_offers_only_its_involved_active_agencies_and_their_officers(member, council, police, case):
    officer = make_user(agency=police, name="PC Jones")
    make_user(agency=police, name="PC Gone", active=False)
    make_user(agency=make_agency(name="Clarion Housing"), name="Housing Officer")
    choices = actions.assignment_choices(member, actions.subject_to_act_on(member, case_reference=case.reference))
    assert [agency.name for agency in choices.agencies] == ["Cambridgeshire Constabulary", "Fenland District Council"]
    assert [user.name for user in choices.officers] == [officer.name, "Sam Officer"]


# --- Updating ----------------------------------------------------------------------------


@pytest.fixture
def action(case, police, member):
    return make_action(case=case, agency=police, created_by=member, due_on=in_two_weeks())


@pytest.mark.parametrize("role", [Role.PSG_MEMBER, Role.PARTNER, Role.LICENSING_OFFICER, Role.PSG_CHAIR])
def test_any_user_of_the_assigned_agency_moves_the_action_on(role, action, police):
    user = make_user(role=role, agency=police)
    actions.update_action(user, action.id, version=1, status=ActionStatus.IN_PROGRESS, note="Visit booked")
    db.session.commit()

    stored = db.session.get(Action, action.id)
    assert (stored.status, stored.version) == (ActionStatus.IN_PROGRESS, 2)
    update = db.session.scalars(select(ActionUpdate).where(ActionUpdate.action_id == action.id)).one()
    assert (update.from_status, update.to_status, update.note, update.author_id) == (
        ActionStatus.OPEN,
        ActionStatus.IN_PROGRESS,
        "Visit booked",
        user.id,
    )
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "action.updated")).one()
    assert event.detail == {"from": "open", "to": "in_progress", "note": True}
    assert event.case_id == action.case_id


@pytest.mark.calendar
def test_a_progress_note_alone_keeps_the_status(action, police):
    user = make_user(role=Role.PARTNER, agency=police)
    actions.update_action(user, action.id, version=1, status=ActionStatus.OPEN, note="Left a card")
    update = db.session.scalars(select(ActionUpdate)).one()
    assert (update.from_status, update.to_status, update.note) == (None, None, "Left a card")
    assert db.session.get(Action, action.id).status is ActionStatus.OPEN


def test_nothing_to_save_is_refused(action, police):
    with pytest.raises(InvalidInput) as refused:
        actions.update_action(make_user(agency=police), action.id, version=1, status=ActionStatus.OPEN, note=" ")
    assert refused.value.field == "note"


def test_marking_done_needs_a_completion_note_which_is_kept(action, police):
    user = make_user(agency=police)
    before = written()
    with pytest.raises(InvalidInput) as refused:
        actions.update_action(user, action.id, version=1, status=ActionStatus.DONE, note="")
    assert (refused.value.field, refused.value.message) == ("note", "Say what was done: add a completion note")
    assert written() == before

    actions.update_action(user, action.id, version=1, status=ActionStatus.DONE, note="Victim visited")
    stored = db.session.get(Action, action.id)
    assert (stored.status, stored.completion_note) == (ActionStatus.DONE, "Victim visited")
    assert stored.completed_at is not None


def test_reopening_a_done_action_clears_its_completion(action, police):
    user = make_user(agency=police)
    actions.update_action(user, action.id, version=1, status=ActionStatus.DONE, note="Visited")
    actions.update_action(user, action.id, version=2, status=ActionStatus.OPEN, note="Victim called again")
    stored = db.session.get(Action, action.id)
    assert (stored.status, stored.completion_note, stored.completed_at) == (ActionStatus.OPEN, "", None)


@pytest.mark.calendar
def test_another_agency_that_sees_the_action_may_not_update_it(action, council):
    # The council leads the case, so it sees the action, but the police owe it.
    user = make_user(agency=council)
    assert actions.get_action(user, action.id) == action
    before = written()
    with pytest.raises(PermissionDenied):
        actions.update_action(user, action.id, version=1, status=ActionStatus.DONE, note="Done")
    assert written() == before


def test_an_agency_that_does_not_see_the_action_gets_not_found(action):
    user = make_user(role=Role.PARTNER, agency=make_agency(name="Clarion Housing"))
    with pytest.raises(NotFound):
        actions.update_action(user, action.id, version=1, status=ActionStatus.DONE, note="Done")
    with pytest.raises(NotFound):
        actions.get_action(user, action.id)


def test_a_stale_version_is_refused(action, police):
    first, second = make_user(agency=police), make_user(agency=police)
    actions.update_action(first, action.id, version=1, status=ActionStatus.IN_PROGRESS, note="")
    db.session.commit()
    before = written()
    with pytest.raises(EditConflict):
        actions.update_action(second, action.id, version=1, status=ActionStatus.CANCELLED, note="No longer needed")
    assert written() == before
    assert db.session.get(Action, action.id).status is ActionStatus.IN_PROGRESS


@pytest.mark.parametrize("live", [0, 3, 24, 25, 26, 27, 60])
def test_every_page_of_live_and_finished_actions_lists_each_once_in_order(session, live):
    """Pages among the live actions read no finished ones (the live count the database
    keeps says where they end); pages across or after the boundary still list every
    action once, in order, with due dates shared by many."""
    officer = make_user(agency=make_agency())
    day = date(2026, 12, 1)
    statuses = [(ActionStatus.OPEN, ActionStatus.IN_PROGRESS)[index % 2] for index in range(live)]
    statuses += [(ActionStatus.DONE, ActionStatus.CANCELLED)[index % 2] for index in range(40)]
    premises = make_premises()
    made = [
        make_action(
            agency=officer.agency, created_by=officer, premises=premises, status=status,
            due_on=day + timedelta(days=index % 3),
        )
        for index, status in enumerate(statuses)
    ]  # fmt: skip
    live_first = sorted((a for a in made if a.status.is_live), key=lambda a: (a.due_on, a.id))
    finished_after = sorted((a for a in made if not a.status.is_live), key=lambda a: (a.due_on, a.id), reverse=True)
    listed, number = [], 1
    while True:
        criteria = action_lists.InboxFilter(statuses=tuple(ActionStatus), page=number)
        page = action_lists.inbox(officer, criteria, today=day)
        listed += [row.action.id for row in page.items]
        if not page.has_next:
            break
        number += 1
    assert listed == [action.id for action in live_first + finished_after]
