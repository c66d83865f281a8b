"""The demo's PSG meetings: last month's as its chair ran it through the meeting services
(the agenda generated from the casebook, attendance, minutes, decisions and the actions
they created, an amendment), next week's as scheduled, and the cases their leads flag
for it. The chair writes only about cases their agency sees in full."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select

from casework import db
from casework.accounts.models import User
from casework.cases.models import CaseAgency, CaseType, PartyRole
from casework.cases.services import commands as cases
from casework.demo.actions import Planned, S, add_history
from casework.demo.past import recorded_at
from casework.demo.plan import AMBULANCE, COUNCIL, FIRE, HEALTH, HOUSING, POLICE, PROBATION, VOLUNTARY
from casework.demo.referrals import Referred, accept_into_case, decline_referral, refer, someone_on
from casework.demo.shared import CHAIR, OpenCase, Work, lead_of, weekday
from casework.meetings.models import AttendanceStatus, Meeting
from casework.meetings.services import agenda
from casework.meetings.services import commands as meetings
from casework.meetings.services import pages as meeting_pages
from casework.meetings.services.agenda import HIGH_RISK
from casework.meetings.services.pages import ItemFacts
from casework.referrals.models import Consent, Referral, ReferralSubject

MEETING_PLACE = "Fenland Hall, March"


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

    work: Work
    meeting: Meeting
    at: datetime

    @property
    def chair(self) -> User:
        return self.work.staff[CHAIR]

    def minutes(self, item: ItemFacts, text: str) -> None:
        self.at += timedelta(minutes=self.work.rng.randint(10, 20))
        with recorded_at(self.at):
            meetings.record_minutes(self.chair, self.meeting.id, item.id, version=self.meeting.version, minutes=text)

    def decide(self, item: ItemFacts, text: str, planned: Planned | None = None) -> None:
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
            add_history(self.work, recorded.action, planned, officer)


@dataclass
class _Stories:
    """What the demo tells about particular items of the last meeting's agenda."""

    referrals: dict[int, Callable[[_Chair, ItemFacts], None]] = field(default_factory=dict)
    cases: dict[int, Callable[[_Chair, ItemFacts], None]] = field(default_factory=dict)


def load_past_meeting(work: Work) -> Meeting:
    """Last month's PSG meeting: scheduled, its agenda generated from the casebook by the
    generator three days before, attendance, minutes, decisions and the actions they
    created, finished, and one amendment."""
    chair = work.staff[CHAIR]
    day = weekday(work.today - timedelta(days=28))
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
        lead = lead_of(flagged.case)
        with recorded_at(running.at + timedelta(days=1)):
            cases.set_psg_review(lead, flagged.case.reference, flagged=False, version=flagged.case.version)
    return meeting


def _run_the_agenda(running: _Chair, stories: _Stories) -> ItemFacts | None:
    """Minutes and a decision on every item the chair may write about, in agenda order.
    Returns the item the chair amends afterwards."""
    # The items the chair's meeting page lets them write on, keeping to the cases the
    # chair's agency works on: those stay readable, and amendable, once it is finished.
    page = meeting_pages.meeting_page(running.chair, running.meeting.id)
    amended = None
    for item in (view.item for view in page.items if view.may_write and _works_on(running.chair, view.item)):
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


def _works_on(chair: User, item: ItemFacts) -> bool:
    if item.case_id is None:
        return True
    involved = select(CaseAgency.id).where(CaseAgency.case_id == item.case_id, CaseAgency.agency_id == chair.agency_id)
    return db.session.scalar(involved) is not None


