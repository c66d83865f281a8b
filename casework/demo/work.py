"""Demo partnership work: the delivery plan, the last and the next PSG meeting,
referrals in every state and multi-agency actions, all placed around ``now`` so that
every inbox has something overdue, something due this week and something later.

The plan's text is in casework.demo.plan; every officer and person is invented.

Records are written directly, as the rest of the demo is, but only as the services
would allow them: an action on a case goes to an agency involved in it, and the chair
records minutes and decisions only about cases their agency sees in full.
"""

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import select

from casework import db
from casework.accounts.models import User
from casework.actions.models import Action, ActionStatus
from casework.actions.services import actions
from casework.actions.services.actions import Subject
from casework.agencies.models import Agency
from casework.cases import services as cases
from casework.cases.models import Case, CaseAgency, CaseParty, CaseStatus, CaseType, PartyRole
from casework.clock import ZONE, Quarter, local_date, recent_quarters
from casework.demo.casebook import REFERENCE_PREFIX
from casework.demo.past import recorded_at
from casework.demo.plan import (
    AMBULANCE,
    COUNCIL,
    COUNTY,
    FIRE,
    HEALTH,
    HOUSING,
    PLAN,
    POLICE,
    PRIORITIES,
    PROBATION,
    VOLUNTARY,
    PlanRow,
)
from casework.meetings.models import (
    AgendaItem,
    AttendanceStatus,
    Meeting,
)
from casework.meetings.services import agenda, meetings
from casework.meetings.services.agenda import HIGH_RISK
from casework.people.models import Person
from casework.plan import services as plan
from casework.plan.models import PlanAction, PlanActionStatus
from casework.plan.services import quarter_name
from casework.premises.models import Premises
from casework.referrals import services as referrals
from casework.referrals.models import Consent, Referral, ReferralSubject

CHAIR = "chair@demo.test"
MANAGER = "manager@demo.test"
LICENSING = "licensing@demo.test"
# The demo officer who works each agency's actions (agencies without one get none by name).
OFFICER = {
    COUNCIL: "asb.officer@demo.test",
    POLICE: "pc.dunmore@demo.test",
    FIRE: "fire.safety@demo.test",
    HOUSING: "member@demo.test",
    VOLUNTARY: "partner@demo.test",
}

MEETING_PLACE = "Fenland Hall, March"


def load_partnership_work(
    rng: random.Random, now: datetime, *, agencies: dict[str, Agency], staff: dict[str, User]
) -> None:
    """The plan, meetings, referrals and actions, around the cases and premises already loaded."""
    work = _Work(rng, now, agencies, staff)
    _load_plan(work)
    past = _load_past_meeting(work)
    _load_referrals_since(work, past)
    _load_next_meeting(work, past)
    _load_actions(work)
    _flag_for_review(work)
    db.session.flush()


# --- What the loaders share ------------------------------------------------------------


@dataclass
class _OpenCase:
    case: Case
    involved: list[int]


@dataclass
class _Work:
    rng: random.Random
    now: datetime
    agencies: dict[str, Agency]
    staff: dict[str, User]
    cases: list[_OpenCase] = field(default_factory=list)
    used: set[int] = field(default_factory=set)
    plan: dict[str, PlanAction] = field(default_factory=dict)
    today: date = field(init=False)

    def __post_init__(self) -> None:
        self.today = local_date(self.now)
        involved: dict[int, list[int]] = {}
        for case_id, agency_id in db.session.execute(
            select(CaseAgency.case_id, CaseAgency.agency_id).order_by(CaseAgency.case_id, CaseAgency.agency_id)
        ):
            involved.setdefault(case_id, []).append(agency_id)
        open_cases = db.session.scalars(select(Case).where(Case.status == CaseStatus.OPEN).order_by(Case.id))
        self.cases = [_OpenCase(case, involved.get(case.id, [])) for case in open_cases]

    def agency(self, name: str) -> Agency:
        return self.agencies[name]

    def officer(self, agency: str) -> User | None:
        email = OFFICER.get(agency)
        return self.staff[email] if email else None

    def pick_case(
        self,
        *,
        involving: Sequence[str] = (),
        types: Sequence[CaseType] = (),
        before: datetime | None = None,
        among: set[int] | None = None,
    ) -> _OpenCase | None:
        """An open, unrestricted case that involves all those agencies, preferring one not
        picked yet, so the demo's work is spread over the casebook."""
        wanted = [self.agency(name).id for name in involving]
        pool = [
            open_case
            for open_case in self.cases
            if not open_case.case.restricted
            and all(agency_id in open_case.involved for agency_id in wanted)
            and (not types or open_case.case.case_type in types)
            and (before is None or open_case.case.opened_at < before)
            and (among is None or open_case.case.id in among)
        ]
        pool = [c for c in pool if c.case.id not in self.used] or pool
        if not pool:
            return None
        chosen = self.rng.choice(pool)
        self.used.add(chosen.case.id)
        return chosen

    def local(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE).astimezone(UTC)

    def office_time(self, days_ago: int) -> datetime:
        """A moment in the working day ``days_ago`` days before today (never after now)."""
        day = self.today - timedelta(days=days_ago)
        moment = self.local(day, self.rng.randint(9, 16), self.rng.choice([0, 15, 30, 45]))
        return min(moment, self.now - timedelta(minutes=30))


