"""The referral services called directly: making a referral, who sees which, the
chair's checks, and accepting or declining, which happens once and wholly or not at all."""

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from casework import db
from casework.audit.models import AuditEvent
from casework.cases.models import Case, CaseAgency, CaseParty, CaseStatus, CaseType, Note, PartyRole
from casework.clock import today
from casework.exceptions import EditConflict, InvalidInput, InvalidTransition, NotFound, PermissionDenied
from casework.people.models import Person
from casework.permissions import Role
from casework.referrals import services as referrals
from casework.referrals.models import Consent, Referral, ReferralStatus, ReferralSubject
from casework.referrals.services import NewCase, ReferredPerson
from tests.factories import add_party, make_agency, make_case, make_person, make_referral, make_user
from tests.support.queries import recorded_statements

pytestmark = pytest.mark.both_databases


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def events(verb_prefix: str = "") -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id)
    if verb_prefix:
        query = query.where(AuditEvent.verb.startswith(verb_prefix))
    return list(db.session.scalars(query))


def snapshot() -> tuple[int, ...]:
    """Everything an acceptance could write, counted."""
    return tuple(count(model) for model in (Case, CaseParty, CaseAgency, Person, Note, AuditEvent))


@pytest.fixture
def world(session):
    council = make_agency(name="Fenland District Council")
    housing = make_agency(name="Roddons Housing")
    voluntary = make_agency(name="Wisbech Community Trust")
    chair = make_user(role=Role.PSG_CHAIR, agency=council, name="Chris Chair")
    partner = make_user(role=Role.PARTNER, agency=voluntary, name="Pat Partner")
    housing_officer = make_user(agency=housing)
    council_case = make_case(lead_agency=council, opened_by=chair, title="Stones at windows, Orchard Road")
    housing_case = make_case(lead_agency=housing, opened_by=housing_officer, title="Housing tenancy case")
    restricted_case = make_case(lead_agency=housing, opened_by=housing_officer, restricted=True, title="Secret")
    ada = make_person(created_by=chair)  # Ada Ashdown, 17 May 1980, PE13 1ZZ
    add_party(case=council_case, person=ada, role=PartyRole.VICTIM)
    add_party(case=housing_case, person=ada, role=PartyRole.COMPLAINANT)
    add_party(case=restricted_case, person=ada, role=PartyRole.VICTIM)
    referral = make_referral(referrer=partner)
    return SimpleNamespace(
        council=council,
        housing=housing,
        voluntary=voluntary,
        chair=chair,
        partner=partner,
        housing_officer=housing_officer,
        council_case=council_case,
        housing_case=housing_case,
        restricted_case=restricted_case,
        ada=ada,
        referral=referral,
    )


def made(actor, **changes):
    details = {
        "subject": ReferralSubject.PERSON,
        "first_name": " Bernard ",
        "last_name": "Blackmore",
        "date_of_birth": date(1962, 11, 3),
        "address": "4 Mill Lane, March",
        "postcode": "pe15 9xy",
        "place": "",
        "what_is_happening": "Shouting at neighbours late at night.",
        "risks": "Has a dog that bites.",
        "consent": Consent.YES,
        "consent_reason": "",
    } | changes
    return referrals.make_referral(actor, **details)


def accept_new(actor, referral, **changes):
    arguments = {
        "version": referral.version,
        "reference_prefix": "ASB",
        "new_case": NewCase(case_type=CaseType.VICTIM, title="Stones at windows", lead_agency_id=actor.agency_id),
        "person": ReferredPerson(role=PartyRole.VICTIM),
    } | changes
    return referrals.accept_referral(actor, referral.id, **arguments).case


# --- Making a referral -------------------------------------------------------------


def test_a_partner_makes_a_referral_from_their_agency(world):
    referral = made(world.partner)
    db.session.expire_all()
    stored = db.session.get(Referral, referral.id)
    assert stored.status is ReferralStatus.NEW
    assert (stored.referring_agency_id, stored.referrer_id) == (world.voluntary.id, world.partner.id)
    assert (stored.first_name, stored.postcode) == ("Bernard", "PE15 9XY")
    assert stored.received_at is not None
    [event] = events("referral.")
    assert (event.verb, event.object_id, event.actor_id) == ("referral.made", referral.id, world.partner.id)
    # No free text about the person in the audit trail.
    assert event.detail == {"subject": "person", "consent": "yes"}


