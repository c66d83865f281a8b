"""The meeting page reads the columns it shows, not mapped objects, and still shows each
viewer what the case page would: a stub names its subject by the case page's rule."""

from datetime import timedelta

import pytest

from casework import db
from casework.cases.models import Case, CaseParty, CaseType, PartyRole
from casework.cases.services.pages import subject_name
from casework.clock import utcnow
from casework.meetings.models import AgendaItem, MeetingDecision
from casework.meetings.services import pages
from casework.people.models import Person
from casework.permissions import Role
from casework.referrals.models import Referral
from tests.factories import (
    add_party,
    make_agency,
    make_agenda_item,
    make_case,
    make_person,
    make_psg_meeting,
    make_referral,
    make_user,
)

pytestmark = pytest.mark.both_databases


@pytest.fixture
def agenda(session):
    council, police = make_agency(name="Fenland District Council"), make_agency(name="Cambridgeshire Constabulary")
    officer = make_user(agency=police)

    def case(case_type: CaseType, *parties: tuple[str, PartyRole, bool], restricted: bool = False) -> Case:
        made = make_case(lead_agency=police, opened_by=officer, case_type=case_type, restricted=restricted)
        for first_name, role, removed in parties:
            party = add_party(case=made, person=make_person(created_by=officer, first_name=first_name), role=role)
            if removed:
                party.removed_at = utcnow()
        db.session.commit()
        return made

    cases = [
        # The first current perpetrator, though a victim and a removed perpetrator came first.
        case(
            CaseType.PERPETRATOR,
            ("Vera", PartyRole.VICTIM, False),
            ("Gone", PartyRole.PERPETRATOR, True),
            ("Perry", PartyRole.PERPETRATOR, False),
        ),
        # No victim on a victim case: the first current party.
        case(CaseType.VICTIM, ("Gone", PartyRole.VICTIM, True), ("Fallback", PartyRole.PERPETRATOR, False)),
        case(CaseType.VICTIM),  # nobody on it yet
        case(CaseType.PLACE, ("Resident", PartyRole.VICTIM, False)),  # about a place: no subject
        case(CaseType.VICTIM, ("Hidden", PartyRole.VICTIM, False), restricted=True),
    ]
    chair = make_user(role=Role.PSG_CHAIR, agency=council)
    meeting = make_psg_meeting(chair=chair, held_at=utcnow() + timedelta(days=3))
    for position, made in enumerate(cases, start=1):
        make_agenda_item(meeting=meeting, position=position, case=made)
    referral = make_referral(referrer=officer, first_name="Rhona")
    make_agenda_item(meeting=meeting, position=len(cases) + 1, referral_id=referral.id)
    item = make_agenda_item(meeting=meeting, position=len(cases) + 2, topic="Sharing protocol")
    db.session.add(MeetingDecision(item_id=item.id, text="Adopt it", recorded_by_id=chair.id))
    db.session.commit()
    return meeting, cases, chair, make_user(agency=council), referral


def test_a_stub_names_its_subject_as_the_case_page_does(agenda):
    meeting, cases, _chair, member, _referral = agenda
    db.session.expire_all()

    page = pages.meeting_page(member, meeting.id)

    seen = [(view.is_stub, view.restricted_stub, view.subject_name) for view in page.items[: len(cases)]]
    assert seen == [
        (True, False, "Perry Ashdown"),
        (True, False, "Fallback Ashdown"),
        (True, False, ""),
        (True, False, ""),
        (True, True, ""),
    ]
    # The same words as the case page's rule, read from the mapped parties.
    for made, (_, restricted, name) in zip(cases, seen, strict=True):
        db.session.refresh(made, ["parties"])
        for party in made.parties:
            db.session.refresh(party, ["person"])
        assert name == ("" if restricted else subject_name(made))


def test_the_page_holds_no_mapped_cases_people_or_items(agenda):
    """Mapped objects hold reference cycles, left for the garbage collector: the page
    keeps to plain rows for what it shows of the agenda."""
    meeting, cases, chair, _member, referral = agenda
    db.session.expunge_all()

    page = pages.meeting_page(chair, meeting.id)

    loaded = {type(instance) for instance in db.session.identity_map.values()}
    assert loaded.isdisjoint({Case, CaseParty, Person, AgendaItem, MeetingDecision, Referral}), loaded
    assert [view.case.reference for view in page.items if view.case] == [made.reference for made in cases]
    assert page.items[len(cases)].referral is not None
    assert page.items[len(cases)].referral.subject_name == referral.subject_name
    assert [decision.text for decision in page.items[-1].item.decisions] == ["Adopt it"]
    assert page.items[-1].item.decisions[0].recorded_by_name == chair.name