def _weekday(day: date) -> date:
    """The day, or the nearest working day to it: meetings are not held at weekends."""
    return day + timedelta(days={5: -1, 6: 1}.get(day.weekday(), 0))


# --- The delivery plan -----------------------------------------------------------------


def _load_plan(work: _Work) -> None:
    """The plan as the manager keeps it, through the plan pages' services: written at the
    start of the oldest quarter reported on, a progress update for each quarter since,
    and its milestones and statuses brought up to date this week."""
    manager = work.staff[MANAGER]
    # The current quarter's update is not due yet: the updates are for the quarters before it.
    quarters = recent_quarters(work.now, count=4)[1:]
    with recorded_at(work.local(_weekday(local_date(quarters[-1].start) + timedelta(days=7)), 10)):
        priorities = {
            number: plan.create_priority(
                manager, number=number, title=title, lead_officer=lead_officer, year_targets=targets
            ).id
            for number, title, lead_officer, targets in PRIORITIES
        }
        for row in PLAN:
            details = _plan_details(work, row, priorities[int(row.ref.split(".")[0])], up_to_date=False)
            work.plan[row.ref] = plan.create_plan_action(manager, details)
    for row in PLAN:
        _report_progress(work, row, quarters)
    with recorded_at(work.office_time(1)):
        for row in PLAN:
            plan_action = work.plan[row.ref]
            details = _plan_details(work, row, plan_action.priority_id, up_to_date=True)
            plan.edit_plan_action(manager, plan_action.id, details, version=plan_action.version)


def _plan_details(work: _Work, row: PlanRow, priority_id: int, *, up_to_date: bool) -> plan.PlanActionDetails:
    """The action form as the manager fills it in: when the plan is written, every
    milestone is still to do; once ``up_to_date``, those past their date are done (unless
    they slipped) and a complete action has them all done."""
    year_start = work.today.year if work.today.month >= 4 else work.today.year - 1
    milestones = []
    for milestone in row.milestones:
        due = date(year_start + (milestone.month < 4), milestone.month, milestone.day)
        done = up_to_date and (row.status is PlanActionStatus.COMPLETE or (due < work.today and not milestone.slipped))
        milestones.append(plan.Milestone(due, milestone.text, done))
    return plan.PlanActionDetails(
        priority_id=priority_id, ref=row.ref, kind=row.kind, action=row.action, outcome=row.outcome,
        project=row.project, target=row.target, lead_agency_id=work.agency(row.lead).id,
        partner_ids=[work.agency(name).id for name in row.partners], milestones=milestones,
        status=row.status if up_to_date else PlanActionStatus.OPEN, improvement=row.improvement,
    )  # fmt: skip


def _report_progress(work: _Work, row: PlanRow, quarters: Sequence[Quarter]) -> None:
    """A progress update for the last quarter and, oldest first, the quarters before it
    that the row has history for, each written a few days after its quarter ended. Only
    managers and chairs change the plan: the manager records what the lead agency reports."""
    updates = [*row.history, (row.progress, row.rag, row.rag_reason, row.improvement)]
    for quarter, (progress, rag, reason, *improvement) in zip(reversed(quarters[: len(updates)]), updates, strict=True):
        written = min(quarter.end + timedelta(days=work.rng.randint(3, 10), hours=work.rng.randint(1, 6)), work.now)
        plan_action = work.plan[row.ref]
        with recorded_at(written):
            plan.record_progress(
                work.staff[MANAGER], plan_action.id, version=plan_action.version, quarter=quarter_name(quarter),
                progress=progress, rag=rag, rag_reason=reason, improvement=improvement[0] if improvement else row.improvement,
            )  # fmt: skip


# --- Actions ---------------------------------------------------------------------------


class _Planned(NamedTuple):
    """An action to load: owed by ``agency``, due ``due_in`` days from today (negative:
    overdue). ``notes`` are its history, oldest first: for done and cancelled actions the
    last one closes it."""

    agency: str
    title: str
    detail: str
    due_in: int
    status: ActionStatus = ActionStatus.OPEN
    notes: tuple[str, ...] = ()
    unassigned: bool = False
    officer: str | None = None  # a particular officer, instead of the agency's usual one
    # For an action on a case: the kinds of case it suits, and other agencies it needs.
    types: tuple[CaseType, ...] = ()
    alongside: tuple[str, ...] = ()


def _add_action(
    work: _Work,
    planned: _Planned,
    *,
    created_by: User,
    created_at: datetime,
    subject: Subject,
    decision_id: int | None = None,
) -> Action:
    """The action as its creator set it, through the new action form's service, then its history."""
    officer = work.staff[planned.officer] if planned.officer else work.officer(planned.agency)
    with recorded_at(created_at):
        action = actions.create_action(
            created_by, subject, title=planned.title, detail=planned.detail,
            assigned_agency_id=work.agency(planned.agency).id,
            assignee_id=None if planned.unassigned or officer is None else officer.id,
            due_on=work.today + timedelta(days=planned.due_in), decision_id=decision_id,
        )  # fmt: skip
    _add_history(work, action, planned, officer)
    return action