def test_a_place_referral_needs_the_place_and_keeps_no_one_s_name(world):
    with pytest.raises(InvalidInput) as refused:
        made(world.partner, subject=ReferralSubject.PLACE, place="  ")
    assert refused.value.field == "place"
    referral = made(world.partner, subject=ReferralSubject.PLACE, place="Tillery Park, Wisbech")
    assert (referral.first_name, referral.last_name, referral.date_of_birth) == ("", "", None)
    assert referral.subject_name == "Tillery Park, Wisbech"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"first_name": ""}, "first_name"),
        ({"last_name": "  "}, "last_name"),
        ({"what_is_happening": " "}, "what_is_happening"),
        ({"date_of_birth": today() + timedelta(days=1)}, "date_of_birth"),
        ({"consent": Consent.NO}, "consent_reason"),
        ({"consent": Consent.NOT_ASKED, "consent_reason": "  "}, "consent_reason"),
        ({"postcode": "Wisbech"}, "postcode"),
    ],
)
def test_a_referral_missing_what_it_needs_is_refused_and_nothing_is_written(world, changes, field):
    before = (count(Referral), count(AuditEvent))
    with pytest.raises(InvalidInput) as refused:
        made(world.partner, **changes)
    assert refused.value.field == field
    assert (count(Referral), count(AuditEvent)) == before


def test_consent_not_given_is_accepted_with_a_reason(world):
    referral = made(world.partner, consent=Consent.NO, consent_reason="Risk of harm to children outweighs it")
    assert (referral.consent, referral.consent_reason) == (Consent.NO, "Risk of harm to children outweighs it")
    assert made(world.partner, consent=Consent.YES).consent_reason == ""


def test_analysts_cannot_refer(world):
    """Analysts see figures only: they would see their agency's referrals, so they make none."""
    with pytest.raises(PermissionDenied):
        made(make_user(role=Role.ANALYST, agency=world.council))


def test_administrators_do_not_refer(world):
    """Administrators manage users and agencies; they do no casework."""
    with pytest.raises(PermissionDenied):
        made(make_user(role=Role.ADMIN, agency=world.council))


def test_administrators_see_no_referral(world):
    """Not their agency's, not another's: no list, and a referral page is not found."""
    admin = make_user(role=Role.ADMIN, agency=world.voluntary)
    with pytest.raises(PermissionDenied):
        referrals.list_referrals(admin, status=None, page=1, per_page=25)
    with pytest.raises(NotFound):
        referrals.referral_page(admin, world.referral.id)
    assert events("referral.viewed") == []


# --- Who sees which ----------------------------------------------------------------


def test_the_referring_agency_sees_its_own_referrals_and_the_chair_and_managers_see_all(world):
    colleague = make_user(role=Role.PSG_MEMBER, agency=world.voluntary)
    housing_referral = make_referral(referrer=world.housing_officer, last_name="Baker")
    manager = make_user(role=Role.MANAGER, agency=world.housing)

    def listed(actor, status=None):
        page = referrals.list_referrals(actor, status=status, page=1, per_page=25)
        return [row.referral.id for row in page.items]

    assert listed(world.partner) == listed(colleague) == [world.referral.id]
    assert listed(world.housing_officer) == [housing_referral.id]
    assert set(listed(world.chair)) == set(listed(manager)) == {world.referral.id, housing_referral.id}
    with pytest.raises(NotFound):
        referrals.referral_page(world.housing_officer, world.referral.id)
    with pytest.raises(PermissionDenied):
        referrals.list_referrals(make_user(role=Role.ANALYST), status=None, page=1, per_page=25)


def test_the_list_puts_new_referrals_first_and_filters_by_status(world):
    older_new = make_referral(referrer=world.partner, received_at=world.referral.received_at - timedelta(days=9))
    declined = make_referral(referrer=world.partner, status=ReferralStatus.DECLINED)
    page = referrals.list_referrals(world.chair, status=None, page=1, per_page=25)
    assert [row.referral.id for row in page.items] == [world.referral.id, older_new.id, declined.id]
    page = referrals.list_referrals(world.chair, status=ReferralStatus.DECLINED, page=1, per_page=25)
    assert [row.referral.id for row in page.items] == [declined.id]
    page = referrals.list_referrals(world.chair, status=None, page=2, per_page=2)
    assert ([row.referral.id for row in page.items], page.total, page.pages) == ([declined.id], 3, 2)


