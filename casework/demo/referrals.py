"""Demo referrals, made through the referral form's service by the partners who refer,
and accepted into a case or declined by the chair."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import select

from casework import db
from casework.cases.models import Case, CaseParty, CaseType, PartyRole
from casework.clock import local_date
from casework.demo.casebook import REFERENCE_PREFIX
from casework.demo.past import recorded_at
from casework.demo.plan import COUNCIL
from casework.demo.shared import CHAIR, OpenCase, Work
from casework.meetings.models import Meeting
from casework.people.models import Person
from casework.referrals import services as referrals
from casework.referrals.models import Consent, Referral, ReferralSubject


@dataclass(frozen=True)
class Referred:
    """Who or where a referral is about."""

    subject: ReferralSubject
    first_name: str = ""
    last_name: str = ""
    date_of_birth: date | None = None
    address: str = ""
    postcode: str = ""
    place: str = ""
    person_id: int | None = None


def refer(
    work: Work,
    about: Referred,
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


def someone_on(case: Case, role: PartyRole) -> Referred | None:
    """A person already on the case, as a referrer who knows them would describe them."""
    person = db.session.scalar(
        select(Person)
        .join(CaseParty, CaseParty.person_id == Person.id)
        .where(CaseParty.case_id == case.id, CaseParty.role == role, CaseParty.removed_at.is_(None))
        .order_by(CaseParty.id)
    )
    if person is None:
        return None
    return Referred(ReferralSubject.PERSON, person.first_name, person.last_name, person.date_of_birth, person.address,
                     person.postcode, person_id=person.id)  # fmt: skip


def accept_into_case(
    work: Work, referral: Referral, open_case: OpenCase, at: datetime, *, person_id: int | None = None
) -> None:
    """The chair accepts into an existing case: the service adds the referring agency and
    the referral's account to the case (``person_id``: who it is about, already known).

    A victim already on the case is recorded as the complainant this time (referred as a
    victim, they would stay on it as they were)."""
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


def decline_referral(work: Work, referral: Referral, reason: str, at: datetime) -> None:
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
SINCE_THE_MEETING: list[tuple[Referred | None, float, _Account]] = [
    (
        Referred(ReferralSubject.PERSON, "Olive", "Thornbury", date(1941, 3, 14), "14 Mill Close, Wisbech",
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
        Referred(ReferralSubject.PLACE, place="Spinney playground, Waterlees, Wisbech"),
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
        Referred(ReferralSubject.PERSON, "Kieran", "Wragg", date(1996, 8, 2), "Flat 3, 22 Station Road, March",
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
        Referred(ReferralSubject.PLACE, place="Alleyway between Broad Street and the car park, March"),
        0.7,
        _Account(
            "pc.dunmore@demo.test",
            "Street drinking and public urination; shop staff are abused when they ask the group to move on.",
            "Two shop workers have been threatened.",
            Consent.NOT_ASKED, ABOUT_A_PLACE,
        ),
    ),
    (
        Referred(ReferralSubject.PERSON, "Dennis", "Quennell", date(1958, 11, 23), "7 Fen Road, Chatteris",
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


def load_referrals_since(work: Work, past: Meeting) -> None:
    """New referrals since the last meeting (for the next agenda), and two decided
    between the meetings."""
    since = (work.today - local_date(past.held_at)).days

    def received(fraction: float) -> datetime:
        return work.office_time(max(1, round(since * fraction)))

    for about, fraction, account in SINCE_THE_MEETING:
        if about is None:
            known = work.pick_case(types=[CaseType.PERPETRATOR]) or work.pick_case(types=[CaseType.VICTIM])
            about = someone_on(known.case, PartyRole.PERPETRATOR) if known else None
        if about is not None:
            refer(work, about, received_at=received(fraction), **account._asdict())
    _decide_between_meetings(work, received)


def _decide_between_meetings(work: Work, received: Callable[[float], datetime]) -> None:
    """One referral the chair accepted into a case between the meetings, and one declined."""
    into = work.pick_case(involving=[COUNCIL], types=[CaseType.PLACE], before=received(0.9)) or work.pick_case(
        involving=[COUNCIL], before=received(0.9)
    )
    if into is not None:
        accepted = refer(
            work, Referred(ReferralSubject.PLACE, place=f"Outside the flats, {into.case.town or 'Wisbech'}"),
            by="member@demo.test", received_at=received(0.9),
            happening="Tenants report the same group gathering and drinking outside the flats every evening.",
            risks="Older tenants afraid to use the entrance after dark.",
            consent=Consent.NOT_ASKED, consent_reason=ABOUT_A_PLACE,
        )  # fmt: skip
        accept_into_case(
            work, accepted, into, min(accepted.received_at + timedelta(days=3), work.now - timedelta(hours=1))
        )
    declined = refer(
        work,
        Referred(ReferralSubject.PERSON, "Stacey", "Duckmanton", date(1989, 5, 30), "31 Orchard Way, Whittlesey",
                  "PE7 1ZZ"),
        by="pc.dunmore@demo.test", received_at=received(0.6),
        happening="Repeat calls about arguments at the address with her partner.",
        risks="Domestic abuse: the victim is already supported by the IDVA service.",
        consent=Consent.NO,
        consent_reason="Declined to consent; shared because of the risk of serious harm.",
    )  # fmt: skip
    decline_referral(
        work, declined,
        "Already managed through MARAC, with the IDVA service engaged: a PSG case would duplicate that work. The "
        "MARAC coordinator has the referral.",
        min(declined.received_at + timedelta(days=2), work.now - timedelta(hours=1)),
    )  # fmt: skip