def _refer_before_the_meeting(work: Work, day: date, stories: _Stories) -> None:
    """Three referrals received before the agenda: two about victims already known (to be
    accepted into their cases) and a neighbour dispute (to be declined)."""
    before = work.local(day, 10) - timedelta(days=14)
    victim_case = work.pick_case(involving=[COUNCIL], types=[CaseType.VICTIM], before=before)
    someone = someone_on(victim_case.case, PartyRole.VICTIM) if victim_case else None
    if victim_case and someone:
        referral = refer(
            work, someone, by="partner@demo.test", received_at=work.office_time((work.today - day).days + 9),
            happening="Our volunteer found the victim distressed after more damage to the garden fence; the victim "
            "asked us to tell the partnership.",
            risks="The victim says they will not report to the police again as nothing changes.",
            consent=Consent.YES, consent_reason="Gave consent to our volunteer; confirmed by phone the next day.",
        )  # fmt: skip
        stories.referrals[referral.id] = _accepted_from_the_volunteers(referral, victim_case, someone)

    police_case = work.pick_case(involving=[COUNCIL], types=[CaseType.VICTIM, CaseType.FAMILY], before=before)
    someone = someone_on(police_case.case, PartyRole.VICTIM) if police_case else None
    if police_case and someone:
        referral = refer(
            work, someone, by="pc.dunmore@demo.test", received_at=work.office_time((work.today - day).days + 16),
            happening="Third report of criminal damage to the victim's car this month.",
            risks="The suspect lives two doors away.",
            consent=Consent.NOT_ASKED,
            consent_reason="Not asked yet: the victim could not be spoken to safely with the suspect nearby. To "
            "be asked at the next visit.",
        )  # fmt: skip
        stories.referrals[referral.id] = _accepted_from_the_police(referral, police_case, someone)

    referral = refer(
        work,
        Referred(ReferralSubject.PERSON, "Gordon", "Pilbeam", date(1972, 1, 9), "5 Church Lane, Manea", "PE15 0ZZ"),
        by="partner@demo.test", received_at=work.office_time((work.today - day).days + 5),
        happening="Dispute with his neighbour over parking and a shared hedge; raised voices on two occasions.",
        risks="None known.",
        consent=Consent.YES, consent_reason="Asked us to refer him.",
    )  # fmt: skip
    stories.referrals[referral.id] = _declined_dispute(referral)


def _accepted_from_the_volunteers(
    referral: Referral, into: OpenCase, someone: Referred
) -> Callable[[_Chair, ItemFacts], None]:
    def tell(running: _Chair, item: ItemFacts) -> None:
        running.minutes(
            item,
            "Fenland Community Support referred a victim who already has an open case. The new incidents are added "
            "to that case, and Fenland Community Support joins it.",
        )
        accept_into_case(running.work, referral, into, running.at, person_id=someone.person_id)
        running.decide(
            item, f"Accepted into {into.case.reference}. Fenland Community Support to add the victim to its "
            "volunteer visiting rota.",
            Planned(VOLUNTARY, "Add the victim to the volunteer visiting rota", "", -8),
        )  # fmt: skip

    return tell


def _accepted_from_the_police(
    referral: Referral, into: OpenCase, someone: Referred
) -> Callable[[_Chair, ItemFacts], None]:
    def tell(running: _Chair, item: ItemFacts) -> None:
        running.minutes(
            item, "The police referred a victim of repeated criminal damage who is already known to the PSG."
        )
        accept_into_case(running.work, referral, into, running.at, person_id=someone.person_id)
        running.decide(item, f"Accepted into {into.case.reference}, the victim's existing case.")

    return tell


def _declined_dispute(referral: Referral) -> Callable[[_Chair, ItemFacts], None]:
    def tell(running: _Chair, item: ItemFacts) -> None:
        running.minutes(
            item,
            "A dispute over parking and a shared hedge; no anti-social behaviour has been reported to any agency.",
        )
        reason = (
            "A civil dispute between neighbours, with no anti-social behaviour reported to any agency. Referred to "
            "the community mediation service; refer again if there are threats or damage."
        )
        decline_referral(running.work, referral, reason, running.at)
        running.decide(item, f"Declined: {reason}")

    return tell


