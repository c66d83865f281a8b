"""Demo partnership work: the delivery plan, the last and the next PSG meeting,
referrals in every state and multi-agency actions, all placed around ``now`` so that
every inbox has something overdue, something due this week and something later.

The plan's text is in casework.demo.plan; every officer and person is invented.

Records are written directly, as the rest of the demo is, but only as the services
would allow them: an action on a case goes to an agency involved in it, and the chair
records minutes and decisions only about cases their agency sees in full.
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import select

from casework import db
from casework.accounts.models import User
from casework.actions.models import Action, ActionStatus, ActionUpdate
from casework.agencies.models import Agency
from casework.cases.models import Case, CaseAgency, CaseParty, CaseStatus, CaseType, Note, NoteKind, PartyRole
from casework.clock import ZONE, local_date, recent_quarters
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
)
from casework.meetings.models import (
    AgendaItem,
    AttendanceStatus,
    Meeting,
    MeetingAmendment,
    MeetingAttendance,
    MeetingDecision,
    MeetingKind,
)
from casework.meetings.services.meetings import ADDED_BY_CHAIR
from casework.people.models import Person
from casework.plan.models import PlanAction, PlanActionStatus, PlanMilestone, PlanUpdate, Priority
from casework.plan.services import quarter_name
from casework.premises.models import Premises
from casework.referrals.models import Consent, Referral, ReferralStatus, ReferralSubject
from casework.victims.models import RiskAssessment, RiskLevel

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
NEW_REFERRAL = "New referral"
HIGH_RISK = "High-risk victim"
ACTION_OVERDUE = "Action overdue"
FLAGGED = "Flagged for PSG review"


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

    def involve(self, open_case: _OpenCase, agency: Agency, by: User, at: datetime) -> None:
        if agency.id not in open_case.involved:
            db.session.add(CaseAgency(case_id=open_case.case.id, agency_id=agency.id, added_by_id=by.id, added_at=at))
            open_case.involved.append(agency.id)

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
    year_start = work.today.year if work.today.month >= 4 else work.today.year - 1
    # The current quarter's update is the row itself: the history is the quarters before it.
    quarters = recent_quarters(work.now, count=4)[1:]
    priorities = {}
    for number, title, lead_officer, targets in PRIORITIES:
        priority = Priority(number=number, title=title, lead_officer=lead_officer, year_targets=targets)
        db.session.add(priority)
        priorities[number] = priority
    db.session.flush()

    for row in PLAN:
        plan_action = PlanAction(
            priority_id=priorities[int(row.ref.split(".")[0])].id,
            ref=row.ref,
            kind=row.kind,
            action=row.action,
            outcome=row.outcome,
            project=row.project,
            target=row.target,
            lead_agency_id=work.agency(row.lead).id,
            progress=row.progress,
            rag=row.rag,
            rag_reason=row.rag_reason,
            improvement=row.improvement,
            status=row.status,
            partners=[work.agency(name) for name in row.partners],
        )
        db.session.add(plan_action)
        db.session.flush()
        work.plan[row.ref] = plan_action
        for milestone in row.milestones:
            due = date(year_start + (milestone.month < 4), milestone.month, milestone.day)
            done = row.status is PlanActionStatus.COMPLETE or (due < work.today and not milestone.slipped)
            db.session.add(PlanMilestone(plan_action_id=plan_action.id, text=milestone.text, due_on=due, done=done))
        author = work.officer(row.lead) or work.staff[MANAGER]
        updates = [*row.history, (row.progress, row.rag, row.rag_reason)] if row.history else []
        for quarter, (progress, rag, reason) in zip(reversed(quarters[: len(updates)]), updates, strict=True):
            written = min(quarter.end + timedelta(days=work.rng.randint(3, 10), hours=work.rng.randint(1, 6)), work.now)
            db.session.add(
                PlanUpdate(plan_action_id=plan_action.id, quarter=quarter_name(quarter), progress=progress, rag=rag,
                           rag_reason=reason, author_id=author.id, at=written)
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
    case_id: int | None = None,
    premises_id: int | None = None,
    meeting_id: int | None = None,
    plan_action_id: int | None = None,
    decision_id: int | None = None,
) -> Action:
    agency = work.agency(planned.agency)
    officer = work.staff[planned.officer] if planned.officer else work.officer(planned.agency)
    action = Action(
        title=planned.title,
        detail=planned.detail,
        case_id=case_id,
        premises_id=premises_id,
        meeting_id=meeting_id,
        plan_action_id=plan_action_id,
        decision_id=decision_id,
        assigned_agency_id=agency.id,
        assignee_id=None if planned.unassigned or officer is None else officer.id,
        due_on=work.today + timedelta(days=planned.due_in),
        status=ActionStatus.OPEN,
        created_by_id=created_by.id,
        created_at=created_at,
    )
    db.session.add(action)
    db.session.flush()
    _add_history(work, action, planned, officer)
    return action


def _add_history(work: _Work, action: Action, planned: _Planned, author: User | None) -> None:
    """The progress notes, spread between the action's creation and now."""
    if not planned.notes:
        if not planned.status.is_live or planned.status is ActionStatus.IN_PROGRESS:
            raise ValueError(f"the demo action {planned.title!r} needs a note to reach {planned.status.value}")
        return
    if author is None:
        raise ValueError(f"nobody in {planned.agency} can write the notes of {planned.title!r}")
    span = work.now - timedelta(hours=2) - action.created_at
    status = ActionStatus.OPEN
    for number, note in enumerate(planned.notes, start=1):
        at = (action.created_at + span * number / (len(planned.notes) + 1)).replace(second=0, microsecond=0)
        last = number == len(planned.notes)
        if last and planned.status is not status:
            to = planned.status
        elif number == 1 and planned.status is not ActionStatus.OPEN and len(planned.notes) > 1:
            to = ActionStatus.IN_PROGRESS
        else:
            to = status
        moved = to is not status
        db.session.add(
            ActionUpdate(action_id=action.id, from_status=status if moved else None, to_status=to if moved else None,
                         note=note, author_id=author.id, at=at)
        )  # fmt: skip
        status = to
        if to is ActionStatus.DONE:
            action.completion_note, action.completed_at = note, at
    action.status = status


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
        creator = db.session.get(User, picked.case.lead_officer_id or picked.case.opened_by_id)
        _add_action(work, planned, created_by=creator, created_at=created_at, case_id=picked.case.id)

    premises = {name: premises_id for name, premises_id in db.session.execute(select(Premises.name, Premises.id))}
    for name, planned in PREMISES_WORK:
        if name in premises:
            _add_action(work, planned, created_by=work.staff[LICENSING], created_at=_created(work, planned),
                        premises_id=premises[name])  # fmt: skip

    for ref, planned in PLAN_WORK:
        _add_action(work, planned, created_by=work.staff[MANAGER], created_at=_created(work, planned),
                    plan_action_id=work.plan[ref].id)  # fmt: skip


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
    referrer = work.staff[by]
    referral = Referral(
        subject=about.subject,
        first_name=about.first_name,
        last_name=about.last_name,
        date_of_birth=about.date_of_birth,
        address=about.address,
        postcode=about.postcode,
        place=about.place,
        what_is_happening=happening,
        risks=risks,
        consent=consent,
        consent_reason=consent_reason,
        referring_agency_id=referrer.agency_id,
        referrer_id=referrer.id,
        received_at=received_at,
        status=ReferralStatus.NEW,
    )
    db.session.add(referral)
    db.session.flush()
    return referral


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
    """As the chair accepts into an existing case: the referring agency joins the case and
    the referral's account goes on its timeline (``person_id``: who it is on the case)."""
    chair = work.staff[CHAIR]
    referral.status, referral.decided_by_id, referral.decided_at = ReferralStatus.ACCEPTED, chair.id, at
    referral.case_id, referral.person_id = open_case.case.id, person_id
    agency = db.session.get(Agency, referral.referring_agency_id)
    work.involve(open_case, agency, chair, at)
    referrer = db.session.get(User, referral.referrer_id)
    lines = [
        f"Referral from {agency.name} ({referrer.name}) accepted by {chair.name}.",
        "",
        f"What is happening: {referral.what_is_happening}",
    ]
    if referral.place:
        lines.append(f"Where: {referral.place}")
    if referral.risks:
        lines.append(f"Risks: {referral.risks}")
    lines.append(f"Consent to share: {referral.consent.label} ({referral.consent_reason})")
    body = "\n".join(lines)
    db.session.add(
        Note(case_id=open_case.case.id, author_id=chair.id, kind=NoteKind.DECISION, body=body, created_at=at)
    )