def _add_history(work: _Work, action: Action, planned: _Planned, author: User | None) -> None:
    """The progress notes, spread between the action's creation and now, each written
    by the owing agency's officer through the action page's update service."""
    if not planned.notes:
        if not planned.status.is_live or planned.status is ActionStatus.IN_PROGRESS:
            raise ValueError(f"the demo action {planned.title!r} needs a note to reach {planned.status.value}")
        return
    if author is None:
        raise ValueError(f"nobody in {planned.agency} can write the notes of {planned.title!r}")
    span = work.now - timedelta(hours=2) - action.created_at
    for number, note in enumerate(planned.notes, start=1):
        at = (action.created_at + span * number / (len(planned.notes) + 1)).replace(second=0, microsecond=0)
        if number == len(planned.notes):
            to = planned.status
        elif number == 1 and planned.status is not ActionStatus.OPEN and len(planned.notes) > 1:
            to = ActionStatus.IN_PROGRESS
        else:
            to = action.status
        with recorded_at(at):
            actions.update_action(author, action.id, version=action.version, status=to, note=note)


def _created(work: _Work, planned: _Planned) -> datetime:
    """When an action was set: some weeks ago, and before it fell due."""
    return work.office_time(max(0, -planned.due_in) + work.rng.randint(8, 24))


S = ActionStatus

# The kinds of case an action suits: about a victim, or with a perpetrator on it.
VICTIMS = (CaseType.VICTIM,)
PERPETRATORS = (CaseType.VICTIM, CaseType.PERPETRATOR)

# On cases the agency is involved in (the case is picked from those).
CASE_WORK = [
    _Planned(HOUSING, "Send a tenancy warning letter to the perpetrator",
             "Breach of the nuisance clause of the tenancy: warning letter, with a copy on the case.", -6,
             types=PERPETRATORS),
    _Planned(HOUSING, "Fit a door camera for the victim",
             "The victim agreed to a door camera; the contractor fits it and shows them how to save footage.", 3,
             S.IN_PROGRESS, ("Contractor booked; the victim is happy with the date.",), types=VICTIMS),
    _Planned(HOUSING, "Prepare the file for a possession claim",
             "Diary sheets, police logs and witness statements for the solicitor.", 26, S.IN_PROGRESS,
             ("Diary sheets and police logs collected.", "Waiting for the second witness statement."),
             types=PERPETRATORS),
    _Planned(HOUSING, "Repair the damaged front door", "Door and frame damaged in the last incident.", 12,
             unassigned=True, types=VICTIMS),
    _Planned(HOUSING, "Joint visit to the victim with the police", "Review the safety plan at home.", -12, S.DONE,
             ("Visit arranged for Tuesday.", "Visited with the police: safety plan reviewed and a spare key "
              "left with a neighbour."), types=VICTIMS, alongside=(POLICE,)),
    _Planned(POLICE, "Add the address to the patrol plan",
             "Evening patrols past the address for four weeks after the latest incident.", -4),
    _Planned(POLICE, "Check CCTV for the night of the incident",
             "Town centre cameras between 10pm and 1am; ask the shop opposite for its footage.", 2, S.IN_PROGRESS,
             ("Town centre footage requested from the CCTV control room.",)),
    _Planned(POLICE, "Serve a Community Protection Warning with the council",
             "Joint service with the council's ASB officer; conditions as agreed at the PSG.", 18, types=PERPETRATORS,
             alongside=(COUNCIL,)),
    _Planned(POLICE, "Take the victim's statement", "Statement about the threats made at the door.", -15, S.DONE,
             ("Statement taken at home; the victim is willing to go to court.",), types=VICTIMS),
    _Planned(VOLUNTARY, "Weekly welfare calls to the victim",
             "A named volunteer calls every week until the risk is reduced.", 4, S.IN_PROGRESS,
             ("First call made: the victim feels less alone.", "Second call: no new incidents since the visit."),
             types=VICTIMS),
    _Planned(VOLUNTARY, "Arrange a befriending volunteer",
             "The person is isolated and has asked for someone to visit.", -3),
    _Planned(VOLUNTARY, "Help the complainants keep diary sheets",
             "Show them how to record incidents for the housing association.", 15),
    _Planned(VOLUNTARY, "Deliver a personal alarm", "Alarm linked to the community alarm service.", -9, S.DONE,
             ("Alarm delivered and tested with the victim.",), types=VICTIMS),
    _Planned(COUNCIL, "Serve a Community Protection Warning on the perpetrator",
             "Conditions: no contact with the victim and no loud music after 11pm.", -2, types=PERPETRATORS),
    _Planned(COUNCIL, "Refer the neighbours to community mediation", "Suggested at the first visit.", 9,
             S.CANCELLED, ("Cancelled: the victim declined mediation while the threats continue.",), types=VICTIMS),
    _Planned(COUNCIL, "Review the case with the lead officer", "Three-monthly review of the action plan.", 30),
    _Planned(FIRE, "Home fire safety visit", "Smoke alarms and a letterbox guard after threats of arson.", 5),
]  # fmt: skip

