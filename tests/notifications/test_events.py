"""The events that tell people: each service writes exactly the expected notifications,
for the expected users, in its own transaction; never for a deactivated user, and none
when the change is refused or rolled back."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from casework import db
from casework.accounts.services import two_factor, users
from casework.actions.models import ActionStatus
from casework.actions.services import actions
from casework.actions.services.actions import Subject
from casework.cases.models import PartyRole
from casework.clock import start_of_day, today, utcnow
from casework.exceptions import InvalidInput
from casework.meetings.models import AttendanceStatus
from casework.meetings.services import agenda, commands
from casework.notifications.models import Notification, NotificationKind
from casework.permissions import Role
from casework.referrals import services as referrals
from casework.referrals.models import Consent, ReferralSubject
from tests.factories import make_action, make_agency, make_case, make_psg_meeting, make_referral, make_user

pytestmark = pytest.mark.both_databases  # the recipients are chosen in SQL

K = NotificationKind


def told(kind: NotificationKind | None = None) -> list[tuple[int, NotificationKind, str, str, int | None]]:
    """(user, kind, link, reference, case) of every notification written, by user."""
    query = select(
        Notification.user_id, Notification.kind, Notification.link, Notification.reference, Notification.case_id
    ).order_by(Notification.user_id, Notification.id)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    return [tuple(row) for row in db.session.execute(query)]


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(Notification)) or 0


def ids(*people) -> list[int]:
    return sorted(person.id for person in people)


def recipients(kind: NotificationKind) -> list[int]:
    return sorted(row[0] for row in told(kind))


# --- Actions -----------------------------------------------------------------------


@pytest.fixture
def owed(session):
    """An agency that owes actions: who works its inbox, and who does not."""
    agency = make_agency(name="Clarion Housing")
    return {
        "agency": agency,
        "member": make_user(agency=agency),
        "partner": make_user(agency=agency, role=Role.PARTNER),
        "chair": make_user(agency=agency, role=Role.PSG_CHAIR),
        "analyst": make_user(agency=agency, role=Role.ANALYST),  # no inbox: never told
        "gone": make_user(agency=agency, active=False),
        "elsewhere": make_user(),
    }


def test_an_action_assigned_to_an_agency_tells_those_who_work_its_inbox(owed, council):
    creator = make_user(agency=council)
    case = make_case(lead_agency=council, opened_by=creator, involved=[owed["agency"]])
    action = actions.create_action(
        creator,
        Subject(case_id=case.id),
        title="Fit a door chain",
        detail="",
        assigned_agency_id=owed["agency"].id,
        assignee_id=None,
        due_on=today() + timedelta(days=14),
    )
    db.session.flush()

    rows = told()
    assert [row[0] for row in rows] == ids(owed["member"], owed["partner"], owed["chair"])
    assert {row[1:] for row in rows} == {(K.ACTION_ASSIGNED, f"/actions/{action.id}", case.reference, case.id)}
    stored = db.session.scalars(select(Notification)).first()
    assert stored.due_at == start_of_day(action.due_on)


def test_an_action_named_to_an_officer_tells_them_once_and_not_the_creator(owed):
    creator = owed["member"]
    action = actions.create_action(
        creator,
        Subject(meeting_id=make_psg_meeting(chair=owed["chair"]).id),
        title="Report back on the CCTV",
        detail="",
        assigned_agency_id=owed["agency"].id,
        assignee_id=owed["partner"].id,
        due_on=today() + timedelta(days=14),
    )
    db.session.flush()
    assert recipients(K.ACTION_ASSIGNED) == ids(owed["partner"], owed["chair"])
    assert {row[3:] for row in told()} == {(f"Action {action.id}", None)}


def _topic(chair):
    meeting = make_psg_meeting(chair=chair, held_at=utcnow() + timedelta(days=3))
    item = commands.add_item(chair, meeting.id, version=meeting.version, case_reference="", topic="Street drinking")
    db.session.flush()
    return meeting, item


def test_the_action_a_meeting_decision_creates_tells_the_agency(owed):
    chair = owed["chair"]
    meeting, item = _topic(chair)
    request = commands.ActionRequest(assigned_agency_id=owed["agency"].id, due_on=today() + timedelta(days=7))
    commands.record_decision(
        chair, meeting.id, item.id, version=meeting.version, text="Patrol the park", action=request
    )
    db.session.flush()
    assert recipients(K.ACTION_ASSIGNED) == ids(owed["member"], owed["partner"])


def test_a_refused_decision_tells_no_one(owed):
    chair = owed["chair"]
    meeting, item = _topic(chair)
    request = commands.ActionRequest(
        assigned_agency_id=owed["agency"].id, assignee_id=owed["elsewhere"].id, due_on=today() + timedelta(days=7)
    )
    with pytest.raises(InvalidInput):
        commands.record_decision(chair, meeting.id, item.id, version=meeting.version, text="Patrol", action=request)
    assert count() == 0


def test_the_notifications_of_a_change_rolled_back_go_with_it(owed):
    meeting, _item = _topic(owed["chair"])
    with pytest.raises(RuntimeError), db.session.begin_nested():
        actions.create_action(
            owed["chair"],
            Subject(meeting_id=meeting.id),
            title="Patrol the park",
            detail="",
            assigned_agency_id=owed["agency"].id,
            assignee_id=None,
            due_on=today() + timedelta(days=7),
        )
        db.session.flush()
        assert count() == 2
        raise RuntimeError("the request failed after the action was written")
    assert count() == 0


def test_a_progress_note_tells_the_creator_unless_they_wrote_it(owed, council):
    creator = make_user(agency=council)
    meeting_id = make_psg_meeting(chair=owed["chair"]).id
    action = make_action(agency=owed["agency"], created_by=creator, meeting_id=meeting_id)
    actions.update_action(owed["member"], action.id, version=action.version, status=action.status, note="Called round")
    db.session.flush()
    assert told() == [(creator.id, K.ACTION_PROGRESS, f"/actions/{action.id}", f"Action {action.id}", None)]

    # A change of status alone is not a progress note.
    actions.update_action(owed["member"], action.id, version=action.version, status=ActionStatus.IN_PROGRESS, note="")
    own = make_action(agency=owed["agency"], created_by=owed["partner"], meeting_id=meeting_id)
    actions.update_action(owed["partner"], own.id, version=own.version, status=own.status, note="Done my bit")
    db.session.flush()
    assert count() == 1


# --- Referrals ---------------------------------------------------------------------


def test_a_referral_made_tells_the_chairs_and_its_decision_tells_the_referrer(council, police):
    chairs = [make_user(agency=council, role=Role.PSG_CHAIR), make_user(agency=police, role=Role.PSG_CHAIR)]
    make_user(agency=council, role=Role.PSG_CHAIR, active=False)
    make_user(agency=council)  # a member decides nothing
    referrer = make_user(agency=police)
    referral = referrals.make_referral(
        referrer,
        subject=ReferralSubject.PLACE,
        first_name="",
        last_name="",
        date_of_birth=None,
        address="",
        postcode="",
        place="The underpass, Wisbech",
        what_is_happening="Groups gathering after dark",
        risks="",
        consent=Consent.YES,
        consent_reason="",
    )
    db.session.flush()
    assert told() == [
        (chair.id, K.REFERRAL_MADE, f"/referrals/{referral.id}", f"Referral {referral.id}", None) for chair in chairs
    ]

    referrals.decline_referral(chairs[0], referral.id, version=referral.version, reason="Already known")
    db.session.flush()
    assert told(K.REFERRAL_DECIDED) == [
        (referrer.id, K.REFERRAL_DECIDED, f"/referrals/{referral.id}", f"Referral {referral.id}", None)
    ]


def test_an_accepted_referral_tells_the_referrer(council, police):
    chair = make_user(agency=council, role=Role.PSG_CHAIR)
    referrer = make_user(agency=police)
    referral = make_referral(referrer=referrer)
    case = make_case(lead_agency=council, opened_by=chair)
    referrals.accept_referral(
        chair,
        referral.id,
        version=referral.version,
        reference_prefix="ASB",
        existing_case=case.reference,
        person=referrals.ReferredPerson(role=PartyRole.VICTIM),
    )
    db.session.flush()
    assert recipients(K.REFERRAL_DECIDED) == [referrer.id]


# --- PSG meetings ------------------------------------------------------------------


def test_an_agenda_tells_every_agency_once_and_the_minutes_tell_those_who_attended(council, police):
    chair = make_user(agency=council, role=Role.PSG_CHAIR)
    council_member, police_member = make_user(agency=council), make_user(agency=police)
    manager = make_user(agency=police, role=Role.MANAGER)
    make_user(agency=police, role=Role.PARTNER)  # does not see meetings
    make_user(agency=police, active=False)
    make_user(agency=make_agency(active=False))
    meeting = make_psg_meeting(chair=chair, held_at=utcnow())

    agenda.generate_agenda(chair, meeting.id)
    agenda.generate_agenda(chair, meeting.id)  # generating again tells no one again
    db.session.flush()
    assert recipients(K.AGENDA_PUBLISHED) == ids(council_member, police_member, manager)
    assert {row[2] for row in told()} == {f"/meetings/{meeting.id}"}

    commands.record_attendance(
        chair, meeting.id, version=meeting.version, statuses={police.id: AttendanceStatus.APOLOGIES}
    )
    commands.finish_meeting(chair, meeting.id, version=meeting.version)
    db.session.flush()
    assert recipients(K.MINUTES_FINISHED) == ids(police_member, manager)


def test_a_meeting_that_cannot_be_finished_tells_no_one(council):
    chair = make_user(agency=council, role=Role.PSG_CHAIR)
    make_user(agency=council)
    meeting = make_psg_meeting(chair=chair, held_at=utcnow() + timedelta(days=2))
    with pytest.raises(Exception, match="has not been held yet"):
        commands.finish_meeting(chair, meeting.id, version=meeting.version)
    assert count() == 0


# --- Accounts ------------------------------------------------------------------------


@pytest.fixture
def admin(council):
    return make_user(agency=council, role=Role.ADMIN)


@pytest.mark.parametrize(
    "change",
    [
        lambda admin, user: users.set_temporary_password(admin, user.id, version=user.version),
        lambda admin, user: two_factor.reset(admin, user.id, version=user.version),
        lambda admin, user: users.sign_out_everywhere(admin, user.id, version=user.version),
        lambda admin, user: users.update_user(
            admin,
            user.id,
            version=user.version,
            name=user.name,
            email=user.email,
            agency_id=user.agency_id,
            role=Role.PSG_CHAIR,
        ),
    ],
    ids=["temporary-password", "second-factor-reset", "signed-out-everywhere", "role-changed"],
)
def test_account_changes_tell_the_user_and_never_a_deactivated_one(admin, council, change):
    user, gone = make_user(agency=council), make_user(agency=council, active=False)
    change(admin, user)
    change(admin, gone)
    db.session.flush()
    assert told() == [(user.id, K.ACCOUNT_CHANGED, "/", "", None)]
    assert K.ACCOUNT_CHANGED.mandatory


def test_changing_a_name_is_not_an_account_change_to_tell(admin, council):
    user = make_user(agency=council)
    users.update_user(
        admin,
        user.id,
        version=user.version,
        name="New Name",
        email=user.email,
        agency_id=user.agency_id,
        role=user.role,
    )
    db.session.flush()
    assert count() == 0


def test_an_account_change_refused_leaves_no_notification(admin):
    with pytest.raises(InvalidInput):
        users.set_temporary_password(admin, admin.id, version=admin.version)
    assert count() == 0