@pytest.mark.parametrize("per_page", [1, 3, 4, 7, 25])
def test_every_page_of_the_list_in_turn_holds_each_referral_once_new_first(world, per_page):
    """New and decided referrals, several received at the same instant, some of them
    across a page's edge: the pages, read one after the other, are the whole list in its
    order, whatever the page size, with the status filter and for an agency's member."""
    at = world.referral.received_at
    made = [world.referral]
    for n, status in enumerate(
        [ReferralStatus.NEW] * 5 + [ReferralStatus.ACCEPTED] * 4 + [ReferralStatus.DECLINED] * 4
    ):
        received = at - timedelta(days=n % 3)  # three instants, each shared by new and decided ones
        referrer = world.partner if n % 2 else world.housing_officer
        made.append(make_referral(referrer=referrer, status=status, received_at=received))
    is_new = {referral.id: referral.status is ReferralStatus.NEW for referral in made}

    def in_order(referrals_: list[Referral]) -> list[int]:
        ordered = sorted(referrals_, key=lambda r: (not is_new[r.id], -r.received_at.timestamp(), -r.id))
        return [referral.id for referral in ordered]

    for actor, status, expected in (
        (world.chair, None, in_order(made)),
        (world.chair, ReferralStatus.ACCEPTED, in_order([r for r in made if r.status is ReferralStatus.ACCEPTED])),
        (world.chair, ReferralStatus.NEW, in_order([r for r in made if r.status is ReferralStatus.NEW])),
        (world.partner, None, in_order([r for r in made if r.referring_agency_id == world.partner.agency_id])),
    ):
        first = referrals.list_referrals(actor, status=status, page=1, per_page=per_page)
        read = []
        for number in range(1, first.pages + 1):
            page = referrals.list_referrals(actor, status=status, page=number, per_page=per_page)
            assert page.total == len(expected) and len(page.items) <= per_page
            read += [row.referral.id for row in page.items]
        assert read == expected