# (premises name, action): a premises action goes to any agency; it is seen by whoever sees the premises.
PREMISES_WORK = [
    ("The Fen Tiger", _Planned(COUNCIL, "Amber visit: review the action plan with the DPS",
                               "Check door staff numbers and the refusals log.", 3, officer=LICENSING)),
    ("Gaultside Tap", _Planned(POLICE, "Joint visit with licensing at closing time",
                               "Check dispersal at closing time and the door staff register.", -5)),
    ("Quayside Wines", _Planned(COUNTY, "Challenge 25 training after the failed test purchase",
                                "Trading Standards to train all staff; re-test within 6 weeks.", 10)),
    ("The Sluice Keeper", _Planned(COUNCIL, "Agree an action plan with the licence holder",
                                   "Red since the assault outside: action plan with 3-month review.", -20, S.DONE,
                                   ("Action plan agreed and signed by the licence holder.",), officer=LICENSING)),
    ("The Drowned Eel", _Planned(POLICE, "Fortnightly joint visit with licensing",
                                 "Red past its deadline: check the new licence conditions are kept.", 2,
                                 S.IN_PROGRESS, ("First visit done: door staff in place from 9pm.",))),
]  # fmt: skip

# (plan reference, action): the work behind the amber and red items, and one done.
PLAN_WORK = [
    ("1.3.5", _Planned(VOLUNTARY, "Recruit and train four welfare-call volunteers",
                       "To fill the second rota of welfare calls.", 30, S.IN_PROGRESS,
                       ("Two volunteers recruited; training booked.",))),
    ("5.3.4", _Planned(VOLUNTARY, "First-contact calls to scam victims on the backlog",
                       "Call every victim on the list who has not been visited yet.", 6)),
    ("2.3.3", _Planned(COUNTY, "Challenge 25 training for the two off-licences that failed test purchases",
                       "Book both within 2 weeks; re-test within 6 weeks.", 14)),
    ("3.3.2", _Planned(HOUSING, "Hold two housing options interview slots a month for short-notice releases",
                       "Agreed with Probation after three releases without a tenancy.", -9)),
    ("2.3.1", _Planned(POLICE, "Apply for a further review if the red premises does not improve",
                       "Decision after three fortnightly visits.", 40)),
    ("1.3.1", _Planned(COUNCIL, "Agree the new referral form with partners",
                       "One form for every agency, with consent to share.", -40, S.DONE,
                       ("Agreed by every partner at the PSG; the form is live.",))),
]  # fmt: skip


def _load_actions(work: _Work) -> None:
    for planned in CASE_WORK:
        created_at = _created(work, planned)
        before = created_at - timedelta(days=1)
        picked = work.pick_case(
            involving=[planned.agency, *planned.alongside], types=planned.types, before=before
        ) or work.pick_case(involving=[planned.agency], before=before)
        if picked is None:
            continue
        creator = db.session.get_one(User, picked.case.lead_officer_id or picked.case.opened_by_id)
        _add_action(work, planned, created_by=creator, created_at=created_at, subject=Subject(case_id=picked.case.id))

    premises = {name: premises_id for name, premises_id in db.session.execute(select(Premises.name, Premises.id))}
    for name, planned in PREMISES_WORK:
        if name in premises:
            _add_action(work, planned, created_by=work.staff[LICENSING], created_at=_created(work, planned),
                        subject=Subject(premises_id=premises[name]))  # fmt: skip

    for ref, planned in PLAN_WORK:
        _add_action(work, planned, created_by=work.staff[MANAGER], created_at=_created(work, planned),
                    subject=Subject(plan_action_id=work.plan[ref].id))  # fmt: skip


# --- Referrals -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Referred:
    """Who or where a referral is about."""

    subject: ReferralSubject
    first_name: str = ""
    last_name: str = ""
    date_of_birth: date | None = None
    address: str = ""
    postcode: str = ""
    place: str = ""
    person_id: int | None = None


def _referral(
    work: _Work,
    about: _Referred,
    *,
    by: str,
    received_at: datetime,
    happening: str,
    risks: str,
    consent: Consent,
    consent_reason: str,
) -> Referral:
    """The referral as its referrer made it, through the referral form's service."""
    with recorded_at(received_at):
        return referrals.make_referral(
            work.staff[by], subject=about.subject, first_name=about.first_name, last_name=about.last_name,
            date_of_birth=about.date_of_birth, address=about.address, postcode=about.postcode, place=about.place,
            what_is_happening=happening, risks=risks, consent=consent, consent_reason=consent_reason,
        )  # fmt: skip


def _someone_on(case: Case, role: PartyRole) -> _Referred | None:
    """A person already on the case, as a referrer who knows them would describe them."""
    person = db.session.scalar(
        select(Person)
        .join(CaseParty, CaseParty.person_id == Person.id)
        .where(CaseParty.case_id == case.id, CaseParty.role == role, CaseParty.removed_at.is_(None))
        .order_by(CaseParty.id)
    )
    if person is None:
        return None
    return _Referred(ReferralSubject.PERSON, person.first_name, person.last_name, person.date_of_birth, person.address,
                     person.postcode, person_id=person.id)  # fmt: skip


def _accept(
    work: _Work, referral: Referral, open_case: _OpenCase, at: datetime, *, person_id: int | None = None
) -> None:
    """The chair accepts into an existing case: the service adds the referring agency and
    the referral's account to the case (``person_id``: who it is about, already known).

    The service refuses to add someone to a case in a role they already have there, so a
    victim already on the case is recorded as the complainant this time."""
    person = None
    if referral.subject is ReferralSubject.PERSON:
        person = referrals.ReferredPerson(PartyRole.COMPLAINANT, existing_person_id=person_id)
    with recorded_at(at):
        referrals.accept_referral(
            work.staff[CHAIR], referral.id, version=referral.version, reference_prefix=REFERENCE_PREFIX,
            existing_case=open_case.case.reference, person=person,
        )  # fmt: skip
    if referral.referring_agency_id not in open_case.involved:
        open_case.involved.append(referral.referring_agency_id)