def _high_risk(running: _Chair, item: ItemFacts) -> None:
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
        Planned(POLICE, "Joint visit to review the safety plan", "", -20, S.DONE,
                 ("Joint visit done; safety plan updated and a target-hardening referral made.",)),
    )  # fmt: skip
    running.decide(
        item, f"{partner} to join the joint visit, then consider a management move.",
        Planned(partner, "Joint visit, then consider a management move", "", 10, S.IN_PROGRESS,
                 ("Joint visit done. Management move form started with the victim.",)),
    )  # fmt: skip
    if running.work.agency(FIRE).id in involved:
        running.decide(item, "Offer a home fire safety visit.", Planned(FIRE, "Home fire safety visit", "", -1))


def _flag_before_the_meeting(work: Work, at: datetime, stories: _Stories) -> OpenCase | None:
    """A case its lead flags for the meeting: incidents continue despite warnings."""
    flagged = work.pick_case(involving=[COUNCIL, HOUSING], before=at) or work.pick_case(involving=[COUNCIL], before=at)
    if flagged is None:
        return None
    with recorded_at(at):
        cases.set_psg_review(lead_of(flagged.case), flagged.case.reference, flagged=True, version=flagged.case.version)

    def tell(running: _Chair, item: ItemFacts) -> None:
        running.minutes(
            item,
            "The lead officer asked for a partnership view: incidents continue despite warnings, and the people "
            "affected are losing confidence.",
        )
        owed = [name for name in (HOUSING, POLICE, VOLUNTARY) if work.agency(name).id in flagged.involved]
        for name, due in zip(owed, (-7, -10, 5), strict=False):
            running.decide(
                item, f"{name} to share the evidence it holds for an injunction before the next meeting.",
                Planned(name, "Share evidence for an injunction", "", due),
            )  # fmt: skip
        if not owed:
            running.decide(item, "Gather evidence for an injunction before the next meeting.")

    stories.cases[flagged.case.id] = tell
    return flagged


def _sharing(running: _Chair, item: ItemFacts) -> None:
    running.minutes(
        item, "The revised information sharing agreement was noted. Two partners have not yet returned it signed."
    )
    running.decide(
        item, "The council to circulate the revised agreement to every partner's lead.",
        Planned(COUNCIL, "Circulate the revised information sharing agreement", "", -25, S.DONE,
                 ("Sent to every partner the day after the meeting.",), officer=CHAIR),
    )  # fmt: skip
    for agency, due in ((VOLUNTARY, 4), (HEALTH, -2)):
        running.decide(
            item, f"{agency} to return the signed agreement before the next meeting.",
            Planned(agency, "Return the signed information sharing agreement", "", due),
        )  # fmt: skip


# --- The next PSG meeting --------------------------------------------------------------


def load_next_meeting(work: Work, past: Meeting) -> None:
    """Next week's meeting, scheduled by the chair after the last one finished: its agenda
    is generated from the casebook once the demo is loaded."""
    held_at = work.local(weekday(work.today + timedelta(days=7)), 10)
    if past.finished_at is None:
        raise ValueError("the demo's last meeting is finished before the next is scheduled")
    with recorded_at(past.finished_at + timedelta(hours=1)):
        meetings.schedule_meeting(work.staff[CHAIR], held_at=held_at, location=MEETING_PLACE)


# --- Flagged for the next PSG ----------------------------------------------------------


def flag_for_review(work: Work) -> None:
    """Three open cases their lead agencies want the next PSG to look at, flagged by their leads."""
    for involving in ([HOUSING], [VOLUNTARY], [POLICE]):
        picked = work.pick_case(involving=involving)
        if picked is not None and not picked.case.psg_review:
            with recorded_at(work.office_time(2)):
                cases.set_psg_review(
                    lead_of(picked.case), picked.case.reference, flagged=True, version=picked.case.version
                )
