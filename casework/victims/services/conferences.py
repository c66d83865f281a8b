"""Case conferences: a meeting about one case, which meets the 72-hour clock."""

from datetime import datetime, timedelta

from sqlalchemy import select

from casework import db
from casework.accounts.models import User
from casework.agencies.models import Agency
from casework.audit import services as audit
from casework.cases.models import Case, CaseAgency
from casework.cases.services.lookup import get_case
from casework.clock import utcnow
from casework.dates import DEFAULT_BOUNDS, DateBounds, check_floor, floor
from casework.exceptions import Checks
from casework.meetings.models import AttendanceStatus, Meeting, MeetingAttendance, MeetingKind
from casework.people.models import Person
from casework.permissions import Permission
from casework.victims.models import RiskAssessment
from casework.victims.services import backdating, sla

CLOCK_SKEW = timedelta(minutes=2)


def attendance_choices(actor: User, reference: str) -> tuple[Case, list[Agency]]:
    """The case, and the active agencies for its attendance lists: those involved in the
    case first, then the rest, each by name."""
    case = get_case(actor, reference, Permission.CONFERENCE_RECORD)
    involved = select(CaseAgency.id).where(CaseAgency.case_id == case.id, CaseAgency.agency_id == Agency.id).exists()
    agencies = db.session.scalars(select(Agency).where(Agency.active.is_(True)).order_by(involved.desc(), Agency.name))
    return case, list(agencies)


def check_conference(
    actor: User,
    reference: str,
    *,
    held_at: datetime | None,
    present: list[int] | None,
    apologies: list[int] | None,
    bounds: DateBounds = DEFAULT_BOUNDS,
) -> None:
    """InvalidInput with every rule a conference breaks, on what of the form could be
    read (None for a field the form could not read)."""
    case = get_case(actor, reference, Permission.CONFERENCE_RECORD)
    _conference_checks(case, held_at, present, apologies, bounds).raise_any()


def _conference_checks(
    case: Case, held_at: datetime | None, present: list[int] | None, apologies: list[int] | None, bounds: DateBounds
) -> Checks:
    checks = Checks()
    if held_at is not None and held_at > utcnow() + CLOCK_SKEW:
        checks.refuse(
            "A conference can only be recorded once it has been held: the date and time must not be in the future",
            field="held_on",
        )
    check_floor(checks, held_at, floor(case.opened_at, "case", bounds), field="held_on")
    if present is not None and not present:
        checks.refuse("Select the agencies that were present", field="present")
    if set(present or ()) & set(apologies or ()):
        checks.refuse("An agency cannot be both present and sending apologies", field="apologies")
    wanted = set(present or ()) | set(apologies or ())
    known = set(db.session.scalars(select(Agency.id).where(Agency.id.in_(wanted), Agency.active.is_(True))))
    if known != wanted:
        checks.refuse("Select agencies from the list", field="present")
    return checks


def record_conference(
    actor: User,
    reference: str,
    *,
    held_at: datetime,
    present: list[int],
    apologies: list[int],
    outcome: str,
    bounds: DateBounds = DEFAULT_BOUNDS,
    confirmed: str | None = None,
) -> Meeting:
    """A conference held on the case. One held before something already recorded
    about a victim, that would change their clocks, raises
    ``backdating.ClocksWillChange`` unless ``confirmed`` is the token of those changes
    (``None``, for callers other than a person at the form, does not ask)."""
    case = get_case(actor, reference, Permission.CONFERENCE_RECORD)
    _conference_checks(case, held_at, present, apologies, bounds).raise_any()
    preview = backdating.conference_preview(case.id, _assessed_victims(case), held_at)
    preview.check(confirmed)
    meeting = Meeting(
        kind=MeetingKind.CASE_CONFERENCE,
        case_id=case.id,
        held_at=held_at,
        outcome=outcome.strip(),
        recorded_by_id=actor.id,
    )
    db.session.add(meeting)
    db.session.flush()
    for agency_id in present:
        db.session.add(MeetingAttendance(meeting_id=meeting.id, agency_id=agency_id, status=AttendanceStatus.PRESENT))
    for agency_id in apologies:
        db.session.add(MeetingAttendance(meeting_id=meeting.id, agency_id=agency_id, status=AttendanceStatus.APOLOGIES))
    db.session.flush()
    audit.record(
        actor,
        "conference.recorded",
        "meeting",
        meeting.id,
        case_id=case.id,
        detail={
            "held_at": held_at.isoformat(),
            "present": sorted(present),
            "apologies": sorted(apologies),
            **preview.audit_detail(),
        },
    )
    sla.recompute_case(case.id)
    return meeting


def _assessed_victims(case: Case) -> list[Person]:
    """The people whose clocks a conference on the case can meet."""
    assessed = select(RiskAssessment.person_id).where(RiskAssessment.case_id == case.id).distinct()
    return list(db.session.scalars(select(Person).where(Person.id.in_(assessed)).order_by(Person.id)))