@pytest.mark.parametrize("per_page", [2, 3, 5])
def test_a_list_longer_than_the_cap_pages_on_without_its_total(world, monkeypatch, per_page):
    """Past COUNT_CAP the total says "more than" and the pages go on as far as there are
    referrals, each once and in order, across ties and the edge between new and decided
    ones; the new ones are still counted exactly. A page past the end is the last."""
    monkeypatch.setattr(referrals, "COUNT_CAP", 4)
    at = world.referral.received_at
    made = [world.referral]
    for n, status in enumerate([ReferralStatus.NEW] * 3 + [ReferralStatus.DECLINED] * 7):
        made.append(make_referral(referrer=world.partner, status=status, received_at=at - timedelta(days=n % 2)))
    expected = [
        r.id
        for r in sorted(made, key=lambda r: (r.status is not ReferralStatus.NEW, -r.received_at.timestamp(), -r.id))
    ]

    read, number = [], 1
    while True:
        page = referrals.list_referrals(world.chair, status=None, page=number, per_page=per_page)
        assert (page.total, page.more_than, page.page) == (4, True, number)
        read += [row.referral.id for row in page.items]
        if page.pages == number:
            break
        number += 1
    assert read == expected
    assert number == -(-len(expected) // per_page)

    last = referrals.list_referrals(world.chair, status=None, page=100, per_page=per_page)
    assert last.page == number and [row.referral.id for row in last.items] == expected[(number - 1) * per_page :]
    assert last.pages == number
    few = referrals.list_referrals(world.chair, status=ReferralStatus.NEW, page=9, per_page=per_page)
    assert (few.total, few.more_than) == (4, False) and few.page == few.pages == -(-4 // per_page)


def test_viewing_a_referral_is_audited_without_its_contents(world):
    data = referrals.referral_page(world.partner, world.referral.id)
    assert data.referral.id == world.referral.id and not data.may_decide
    [event] = events("referral.viewed")
    assert (event.actor_id, event.object_id, event.detail) == (world.partner.id, world.referral.id, {})


# --- The chair's checks ------------------------------------------------------------


def test_the_chair_sees_similar_people_with_their_cases_as_the_chair_may_see_them(world):
    data = referrals.referral_page(world.chair, world.referral.id)
    assert data.may_decide
    [similar] = data.similar
    assert similar.person.id == world.ada.id
    seen = {item.case.id: item for item in similar.cases}
    # In full with the role; a stub without it; the restricted case not at all.
    assert seen[world.council_case.id].full_view and seen[world.council_case.id].role is PartyRole.VICTIM
    assert not seen[world.housing_case.id].full_view and seen[world.housing_case.id].role is None
    assert world.restricted_case.id not in seen


def test_no_similar_people_for_a_place_or_another_name(world):
    place = make_referral(referrer=world.partner, subject=ReferralSubject.PLACE, place="Tillery Park")
    assert referrals.referral_page(world.chair, place.id).similar == []
    other = make_referral(referrer=world.partner, first_name="Zed")
    assert referrals.referral_page(world.chair, other.id).similar == []


def test_nearby_open_cases_match_the_town_or_the_postcode_district_of_cases_seen_in_full(world):
    march_case = make_case(lead_agency=world.council, opened_by=world.chair, town="March", title="March case")
    neighbour = make_person(created_by=world.chair, first_name="Nel", last_name="Nearby", postcode="PE15 1AB")
    add_party(case=march_case, person=neighbour)
    make_case(lead_agency=world.council, opened_by=world.chair, town="Chatteris", status=CaseStatus.CLOSED)
    make_case(lead_agency=world.housing, opened_by=world.housing_officer, town="Chatteris")  # a stub to the chair

    def nearby(**details):
        details = {"address": "", "postcode": ""} | details
        referral = make_referral(referrer=world.partner, subject=ReferralSubject.PLACE, **details)
        return [case.id for case in referrals.nearby_open_cases(world.chair, referral)]

    assert nearby(place="Tillery Park, WISBECH") == [world.council_case.id]
    assert nearby(place="Somewhere in Chatteris") == []  # closed, or seen only as a stub
    assert nearby(place="Field", postcode="pe15 9zz") == [march_case.id]
    assert nearby(place="Field", postcode="PE15") == []  # not a whole postcode


# --- Accepting ---------------------------------------------------------------------


def test_accepting_into_a_new_case_opens_it_adds_the_person_and_involves_the_referrer(world):
    case = accept_new(world.chair, world.referral)
    db.session.expire_all()
    stored = db.session.get(Referral, world.referral.id)
    assert stored.status is ReferralStatus.ACCEPTED
    assert (stored.decided_by_id, stored.case_id) == (world.chair.id, case.id)
    assert stored.decided_at is not None
    assert case.reference.startswith(f"ASB-{stored.decided_at.year}-")
    assert (case.case_type, case.title, case.lead_agency_id) == (CaseType.VICTIM, "Stones at windows", world.council.id)
    assert case.summary == world.referral.what_is_happening
    involved = set(db.session.scalars(select(CaseAgency.agency_id).where(CaseAgency.case_id == case.id)))
    assert involved == {world.council.id, world.voluntary.id}
    [party] = db.session.scalars(select(CaseParty).where(CaseParty.case_id == case.id))
    person = db.session.get(Person, party.person_id)
    assert party.role is PartyRole.VICTIM and stored.person_id == person.id != world.ada.id
    assert (person.full_name, person.date_of_birth, person.postcode) == ("Ada Ashdown", date(1980, 5, 17), "PE13 1ZZ")
    [note] = db.session.scalars(select(Note).where(Note.case_id == case.id))
    assert world.referral.what_is_happening in note.body and "Wisbech Community Trust" in note.body
    verbs = [event.verb for event in events() if event.case_id == case.id]
    assert verbs == [
        "case.opened",
        "person.created",
        "case.person_added",
        "case.agency_added",
        "note.added",
        "referral.accepted",
    ]
    accepted = events("referral.accepted")[0]
    assert accepted.detail == {"case_reference": case.reference, "new_case": True, "role": "victim", "new_person": True}
    # The referring agency now sees the case it referred, in full.
    assert referrals.referral_page(world.partner, world.referral.id).case_visible


def test_accepting_a_new_person_asks_the_database_only_what_it_does_not_know(world, app):
    """A person created by the acceptance is on no case yet, and whether the referring
    agency joins is looked up once: each read is a round trip on every acceptance."""
    db.session.expire_all()
    with recorded_statements(app.extensions["casework.engine"]) as statements:
        accept_new(world.chair, world.referral)
    assert not [s for s in statements if s.startswith("SELECT case_parties")]
    involvement_reads = [s for s in statements if s.startswith("SELECT case_agencies.id FROM case_agencies")]
    assert len(involvement_reads) == 2  # whether the referrer joins; and add_agency's own check


def test_accepting_into_an_existing_case_with_a_known_person(world):
    """Ada is a victim on the case: referred as its complainant, she is both."""
    accepted = referrals.accept_referral(
        world.chair,
        world.referral.id,
        version=world.referral.version,
        reference_prefix="ASB",
        existing_case=world.council_case.reference.lower(),
        person=ReferredPerson(role=PartyRole.COMPLAINANT, existing_person_id=world.ada.id),
    )
    case = accepted.case
    assert accepted.already_there == ""
    assert case.id == world.council_case.id
    ada_on_case = (CaseParty.case_id == case.id, CaseParty.person_id == world.ada.id)
    roles = set(db.session.scalars(select(CaseParty.role).where(*ada_on_case)))
    assert roles == {PartyRole.VICTIM, PartyRole.COMPLAINANT}
    assert count(Person) == 1
    assert count(CaseAgency, CaseAgency.case_id == case.id, CaseAgency.agency_id == world.voluntary.id) == 1
    stored = db.session.get(Referral, world.referral.id)
    assert (stored.case_id, stored.person_id) == (case.id, world.ada.id)
    assert events("referral.accepted")[0].detail["new_person"] is False


def test_a_place_referral_adds_no_one(world):
    place = make_referral(referrer=world.partner, subject=ReferralSubject.PLACE, place="Tillery Park")
    people_before = count(CaseParty)
    case = accept_new(world.chair, place, person=None)
    assert count(CaseParty) == people_before
    assert db.session.get(Referral, place.id).person_id is None
    assert count(CaseAgency, CaseAgency.case_id == case.id, CaseAgency.agency_id == world.voluntary.id) == 1


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("housing", "cannot see case"),
        ("restricted", "cannot see case"),
        ("ASB-1999-00001", "There is no case with the reference ASB-1999-00001"),
        ("", "Enter the reference of the case"),
    ],
)
def test_accepting_into_a_case_the_chair_cannot_see_in_full_is_refused(world, reference, message):
    reference = {"housing": world.housing_case.reference, "restricted": world.restricted_case.reference}.get(
        reference, reference
    )
    before = snapshot()
    with pytest.raises(InvalidInput) as refused:
        referrals.accept_referral(
            world.chair,
            world.referral.id,
            version=1,
            reference_prefix="ASB",
            existing_case=reference,
            person=ReferredPerson(role=PartyRole.VICTIM),
        )
    assert refused.value.field == "case_reference" and message in refused.value.message
    assert snapshot() == before
    assert db.session.get(Referral, world.referral.id).status is ReferralStatus.NEW