def _decline(work: _Work, referral: Referral, reason: str, at: datetime) -> None:
    with recorded_at(at):
        referrals.decline_referral(work.staff[CHAIR], referral.id, version=referral.version, reason=reason)


class _Account(NamedTuple):
    """What a referrer tells the partnership, on the referral form."""

    by: str
    happening: str
    risks: str
    consent: Consent
    consent_reason: str


ABOUT_A_PLACE = "About a place: there is no one person to ask."

# The referrals made since the last meeting, in the order they were entered: who or what
# each is about (None: someone already on a perpetrator's case), and when it came, as a
# fraction of the days since the meeting.
SINCE_THE_MEETING: list[tuple[_Referred | None, float, _Account]] = [
    (
        _Referred(ReferralSubject.PERSON, "Olive", "Thornbury", date(1941, 3, 14), "14 Mill Close, Wisbech",
                  "PE13 2ZZ"),
        0.1,
        _Account(
            "partner@demo.test",
            "Youths knock on her door and windows most evenings and shout through the letterbox. She has stopped "
            "going out after dark, and her daughter says she is not eating properly.",
            "Lives alone, with memory problems; the youths know she is on her own.",
            Consent.YES, "Agreed at our home visit, with her daughter present.",
        ),
    ),
    (
        _Referred(ReferralSubject.PLACE, place="Spinney playground, Waterlees, Wisbech"),
        0.35,
        _Account(
            "partner@demo.test",
            "Volunteers found needles and foil at the playground on three mornings this month; groups of young "
            "adults gather there late at night.",
            "Children use the playground from 8am; volunteers clearing litter risk needlestick injuries.",
            Consent.NOT_ASKED, ABOUT_A_PLACE,
        ),
    ),
    (
        None,  # someone already on a case: the chair is offered the existing record
        0.25,
        _Account(
            "pc.dunmore@demo.test",
            "Arrested for criminal damage to a neighbour's car; neighbours report intimidation on the estate since.",
            "Neighbours frightened to give statements.",
            Consent.NOT_ASKED, "Referred as a perpetrator: consent to share is not sought.",
        ),
    ),
    (
        _Referred(ReferralSubject.PERSON, "Kieran", "Wragg", date(1996, 8, 2), "Flat 3, 22 Station Road, March",
                  "PE15 3ZZ", place="Station Road, March"),
        0.5,
        _Account(
            "member@demo.test",
            "Loud music and parties most nights; two neighbours were threatened when they complained.",
            "Neighbours are frightened to report; one of them is disabled.",
            Consent.NO,
            "Asked at the tenancy visit and refused. Shared without consent to prevent harm to the neighbours, "
            "under the information sharing agreement.",
        ),
    ),
    (
        _Referred(ReferralSubject.PLACE, place="Alleyway between Broad Street and the car park, March"),
        0.7,
        _Account(
            "pc.dunmore@demo.test",
            "Street drinking and public urination; shop staff are abused when they ask the group to move on.",
            "Two shop workers have been threatened.",
            Consent.NOT_ASKED, ABOUT_A_PLACE,
        ),
    ),
    (
        _Referred(ReferralSubject.PERSON, "Dennis", "Quennell", date(1958, 11, 23), "7 Fen Road, Chatteris",
                  "PE16 4ZZ"),
        0.05,
        _Account(
            "fire.safety@demo.test",
            "Hoarding found at a safe and well visit: exits blocked and papers stacked by the cooker.",
            "High fire risk; smokes indoors; refused help from family.",
            Consent.YES, "Agreed at the safe and well visit.",
        ),
    ),
]  # fmt: skip


def _load_referrals_since(work: _Work, past: Meeting) -> None:
    """New referrals since the last meeting (for the next agenda), and two decided
    between the meetings."""
    since = (work.today - local_date(past.held_at)).days

    def received(fraction: float) -> datetime:
        return work.office_time(max(1, round(since * fraction)))

    for about, fraction, account in SINCE_THE_MEETING:
        if about is None:
            known = work.pick_case(types=[CaseType.PERPETRATOR]) or work.pick_case(types=[CaseType.VICTIM])
            about = _someone_on(known.case, PartyRole.PERPETRATOR) if known else None
        if about is not None:
            _referral(work, about, received_at=received(fraction), **account._asdict())
    _decide_between_meetings(work, received)