def _decline(work: _Work, referral: Referral, reason: str, at: datetime) -> None:
    referral.status, referral.decided_by_id, referral.decided_at = ReferralStatus.DECLINED, work.staff[CHAIR].id, at
    referral.decline_reason = reason


def _load_referrals_since(work: _Work, past: Meeting) -> None:
    """New referrals since the last meeting (for the next agenda), and two decided
    between the meetings."""
    since = (work.today - local_date(past.held_at)).days

    def received(fraction: float) -> datetime:
        return work.office_time(max(1, round(since * fraction)))

    _referral(
        work,
        _Referred(ReferralSubject.PERSON, "Olive", "Thornbury", date(1941, 3, 14), "14 Mill Close, Wisbech",
                  "PE13 2ZZ"),
        by="partner@demo.test", received_at=received(0.1),
        happening="Youths knock on her door and windows most evenings and shout through the letterbox. She has "
        "stopped going out after dark, and her daughter says she is not eating properly.",
        risks="Lives alone, with memory problems; the youths know she is on her own.",
        consent=Consent.YES, consent_reason="Agreed at our home visit, with her daughter present.",
    )  # fmt: skip
    _referral(
        work, _Referred(ReferralSubject.PLACE, place="Spinney playground, Waterlees, Wisbech"),
        by="partner@demo.test", received_at=received(0.35),
        happening="Volunteers found needles and foil at the playground on three mornings this month; groups of "
        "young adults gather there late at night.",
        risks="Children use the playground from 8am; volunteers clearing litter risk needlestick injuries.",
        consent=Consent.NOT_ASKED, consent_reason="About a place: there is no one person to ask.",
    )  # fmt: skip
    known = work.pick_case(types=[CaseType.PERPETRATOR]) or work.pick_case(types=[CaseType.VICTIM])
    someone = _someone_on(known.case, PartyRole.PERPETRATOR) if known else None
    if someone is not None:
        # Someone already on a case: the chair is offered the existing record.
        _referral(
            work, someone, by="pc.dunmore@demo.test", received_at=received(0.25),
            happening="Arrested for criminal damage to a neighbour's car; neighbours report intimidation on the "
            "estate since.",
            risks="Neighbours frightened to give statements.",
            consent=Consent.NOT_ASKED, consent_reason="Referred as a perpetrator: consent to share is not sought.",
        )  # fmt: skip
    _referral(
        work,
        _Referred(ReferralSubject.PERSON, "Kieran", "Wragg", date(1996, 8, 2), "Flat 3, 22 Station Road, March",
                  "PE15 3ZZ", place="Station Road, March"),
        by="member@demo.test", received_at=received(0.5),
        happening="Loud music and parties most nights; two neighbours were threatened when they complained.",
        risks="Neighbours are frightened to report; one of them is disabled.",
        consent=Consent.NO,
        consent_reason="Asked at the tenancy visit and refused. Shared without consent to prevent harm to the "
        "neighbours, under the information sharing agreement.",
    )  # fmt: skip
    _referral(
        work, _Referred(ReferralSubject.PLACE, place="Alleyway between Broad Street and the car park, March"),
        by="pc.dunmore@demo.test", received_at=received(0.7),
        happening="Street drinking and public urination; shop staff are abused when they ask the group to move on.",
        risks="Two shop workers have been threatened.",
        consent=Consent.NOT_ASKED, consent_reason="About a place: there is no one person to ask.",
    )  # fmt: skip
    _referral(
        work,
        _Referred(ReferralSubject.PERSON, "Dennis", "Quennell", date(1958, 11, 23), "7 Fen Road, Chatteris",
                  "PE16 4ZZ"),
        by="fire.safety@demo.test", received_at=received(0.05),
        happening="Hoarding found at a safe and well visit: exits blocked and papers stacked by the cooker.",
        risks="High fire risk; smokes indoors; refused help from family.",
        consent=Consent.YES, consent_reason="Agreed at the safe and well visit.",
    )  # fmt: skip

    # Decided by the chair between meetings.
    into = work.pick_case(involving=[COUNCIL], types=[CaseType.PLACE], before=received(0.9)) or work.pick_case(
        involving=[COUNCIL], before=received(0.9)
    )
    if into is not None:
        accepted = _referral(
            work, _Referred(ReferralSubject.PLACE, place=f"Outside the flats, {into.case.town or 'Wisbech'}"),
            by="member@demo.test", received_at=received(0.9),
            happening="Tenants report the same group gathering and drinking outside the flats every evening.",
            risks="Older tenants afraid to use the entrance after dark.",
            consent=Consent.NOT_ASKED, consent_reason="About a place: there is no one person to ask.",
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


@dataclass
class _Item:
    meeting: Meeting
    item: AgendaItem
    decided_at: datetime

    def decide(self, work: _Work, text: str, actions: Sequence[_Planned] = ()) -> MeetingDecision:
        """A decision, and the actions it created (about the item's case, or the meeting)."""
        chair = work.staff[CHAIR]
        self.decided_at += timedelta(minutes=work.rng.randint(3, 9))
        decision = MeetingDecision(
            item_id=self.item.id, text=text, recorded_by_id=chair.id, recorded_at=self.decided_at
        )
        db.session.add(decision)
        db.session.flush()
        for planned in actions:
            subject = {"case_id": self.item.case_id} if self.item.case_id else {"meeting_id": self.meeting.id}
            _add_action(work, planned, created_by=chair, created_at=self.decided_at, decision_id=decision.id, **subject)
        return decision


def _load_past_meeting(work: _Work) -> Meeting:
    """Last month's PSG meeting, finished: attendance, the agenda with why each item was
    on it, minutes, decisions and the actions they created, and one amendment."""
    chair = work.staff[CHAIR]
    day = _weekday(work.today - timedelta(days=28))
    held_at = work.local(day, 10)
    meeting = Meeting(
        kind=MeetingKind.PSG_MEETING, held_at=held_at, location=MEETING_PLACE, chair_id=chair.id,
        agenda_generated_at=held_at - timedelta(days=6, hours=1),
        recorded_by_id=chair.id, recorded_at=held_at - timedelta(days=27),
    )  # fmt: skip
    db.session.add(meeting)
    db.session.flush()
    apologies = {PROBATION, AMBULANCE}
    for name, agency in sorted(work.agencies.items()):
        status = AttendanceStatus.APOLOGIES if name in apologies else AttendanceStatus.PRESENT
        db.session.add(MeetingAttendance(meeting_id=meeting.id, agency_id=agency.id, status=status))

    position = 0
    at = held_at

    def item(*, reasons: list[str], minutes: str, case: _OpenCase | None = None, referral: Referral | None = None,
             topic: str = "", by_chair: bool = False) -> _Item:  # fmt: skip
        nonlocal position, at
        position += 1
        added = AgendaItem(
            meeting_id=meeting.id, position=position, case_id=case.case.id if case else None,
            referral_id=referral.id if referral else None, topic=topic, reasons=reasons, added_by_chair=by_chair,
            minutes=minutes,
        )  # fmt: skip
        db.session.add(added)
        db.session.flush()
        at += timedelta(minutes=work.rng.randint(10, 20))
        return _Item(meeting, added, at)

    # Every case on the record involves the chair's agency: a chair records minutes and
    # decisions only about cases they see in full.
    before = held_at - timedelta(days=14)
    high_risk = set(
        db.session.scalars(
            select(RiskAssessment.case_id).where(
                RiskAssessment.level == RiskLevel.HIGH, RiskAssessment.assessed_at < held_at
            )
        )
    )

    # New referrals: two accepted into cases, one declined.
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
        accepted = item(
            reasons=[NEW_REFERRAL], referral=referral,
            minutes="Fenland Community Support referred a victim who already has an open case. The new incidents "
            "are added to that case, and Fenland Community Support joins it.",
        )  # fmt: skip
        _accept(work, referral, victim_case, accepted.decided_at, person_id=someone.person_id)
        accepted.decide(
            work, f"Accepted into {victim_case.case.reference}. Fenland Community Support to add the victim to "
            "its volunteer visiting rota.",
            [_Planned(VOLUNTARY, "Add the victim to the volunteer visiting rota",
                      f"Agreed at the PSG: the victim on {victim_case.case.reference}.", -8)],
        )  # fmt: skip

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
        accepted = item(
            reasons=[NEW_REFERRAL], referral=referral,
            minutes="The police referred a victim of repeated criminal damage who is already known to the PSG.",
        )  # fmt: skip
        _accept(work, referral, police_case, accepted.decided_at, person_id=someone.person_id)
        accepted.decide(work, f"Accepted into {police_case.case.reference}, the victim's existing case.")

    referral = _referral(
        work,
        _Referred(ReferralSubject.PERSON, "Gordon", "Pilbeam", date(1972, 1, 9), "5 Church Lane, Manea", "PE15 0ZZ"),
        by="partner@demo.test", received_at=work.office_time((work.today - day).days + 5),
        happening="Dispute with his neighbour over parking and a shared hedge; raised voices on two occasions.",
        risks="None known.",
        consent=Consent.YES, consent_reason="Asked us to refer him.",
    )  # fmt: skip
    declined = item(
        reasons=[NEW_REFERRAL], referral=referral,
        minutes="A dispute over parking and a shared hedge; no anti-social behaviour has been reported to any agency.",
    )  # fmt: skip
    reason = ("A civil dispute between neighbours, with no anti-social behaviour reported to any agency. Referred to "
              "the community mediation service; refer again if there are threats or damage.")  # fmt: skip
    _decline(work, referral, reason, declined.decided_at)
    declined.decide(work, f"Declined: {reason}")

    # Cases: a high-risk victim, one flagged by its lead, one with an action overdue.
    risky = work.pick_case(involving=[COUNCIL, POLICE, HOUSING], among=high_risk, before=before) or work.pick_case(
        involving=[COUNCIL, POLICE], among=high_risk, before=before
    )
    amended = None
    if risky is not None:
        partner = HOUSING if work.agency(HOUSING).id in risky.involved else COUNCIL
        discussed = item(
            reasons=[HIGH_RISK], case=risky,
            minutes="Risk remains high: two further incidents since the case conference, including threats made at "
            f"the victim's door. The victim is engaging with the police and {partner}.",
        )  # fmt: skip
        discussed.decide(
            work, f"Joint visit by the police and {partner} within 7 days to review the safety plan.",
            [_Planned(POLICE, "Joint visit to review the safety plan", "Agreed at the PSG.", -20, S.DONE,
                      ("Joint visit done; safety plan updated and a target-hardening referral made.",)),
             _Planned(partner, "Joint visit, then consider a management move", "Agreed at the PSG.", 10,
                      S.IN_PROGRESS, ("Joint visit done. Management move form started with the victim.",))],
        )  # fmt: skip
        fire = work.agency(FIRE)
        if fire.id in risky.involved:
            discussed.decide(work, "Offer a home fire safety visit.",
                             [_Planned(FIRE, "Home fire safety visit", "Agreed at the PSG.", -1)])  # fmt: skip
        amended = discussed.item

    flagged = work.pick_case(involving=[COUNCIL, HOUSING], before=before) or work.pick_case(
        involving=[COUNCIL], before=before
    )
    if flagged is not None:
        discussed = item(
            reasons=[FLAGGED], case=flagged,
            minutes="The lead officer asked for a partnership view: incidents continue despite warnings, and the "
            "people affected are losing confidence.",
        )  # fmt: skip
        owed = [name for name in (HOUSING, POLICE, VOLUNTARY) if work.agency(name).id in flagged.involved]
        discussed.decide(
            work, "Gather evidence for an injunction: partners share what they hold before the next meeting.",
            [_Planned(name, "Share evidence for an injunction", "Agreed at the PSG: incident logs, diary sheets and "
                      "statements, to the lead officer.", due)
             for name, due in zip(owed, (-7, -10, 5), strict=False)],
        )  # fmt: skip

    overdue = work.pick_case(involving=[COUNCIL], types=[CaseType.PERPETRATOR], before=before) or work.pick_case(
        involving=[COUNCIL], before=before
    )
    if overdue is not None:
        discussed = item(
            reasons=[ACTION_OVERDUE], case=overdue,
            minutes="Incidents continue despite the Acceptable Behaviour Contract; the council's ASB officer reported "
            "two breaches.",
        )  # fmt: skip
        discussed.decide(
            work, "The council to serve a Community Protection Warning.",
            [_Planned(COUNCIL, "Serve a Community Protection Warning",
                      "Agreed at the PSG after two breaches of the ABC.",
                      -14, S.DONE, ("Warning served in person; copy on the case.",))],
        )  # fmt: skip

    sharing = item(
        reasons=[ADDED_BY_CHAIR], topic="Information sharing agreement", by_chair=True,
        minutes="The revised information sharing agreement was noted. Two partners have not yet returned it signed.",
    )  # fmt: skip
    sharing.decide(
        work, "Partners who have not signed the revised agreement return it before the next meeting.",
        [_Planned(COUNCIL, "Circulate the revised information sharing agreement", "To every partner's lead.", -25,
                  S.DONE, ("Sent to every partner the day after the meeting.",), officer=CHAIR),
         _Planned(VOLUNTARY, "Return the signed information sharing agreement", "Signed by the manager.", 4),
         _Planned(HEALTH, "Return the signed information sharing agreement", "Signed by the Caldicott guardian.", -2)],
    )  # fmt: skip

    meeting.finished_at = sharing.decided_at + timedelta(minutes=25)
    if amended is not None:
        db.session.add(
            MeetingAmendment(
                meeting_id=meeting.id, item_id=amended.id, author_id=chair.id,
                at=meeting.finished_at + timedelta(days=2, hours=3),
                text="Correction: the victim was staying with family at the time of the meeting, so the joint visit "
                "is to take place there.",
            )
        )  # fmt: skip
    return meeting


# --- The next PSG meeting --------------------------------------------------------------


def _load_next_meeting(work: _Work, past: Meeting) -> None:
    """Next week's meeting, scheduled: its agenda is generated from the casebook later."""
    chair = work.staff[CHAIR]
    db.session.add(
        Meeting(
            kind=MeetingKind.PSG_MEETING, held_at=work.local(_weekday(work.today + timedelta(days=7)), 10),
            location=MEETING_PLACE, chair_id=chair.id, recorded_by_id=chair.id,
            recorded_at=past.finished_at + timedelta(hours=1),
        )
    )  # fmt: skip


# --- Flagged for the next PSG ----------------------------------------------------------


def _flag_for_review(work: _Work) -> None:
    """Three open cases their lead agencies want the next PSG to look at."""
    for involving in ([HOUSING], [VOLUNTARY], [POLICE]):
        picked = work.pick_case(involving=involving)
        if picked is not None and not picked.case.psg_review:
            picked.case.psg_review = True
            lead = db.session.get(User, picked.case.lead_officer_id or picked.case.opened_by_id)
            db.session.add(
                Note(case_id=picked.case.id, author_id=lead.id, kind=NoteKind.STATUS,
                     body="Flagged for the next PSG meeting", created_at=work.office_time(2))
            )  # fmt: skip
