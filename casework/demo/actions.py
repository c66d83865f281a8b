"""Demo multi-agency actions on cases, premises and the plan, each set and updated
through the actions' services, and due around now: every inbox has something overdue,
something due this week and something later."""

from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import select

from casework import db
from casework.accounts.models import User
from casework.actions.models import Action, ActionStatus
from casework.actions.services import actions
from casework.actions.services.actions import Subject
from casework.cases.models import CaseType
from casework.demo.past import recorded_at
from casework.demo.plan import COUNCIL, COUNTY, FIRE, HOUSING, POLICE, VOLUNTARY
from casework.demo.shared import LICENSING, MANAGER, Work
from casework.premises.models import Premises


class Planned(NamedTuple):
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
    work: Work,
    planned: Planned,
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
    add_history(work, action, planned, officer)
    return action


def add_history(work: Work, action: Action, planned: Planned, author: User | None) -> None:
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


def _created(work: Work, planned: Planned) -> datetime:
    """When an action was set: some weeks ago, and before it fell due."""
    return work.office_time(max(0, -planned.due_in) + work.rng.randint(8, 24))


S = ActionStatus

# The kinds of case an action suits: about a victim, or with a perpetrator on it.
VICTIMS = (CaseType.VICTIM,)
PERPETRATORS = (CaseType.VICTIM, CaseType.PERPETRATOR)

# On cases the agency is involved in (the case is picked from those).
CASE_WORK = [
    Planned(HOUSING, "Send a tenancy warning letter to the perpetrator",
             "Breach of the nuisance clause of the tenancy: warning letter, with a copy on the case.", -6,
             types=PERPETRATORS),
    Planned(HOUSING, "Fit a door camera for the victim",
             "The victim agreed to a door camera; the contractor fits it and shows them how to save footage.", 3,
             S.IN_PROGRESS, ("Contractor booked; the victim is happy with the date.",), types=VICTIMS),
    Planned(HOUSING, "Prepare the file for a possession claim",
             "Diary sheets, police logs and witness statements for the solicitor.", 26, S.IN_PROGRESS,
             ("Diary sheets and police logs collected.", "Waiting for the second witness statement."),
             types=PERPETRATORS),
    Planned(HOUSING, "Repair the damaged front door", "Door and frame damaged in the last incident.", 12,
             unassigned=True, types=VICTIMS),
    Planned(HOUSING, "Joint visit to the victim with the police", "Review the safety plan at home.", -12, S.DONE,
             ("Visit arranged for Tuesday.", "Visited with the police: safety plan reviewed and a spare key "
              "left with a neighbour."), types=VICTIMS, alongside=(POLICE,)),
    Planned(POLICE, "Add the address to the patrol plan",
             "Evening patrols past the address for four weeks after the latest incident.", -4),
    Planned(POLICE, "Check CCTV for the night of the incident",
             "Town centre cameras between 10pm and 1am; ask the shop opposite for its footage.", 2, S.IN_PROGRESS,
             ("Town centre footage requested from the CCTV control room.",)),
    Planned(POLICE, "Serve a Community Protection Warning with the council",
             "Joint service with the council's ASB officer; conditions as agreed at the PSG.", 18, types=PERPETRATORS,
             alongside=(COUNCIL,)),
    Planned(POLICE, "Take the victim's statement", "Statement about the threats made at the door.", -15, S.DONE,
             ("Statement taken at home; the victim is willing to go to court.",), types=VICTIMS),
    Planned(VOLUNTARY, "Weekly welfare calls to the victim",
             "A named volunteer calls every week until the risk is reduced.", 4, S.IN_PROGRESS,
             ("First call made: the victim feels less alone.", "Second call: no new incidents since the visit."),
             types=VICTIMS),
    Planned(VOLUNTARY, "Arrange a befriending volunteer",
             "The person is isolated and has asked for someone to visit.", -3),
    Planned(VOLUNTARY, "Help the complainants keep diary sheets",
             "Show them how to record incidents for the housing association.", 15),
    Planned(VOLUNTARY, "Deliver a personal alarm", "Alarm linked to the community alarm service.", -9, S.DONE,
             ("Alarm delivered and tested with the victim.",), types=VICTIMS),
    Planned(COUNCIL, "Serve a Community Protection Warning on the perpetrator",
             "Conditions: no contact with the victim and no loud music after 11pm.", -2, types=PERPETRATORS),
    Planned(COUNCIL, "Refer the neighbours to community mediation", "Suggested at the first visit.", 9,
             S.CANCELLED, ("Cancelled: the victim declined mediation while the threats continue.",), types=VICTIMS),
    Planned(COUNCIL, "Review the case with the lead officer", "Three-monthly review of the action plan.", 30),
    Planned(FIRE, "Home fire safety visit", "Smoke alarms and a letterbox guard after threats of arson.", 5),
]  # fmt: skip

# (premises name, action): a premises action goes to any agency; it is seen by whoever sees the premises.
PREMISES_WORK = [
    ("The Fen Tiger", Planned(COUNCIL, "Amber visit: review the action plan with the DPS",
                               "Check door staff numbers and the refusals log.", 3, officer=LICENSING)),
    ("Gaultside Tap", Planned(POLICE, "Joint visit with licensing at closing time",
                               "Check dispersal at closing time and the door staff register.", -5)),
    ("Quayside Wines", Planned(COUNTY, "Challenge 25 training after the failed test purchase",
                                "Trading Standards to train all staff; re-test within 6 weeks.", 10)),
    ("The Sluice Keeper", Planned(COUNCIL, "Agree an action plan with the licence holder",
                                   "Red since the assault outside: action plan with 3-month review.", -20, S.DONE,
                                   ("Action plan agreed and signed by the licence holder.",), officer=LICENSING)),
    ("The Drowned Eel", Planned(POLICE, "Fortnightly joint visit with licensing",
                                 "Red past its deadline: check the new licence conditions are kept.", 2,
                                 S.IN_PROGRESS, ("First visit done: door staff in place from 9pm.",))),
]  # fmt: skip

# (plan reference, action): the work behind the amber and red items, and one done.
PLAN_WORK = [
    ("1.3.5", Planned(VOLUNTARY, "Recruit and train four welfare-call volunteers",
                       "To fill the second rota of welfare calls.", 30, S.IN_PROGRESS,
                       ("Two volunteers recruited; training booked.",))),
    ("5.3.4", Planned(VOLUNTARY, "First-contact calls to scam victims on the backlog",
                       "Call every victim on the list who has not been visited yet.", 6)),
    ("2.3.3", Planned(COUNTY, "Challenge 25 training for the two off-licences that failed test purchases",
                       "Book both within 2 weeks; re-test within 6 weeks.", 14)),
    ("3.3.2", Planned(HOUSING, "Hold two housing options interview slots a month for short-notice releases",
                       "Agreed with Probation after three releases without a tenancy.", -9)),
    ("2.3.1", Planned(POLICE, "Apply for a further review if the red premises does not improve",
                       "Decision after three fortnightly visits.", 40)),
    ("1.3.1", Planned(COUNCIL, "Agree the new referral form with partners",
                       "One form for every agency, with consent to share.", -40, S.DONE,
                       ("Agreed by every partner at the PSG; the form is live.",))),
]  # fmt: skip


def load_actions(work: Work) -> None:
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
