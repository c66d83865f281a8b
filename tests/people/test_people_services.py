"""The people services called directly: postcodes, the similar-person check, search
and the person page, always limited to people on cases the user sees in full."""

from datetime import date

import pytest

from casework import db
from casework.cases.models import PartyRole
from casework.exceptions import InvalidInput, NotFound
from casework.people import services as people
from casework.people.models import Person
from casework.people.services import SimilarPeopleExist, normalise_postcode
from casework.permissions import Role
from tests.factories import add_party, make_agency, make_case, make_person, make_user

pytestmark = pytest.mark.both_databases


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("pe131zz", "PE13 1ZZ"),
        (" Pe13  1zz ", "PE13 1ZZ"),
        ("sw1a1aa", "SW1A 1AA"),
        ("m11ae", "M1 1AE"),
        ("", ""),
        ("ab", "AB"),
    ],
)
def test_postcodes_are_stored_in_one_form(typed, stored):
    assert normalise_postcode(typed) == stored


@pytest.fixture
def world(session):
    council, housing = make_agency(), make_agency()
    member = make_user(agency=council)
    owner = make_user(agency=housing)
    case = make_case(lead_agency=council, opened_by=member)
    hidden_case = make_case(lead_agency=housing, opened_by=owner)
    known = make_person(created_by=member)  # Ada Ashdown, 17 May 1980, PE13 1ZZ
    add_party(case=case, person=known, role=PartyRole.VICTIM)
    hidden = make_person(created_by=owner, last_name="Hidden")
    add_party(case=hidden_case, person=hidden, role=PartyRole.VICTIM)
    return {"member": member, "case": case, "hidden_case": hidden_case, "known": known, "hidden": hidden}


def similar(actor, **typed):
    details = {"first_name": "Ada", "last_name": "Ashdown", "date_of_birth": None, "postcode": ""} | typed
    return people.find_similar(actor, **details)


def test_similar_means_the_same_name_and_date_of_birth_or_postcode(world):
    member, known = world["member"], world["known"]
    assert similar(member, date_of_birth=date(1980, 5, 17)) == [known]
    assert similar(member, first_name="ADA", last_name="ashdown", postcode="pe13 1zz") == [known]
    assert similar(member, date_of_birth=date(1980, 5, 18), postcode="CB1 1AA") == []
    assert similar(member, first_name="Adam", date_of_birth=date(1980, 5, 17)) == []
    # A name alone is too weak a match to offer.
    assert similar(member) == []


def test_similar_people_are_only_those_the_user_may_see(world):
    assert similar(world["member"], last_name="Hidden", date_of_birth=date(1980, 5, 17)) == []
    manager = make_user(role=Role.MANAGER)
    assert similar(manager, last_name="Hidden", date_of_birth=date(1980, 5, 17)) == [world["hidden"]]


def test_adding_a_new_person_stops_at_similar_people_until_confirmed(world):
    details = dict(
        role=PartyRole.WITNESS,
        first_name="Ada",
        last_name="Ashdown",
        date_of_birth=None,
        address="",
        postcode="PE131ZZ",
        phone="",
        email="",
        vulnerabilities="",
    )
    with pytest.raises(SimilarPeopleExist) as found:
        people.add_new_person(world["member"], world["case"].reference, confirmed_new=False, **details)
    assert found.value.matches == [world["known"]]
    party = people.add_new_person(world["member"], world["case"].reference, confirmed_new=True, **details)
    assert party.person_id != world["known"].id
    assert db.session.get(Person, party.person_id).postcode == "PE13 1ZZ"


def test_an_existing_person_must_be_one_the_user_may_see(world):
    with pytest.raises(InvalidInput) as refused:
        people.add_existing_person(
            world["member"], world["case"].reference, person_id=world["hidden"].id, role=PartyRole.WITNESS
        )
    assert refused.value.field == "person_id"


def test_search_matches_every_word_among_visible_people_only(world):
    member = world["member"]
    make_person(created_by=member, first_name="Adam", last_name="Smith")  # on no case: never found
    assert people.search_people(member, world["case"].reference, name="ada ash") == [world["known"]]
    assert people.search_people(member, world["case"].reference, name="hidden") == []
    assert people.search_people(member, world["case"].reference, name="%") == []
    assert people.search_people(member, world["case"].reference, name="   ") == []


def test_the_person_page_lists_only_cases_seen_in_full(world):
    add_party(case=world["hidden_case"], person=world["known"], role=PartyRole.WITNESS)
    page = people.person_page(world["member"], world["known"].id)
    assert [(item.case.id, item.roles) for item in page.cases] == [(world["case"].id, [PartyRole.VICTIM])]
    assert page.contact_details_shown
    with pytest.raises(NotFound):
        people.person_page(world["member"], world["hidden"].id)


# --- Postcodes and phone numbers ---------------------------------------------------------


@pytest.mark.parametrize("text", ["SW1A 1AA", "sw1a1aa", "M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT", " pe13 1zz "])
def test_uk_postcodes(text):
    assert people.is_uk_postcode(text)


@pytest.mark.parametrize("text", ["", "PE13", "12345", "SW1A 1A", "SW1A 1AAA", "Z ZZZ", "SW1A-1AA", "ＳＷ1A 1AA"])
def test_not_uk_postcodes(text):
    assert not people.is_uk_postcode(text)


@pytest.mark.parametrize(("typed", "stored"), [("sw1a1aa", "SW1A 1AA"), (" m1  1ae", "M1 1AE"), ("", "")])
def test_postcodes_are_normalised(typed, stored):
    assert people.normalise_postcode(typed) == stored


@pytest.mark.parametrize(
    "text", ["01632 960001", "01632960001", "07700 900 982", "+44 7700 900982", "+44 (0)1632 960001", "(01632) 960-001"]
)
def test_uk_phone_numbers(text):
    assert people.is_uk_phone(text)


@pytest.mark.parametrize(
    "text", ["", "999", "07700 9009", "077009009821", "+33 1 23 45 67 89", "00 44 7700 900982", "0٧700 900982", "ring"]
)
def test_not_uk_phone_numbers(text):
    assert not people.is_uk_phone(text)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("07700900982", "07700 900 982"),
        ("+44 (0)7700-900982", "07700 900 982"),
        ("+447700900982", "07700 900 982"),
        ("(01632) 960-001", "01632 960 001"),
        ("+44 1632 960001", "01632 960 001"),
        ("02079460000", "020 7946 0000"),
        ("0121 4960000", "0121 496 0000"),
        ("01134960000", "0113 496 0000"),
        ("0300 1234567", "0300 123 4567"),
        ("0800 123456", "0800 123456"),
        ("0163296000", "01632 96000"),
        (" 07700 900 982 ", "07700 900 982"),
        ("", ""),
        # Stored before numbers were checked: kept as they are.
        ("ring after 6", "ring after 6"),
        ("+33 1 23 45 67 89", "+33 1 23 45 67 89"),
    ],
)
def test_phone_numbers_are_kept_in_one_form(typed, stored):
    assert people.normalise_phone(typed) == stored
    assert people.normalise_phone(stored) == stored  # and stay so