def _decide_between_meetings(work: _Work, received: Callable[[float], datetime]) -> None:
    """One referral the chair accepted into a case between the meetings, and one declined."""
    into = work.pick_case(involving=[COUNCIL], types=[CaseType.PLACE], before=received(0.9)) or work.pick_case(
        involving=[COUNCIL], before=received(0.9)
    )
    if into is not None:
        accepted = _referral(
            work, _Referred(ReferralSubject.PLACE, place=f"Outside the flats, {into.case.town or 'Wisbech'}"),
            by="member@demo.test", received_at=received(0.9),
            happening="Tenants report the same group gathering and drinking outside the flats every evening.",
            risks="Older tenants afraid to use the entrance after dark.",
            consent=Consent.NOT_ASKED, consent_reason=ABOUT_A_PLACE,
        )  # fmt: skip
        _accept(work, accepted, into, min(accepted.received_at + timedelta(days=3), work.now - timedelta(hours=1)))
    declined = _referral(
        work,
        _Referred(ReferralSubject.PERSON, "Stacey", "Duckmanton", date(1989, 5, 30), "31 Orchard Way, Whittlesey",
                  "PE7 1ZZ"),
        by="pc.dunmore@demo.test", received_at=received(0.6),
        happening="Repeat calls about arguments at the address with her partner.",
        risks="Domestic abuse: the victim is already supported by the IDVA service.",
        consent=Consent.NO,
        consent_reason="Declined to consent; shared because of the risk of serious harm.",
    )  # fmt: skip
    _decline(
        work, declined,
        "Already managed through MARAC, with the IDVA service engaged: a PSG case would duplicate that work. The "
        "MARAC coordinator has the referral.",
        min(declined.received_at + timedelta(days=2), work.now - timedelta(hours=1)),
    )  # fmt: skip


# --- The last PSG meeting --------------------------------------------------------------

# The chair generates the agenda this long before the meeting.
AGENDA_AHEAD = timedelta(days=3, hours=1)
APOLOGIES = {PROBATION, AMBULANCE}
SHARING = "Information sharing agreement"
# What the chair minutes and decides about a case for each reason the generator gave,
# where the demo tells no particular story about it.
ROUTINE = {
    HIGH_RISK: (
        "Risk remains high. The safety plan was reviewed and every partner on the case is engaged with the victim.",
        "Keep under review at each meeting until the risk is brought down.",
    ),
    "overdue": (
        "Partners went through what is overdue on the case; the lead officer explained the delay.",
        "The lead officer to bring the overdue work up to date before the next meeting.",
    ),
    "": (
        "Partners shared what they know of the case since it was last discussed.",
        "No new actions: the case stays with its lead officer.",
    ),
}


@dataclass
class _Chair:
    """The last meeting as its chair ran it, each change through the meeting services."""

    work: _Work
    meeting: Meeting
    at: datetime

    @property
    def chair(self) -> User:
        return self.work.staff[CHAIR]

    def minutes(self, item: AgendaItem, text: str) -> None:
        self.at += timedelta(minutes=self.work.rng.randint(10, 20))
        with recorded_at(self.at):
            meetings.record_minutes(self.chair, self.meeting.id, item.id, version=self.meeting.version, minutes=text)

    def decide(self, item: AgendaItem, text: str, planned: _Planned | None = None) -> None:
        """A decision and, with ``planned``, the action it creates, then that action's history."""
        self.at += timedelta(minutes=self.work.rng.randint(3, 9))
        officer, request = None, None
        if planned is not None:
            officer = self.work.staff[planned.officer] if planned.officer else self.work.officer(planned.agency)
            request = meetings.ActionRequest(
                assigned_agency_id=self.work.agency(planned.agency).id, title=planned.title,
                assignee_id=officer.id if officer else None, due_on=self.work.today + timedelta(days=planned.due_in),
            )  # fmt: skip
        with recorded_at(self.at):
            recorded = meetings.record_decision(
                self.chair, self.meeting.id, item.id, version=self.meeting.version, text=text, action=request
            )
        if planned is not None and recorded.action is not None:
            _add_history(self.work, recorded.action, planned, officer)


@dataclass
class _Stories:
    """What the demo tells about particular items of the last meeting's agenda."""

    referrals: dict[int, Callable[[_Chair, AgendaItem], None]] = field(default_factory=dict)
    cases: dict[int, Callable[[_Chair, AgendaItem], None]] = field(default_factory=dict)


def _load_past_meeting(work: _Work) -> Meeting:
    """Last month's PSG meeting: scheduled, its agenda generated from the casebook by the
    generator three days before, attendance, minutes, decisions and the actions they
    created, finished, and one amendment."""
    chair = work.staff[CHAIR]
    day = _weekday(work.today - timedelta(days=28))
    held_at = work.local(day, 10)
    with recorded_at(held_at - timedelta(days=27)):
        meeting = meetings.schedule_meeting(chair, held_at=held_at, location=MEETING_PLACE)
    stories = _Stories()
    _refer_before_the_meeting(work, day, stories)
    flagged = _flag_before_the_meeting(work, held_at - AGENDA_AHEAD - timedelta(days=2), stories)
    with recorded_at(held_at - AGENDA_AHEAD):
        agenda.generate_agenda(chair, meeting.id, version=meeting.version)
    with recorded_at(held_at - timedelta(hours=1)):
        meetings.add_item(chair, meeting.id, version=meeting.version, case_reference="", topic=SHARING)
    with recorded_at(held_at):
        statuses = {
            agency.id: AttendanceStatus.APOLOGIES if name in APOLOGIES else AttendanceStatus.PRESENT
            for name, agency in work.agencies.items()
        }
        meetings.record_attendance(chair, meeting.id, version=meeting.version, statuses=dict(statuses))
    running = _Chair(work, meeting, held_at)
    amended = _run_the_agenda(running, stories)
    with recorded_at(running.at + timedelta(minutes=25)):
        meetings.finish_meeting(chair, meeting.id, version=meeting.version)
    if amended is not None:
        with recorded_at(running.at + timedelta(days=2, hours=3)):
            meetings.add_amendment(
                chair, meeting.id, item_id=amended.id,
                text="Correction: the victim was staying with family at the time of the meeting, so the joint "
                "visit is to take place there.",
            )  # fmt: skip
    if flagged is not None:
        # Discussed: its lead takes the flag off until there is something new to bring.
        lead = _lead(flagged.case)
        with recorded_at(running.at + timedelta(days=1)):
            cases.set_psg_review(lead, flagged.case.reference, flagged=False, version=flagged.case.version)
    return meeting