def test_a_closed_case_cannot_take_a_referral(world):
    closed = make_case(lead_agency=world.council, opened_by=world.chair, status=CaseStatus.CLOSED)
    with pytest.raises(InvalidInput, match="is closed"):
        referrals.accept_referral(
            world.chair,
            world.referral.id,
            version=1,
            reference_prefix="ASB",
            existing_case=closed.reference,
            person=ReferredPerson(role=PartyRole.VICTIM),
        )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        # Refused by open_case, after the referral was claimed.
        ({"new_case": NewCase(case_type=CaseType.VICTIM, title="T", lead_agency_id=999999)}, "lead_agency_id"),
        # Refused after the case was opened: someone the chair may not see.
        ({"person": ReferredPerson(role=PartyRole.VICTIM, existing_person_id=999999)}, "person_id"),
        ({"person": ReferredPerson(role=PartyRole.WITNESS)}, "role"),
        ({"person": None}, "role"),
        ({"new_case": NewCase(case_type=CaseType.VICTIM, title=" ", lead_agency_id=None)}, "title"),
    ],
)
def test_a_failure_half_way_through_accepting_writes_nothing(world, changes, field):
    before = snapshot()
    with pytest.raises(InvalidInput) as refused:
        accept_new(world.chair, world.referral, **changes)
    assert refused.value.field == field
    assert snapshot() == before
    db.session.expire_all()
    stored = db.session.get(Referral, world.referral.id)
    assert (stored.status, stored.case_id, stored.decided_by_id, stored.version) == (ReferralStatus.NEW, None, None, 1)
    # And the referral can still be accepted afterwards.
    assert accept_new(world.chair, stored).id is not None