def _run_the_agenda(running: _Chair, stories: _Stories) -> AgendaItem | None:
    """Minutes and a decision on every item the chair may write about, in agenda order.
    Returns the item the chair amends afterwards."""
    # The items the chair's meeting page lets them write on: a case only if they see it in full.
    page = meetings.meeting_page(running.chair, running.meeting.id)
    amended = None
    for item in (view.item for view in page.items if view.may_write):
        if item.referral_id in stories.referrals:
            stories.referrals[item.referral_id](running, item)
        elif item.case_id in stories.cases:
            stories.cases[item.case_id](running, item)
        elif item.topic == SHARING:
            _sharing(running, item)
        elif HIGH_RISK in item.reasons and amended is None:
            _high_risk(running, item)
            amended = item
        else:
            reason = next((key for key in ROUTINE if key and any(key in r for r in item.reasons)), "")
            minutes, decision = ROUTINE[reason]
            running.minutes(item, minutes)
            running.decide(item, decision)
    return amended


def _refer_before_the_meeting(work: _Work, day: date, stories: _Stories) -> None:
    """Three referrals received before the agenda: two about victims already known (to be
    accepted into their cases) and a neighbour dispute (to be declined)."""
    before = work.local(day, 10) - timedelta(days=14)
    victim_case = work.pick_case(involving=[COUNCIL], types=[CaseType.VICTIM], before=before)
    someone = _someone_on(victim_case.case, PartyRole.VICTIM) if victim_case else None
    if victim_case and someone:
        referral = _referral(
            work, someone, by="partner@demo.test", received_at=work.office_time((work.today - day).days + 9),
            happening="Our volunteer found the victim distressed after more damage to the garden fence; the victim "
            "asked us to tell the partnership.",
            risks="The victim says they will not report to the police again as nothing changes.",
            consent=Consent.YES, consent_reason="Gave consent to our volunteer; confirmed by phone the next day.",
        )  # fmt: skip
        stories.referrals[referral.id] = _accepted_from_the_volunteers(referral, victim_case, someone)

    police_case = work.pick_case(involving=[COUNCIL], types=[CaseType.VICTIM, CaseType.FAMILY], before=before)
    someone = _someone_on(police_case.case, PartyRole.VICTIM) if police_case else None
    if police_case and someone:
        referral = _referral(
            work, someone, by="pc.dunmore@demo.test", received_at=work.office_time((work.today - day).days + 16),
            happening="Third report of criminal damage to the victim's car this month.",
            risks="The suspect lives two doors away.",
            consent=Consent.NOT_ASKED,
            consent_reason="Not asked yet: the victim could not be spoken to safely with the suspect nearby. To "
            "be asked at the next visit.",
        )  # fmt: skip
        stories.referrals[referral.id] = _accepted_from_the_police(referral, police_case, someone)

    referral = _referral(
        work,
        _Referred(ReferralSubject.PERSON, "Gordon", "Pilbeam", date(1972, 1, 9), "5 Church Lane, Manea", "PE15 0ZZ"),
        by="partner@demo.test", received_at=work.office_time((work.today - day).days + 5),
        happening="Dispute with his neighbour over parking and a shared hedge; raised voices on two occasions.",
        risks="None known.",
        consent=Consent.YES, consent_reason="Asked us to refer him.",
    )  # fmt: skip
    stories.referrals[referral.id] = _declined_dispute(referral)


def _accepted_from_the_volunteers(
    referral: Referral, into: _OpenCase, someone: _Referred
) -> Callable[[_Chair, AgendaItem], None]:
    def tell(running: _Chair, item: AgendaItem) -> None:
        running.minutes(
            item,
            "Fenland Community Support referred a victim who already has an open case. The new incidents are added "
            "to that case, and Fenland Community Support joins it.",
        )
        _accept(running.work, referral, into, running.at, person_id=someone.person_id)
        running.decide(
            item, f"Accepted into {into.case.reference}. Fenland Community Support to add the victim to its "
            "volunteer visiting rota.",
            _Planned(VOLUNTARY, "Add the victim to the volunteer visiting rota", "", -8),
        )  # fmt: skip

    return tell


def _accepted_from_the_police(
    referral: Referral, into: _OpenCase, someone: _Referred
) -> Callable[[_Chair, AgendaItem], None]:
    def tell(running: _Chair, item: AgendaItem) -> None:
        running.minutes(
            item, "The police referred a victim of repeated criminal damage who is already known to the PSG."
        )
        _accept(running.work, referral, into, running.at, person_id=someone.person_id)
        running.decide(item, f"Accepted into {into.case.reference}, the victim's existing case.")

    return tell