def test_someone_already_on_the_case_in_that_role_stays_as_they_were(world):
    """The referral is about Ada, a victim on the case already: it is accepted, she is
    not added again, and the chair is told so."""
    parties_before = count(CaseParty)
    accepted = referrals.accept_referral(
        world.chair,
        world.referral.id,
        version=1,
        reference_prefix="ASB",
        existing_case=world.council_case.reference,
        person=ReferredPerson(role=PartyRole.VICTIM, existing_person_id=world.ada.id),
    )
    assert accepted.case.id == world.council_case.id
    assert accepted.already_there == "Ada Ashdown was already a victim on it and stays as they were."
    assert count(CaseParty) == parties_before
    stored = db.session.get(Referral, world.referral.id)
    assert (stored.status, stored.case_id, stored.person_id) == (
        ReferralStatus.ACCEPTED,
        world.council_case.id,
        world.ada.id,
    )
    assert "case.person_added" not in [event.verb for event in events()]
    assert events("referral.accepted")[0].detail == {
        "case_reference": world.council_case.reference,
        "new_case": False,
        "role": "victim",
        "new_person": False,
        "already_on_case": True,
    }


def test_a_referral_is_decided_once(world):
    accept_new(world.chair, world.referral)
    before = snapshot()
    other_chair = make_user(role=Role.PSG_CHAIR, agency=world.housing)
    with pytest.raises(InvalidTransition, match="This referral has already been accepted"):
        accept_new(other_chair, world.referral, version=1)
    with pytest.raises(InvalidTransition, match="This referral has already been accepted"):
        referrals.decline_referral(other_chair, world.referral.id, version=2, reason="Not for the PSG")
    with pytest.raises(InvalidTransition, match="This referral has already been accepted"):
        referrals.decidable_referral(world.chair, world.referral.id)
    assert snapshot() == before

    declined = make_referral(referrer=world.partner)
    referrals.decline_referral(world.chair, declined.id, version=1, reason="Dealt with by the police")
    with pytest.raises(InvalidTransition, match="This referral has already been declined"):
        accept_new(world.chair, declined, version=2)


def test_a_decision_from_a_stale_page_is_a_conflict(world):
    db.session.execute(Referral.__table__.update().values(version=Referral.version + 1))
    before = snapshot()
    with pytest.raises(EditConflict):
        accept_new(world.chair, world.referral, version=1)
    assert snapshot() == before


def test_only_chairs_decide_and_others_agencies_referrals_are_not_found(world):
    member = make_user(role=Role.PSG_MEMBER, agency=world.voluntary)
    manager = make_user(role=Role.MANAGER, agency=world.council)
    for actor in (member, world.partner, manager):
        with pytest.raises(PermissionDenied):
            referrals.decline_referral(actor, world.referral.id, version=1, reason="No")
    with pytest.raises(NotFound):
        referrals.decline_referral(world.housing_officer, world.referral.id, version=1, reason="No")


# --- Declining ---------------------------------------------------------------------


def test_declining_keeps_the_reason_for_the_referrer_and_out_of_the_audit(world):
    with pytest.raises(InvalidInput) as refused:
        referrals.decline_referral(world.chair, world.referral.id, version=1, reason="  ")
    assert refused.value.field == "reason"
    referrals.decline_referral(world.chair, world.referral.id, version=1, reason="Already known to the police team")
    data = referrals.referral_page(world.partner, world.referral.id)
    assert data.referral.status is ReferralStatus.DECLINED
    assert data.referral.decline_reason == "Already known to the police team"
    assert data.referral.decided_by.id == world.chair.id
    [event] = events("referral.declined")
    assert event.detail == {} and event.actor_id == world.chair.id