def _declined_dispute(referral: Referral) -> Callable[[_Chair, AgendaItem], None]:
    def tell(running: _Chair, item: AgendaItem) -> None:
        running.minutes(
            item,
            "A dispute over parking and a shared hedge; no anti-social behaviour has been reported to any agency.",
        )
        reason = (
            "A civil dispute between neighbours, with no anti-social behaviour reported to any agency. Referred to "
            "the community mediation service; refer again if there are threats or damage."
        )
        _decline(running.work, referral, reason, running.at)
        running.decide(item, f"Declined: {reason}")

    return tell


def _high_risk(running: _Chair, item: AgendaItem) -> None:
    """The first high-risk victim the chair sees in full: a joint visit, and more."""
    involved = set(db.session.scalars(select(CaseAgency.agency_id).where(CaseAgency.case_id == item.case_id)))
    partner = HOUSING if running.work.agency(HOUSING).id in involved else COUNCIL
    running.minutes(
        item,
        "Risk remains high: two further incidents since the case conference, including threats made at the "
        f"victim's door. The victim is engaging with the police and {partner}.",
    )
    running.decide(
        item, "Joint visit by the police within 7 days to review the safety plan.",
        _Planned(POLICE, "Joint visit to review the safety plan", "", -20, S.DONE,
                 ("Joint visit done; safety plan updated and a target-hardening referral made.",)),
    )  # fmt: skip
    running.decide(
        item, f"{partner} to join the joint visit, then consider a management move.",
        _Planned(partner, "Joint visit, then consider a management move", "", 10, S.IN_PROGRESS,
                 ("Joint visit done. Management move form started with the victim.",)),
    )  # fmt: skip
    if running.work.agency(FIRE).id in involved:
        running.decide(item, "Offer a home fire safety visit.", _Planned(FIRE, "Home fire safety visit", "", -1))


def _flag_before_the_meeting(work: _Work, at: datetime, stories: _Stories) -> _OpenCase | None:
    """A case its lead flags for the meeting: incidents continue despite warnings."""
    flagged = work.pick_case(involving=[COUNCIL, HOUSING], before=at) or work.pick_case(involving=[COUNCIL], before=at)
    if flagged is None:
        return None
    with recorded_at(at):
        cases.set_psg_review(_lead(flagged.case), flagged.case.reference, flagged=True, version=flagged.case.version)

    def tell(running: _Chair, item: AgendaItem) -> None:
        running.minutes(
            item,
            "The lead officer asked for a partnership view: incidents continue despite warnings, and the people "
            "affected are losing confidence.",
        )
        owed = [name for name in (HOUSING, POLICE, VOLUNTARY) if work.agency(name).id in flagged.involved]
        for name, due in zip(owed, (-7, -10, 5), strict=False):
            running.decide(
                item, f"{name} to share the evidence it holds for an injunction before the next meeting.",
                _Planned(name, "Share evidence for an injunction", "", due),
            )  # fmt: skip
        if not owed:
            running.decide(item, "Gather evidence for an injunction before the next meeting.")

    stories.cases[flagged.case.id] = tell
    return flagged


def _sharing(running: _Chair, item: AgendaItem) -> None:
    running.minutes(
        item, "The revised information sharing agreement was noted. Two partners have not yet returned it signed."
    )
    running.decide(
        item, "The council to circulate the revised agreement to every partner's lead.",
        _Planned(COUNCIL, "Circulate the revised information sharing agreement", "", -25, S.DONE,
                 ("Sent to every partner the day after the meeting.",), officer=CHAIR),
    )  # fmt: skip
    for agency, due in ((VOLUNTARY, 4), (HEALTH, -2)):
        running.decide(
            item, f"{agency} to return the signed agreement before the next meeting.",
            _Planned(agency, "Return the signed information sharing agreement", "", due),
        )  # fmt: skip


def _lead(case: Case) -> User:
    lead = db.session.get(User, case.lead_officer_id or case.opened_by_id)
    if lead is None:
        raise ValueError(f"the demo case {case.reference} has no lead")
    return lead


# --- The next PSG meeting --------------------------------------------------------------


def _load_next_meeting(work: _Work, past: Meeting) -> None:
    """Next week's meeting, scheduled by the chair after the last one finished: its agenda
    is generated from the casebook once the demo is loaded."""
    held_at = work.local(_weekday(work.today + timedelta(days=7)), 10)
    if past.finished_at is None:
        raise ValueError("the demo's last meeting is finished before the next is scheduled")
    with recorded_at(past.finished_at + timedelta(hours=1)):
        meetings.schedule_meeting(work.staff[CHAIR], held_at=held_at, location=MEETING_PLACE)


# --- Flagged for the next PSG ----------------------------------------------------------


def _flag_for_review(work: _Work) -> None:
    """Three open cases their lead agencies want the next PSG to look at, flagged by their leads."""
    for involving in ([HOUSING], [VOLUNTARY], [POLICE]):
        picked = work.pick_case(involving=involving)
        if picked is not None and not picked.case.psg_review:
            with recorded_at(work.office_time(2)):
                cases.set_psg_review(
                    _lead(picked.case), picked.case.reference, flagged=True, version=picked.case.version
                )
