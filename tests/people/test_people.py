"""People on cases: adding new and known people, the similar-person check, finding
people, and the person page, with what each user may see of them."""

import re
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from casework import db
from casework.audit.models import AuditEvent
from casework.cases.models import CaseParty, PartyRole
from casework.clock import today
from casework.people.models import Person
from casework.permissions import Role
from tests.factories import add_party, make_agency, make_case, make_person, make_user

PROBLEM = "There is a problem"
SIMILAR = "Is this someone already known?"


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def verbs() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.verb).order_by(AuditEvent.id)))


@pytest.fixture
def world(session):
    """A council case the member works on, with Ada Ashdown on it as a victim, and a
    housing case the member cannot see, with Ada Hidden on it."""
    council = make_agency(name="Fenland District Council")
    housing = make_agency(name="Roddons Housing")
    member = make_user(agency=council)
    housing_member = make_user(agency=housing)
    case = make_case(lead_agency=council, opened_by=member, title="Council case")
    other_case = make_case(lead_agency=housing, opened_by=housing_member, title="Housing case")
    ada = make_person(created_by=member)  # Ada Ashdown, 17 May 1980, PE13 1ZZ
    add_party(case=case, person=ada, role=PartyRole.VICTIM)
    hidden = make_person(
        created_by=housing_member,
        first_name="Ada",
        last_name="Hidden",
        date_of_birth=date(1975, 1, 2),
        postcode="PE15 8AA",
        address="9 Secret Lane",
        phone="07700 900999",
    )
    add_party(case=other_case, person=hidden, role=PartyRole.VICTIM)
    return SimpleNamespace(
        council=council,
        housing=housing,
        member=member,
        housing_member=housing_member,
        case=case,
        other_case=other_case,
        ada=ada,
        hidden=hidden,
        reference=case.reference,
        ada_id=ada.id,
        hidden_id=hidden.id,
    )


def person_form(**changes: object) -> dict[str, object]:
    form = {
        "role": "witness",
        "first_name": "Bernard",
        "last_name": "Blackmore",
        "date_of_birth": ["3", "11", "1962"],
        "address": "4 Mill Lane, March",
        "postcode": "pe15 9xy",
        "phone": "07700 900456",
        "email": "bernard@example.org",
        "vulnerabilities": "Lives alone",
        "confirmed_new": "",
    }
    form.update(changes)
    return form


# --- Adding a new person -----------------------------------------------------------


def test_adding_a_new_person_puts_them_on_the_case(client_as, world):
    client = client_as(world.member)
    response = client.post(f"/cases/{world.reference}/people/new", data=person_form())
    assert response.status_code == 302
    assert response.location == f"/cases/{world.reference}"

    person = db.session.scalar(select(Person).where(Person.last_name == "Blackmore"))
    assert person.date_of_birth == date(1962, 11, 3)
    assert person.postcode == "PE15 9XY"
    assert (person.address, person.phone, person.email) == (
        "4 Mill Lane, March",
        "07700 900 456",
        "bernard@example.org",
    )
    [party] = db.session.scalars(select(CaseParty).where(CaseParty.person_id == person.id))
    assert (party.case_id, party.role) == (world.case.id, PartyRole.WITNESS)
    assert verbs()[-2:] == ["person.created", "case.person_added"]

    page = client.get(response.location).text
    assert "Bernard Blackmore added as witness." in page
    witnesses = page.split(">Witness", 1)[1]
    assert "Bernard Blackmore" in witnesses and "07700 900 456" in witnesses


@pytest.mark.parametrize(
    ("postcode", "phone", "stored"),
    [
        ("sw1a1aa", "+44 7700 900456", ("SW1A 1AA", "07700 900 456")),
        ("pe15  9xy ", "+44 (0)1354 654321", ("PE15 9XY", "01354 654 321")),
        ("M1 1AE", "01354-654321", ("M1 1AE", "01354 654 321")),
        ("", "", ("", "")),
    ],
)
def test_postcodes_and_phone_numbers_are_stored_in_one_form(client_as, world, postcode, phone, stored):
    response = client_as(world.member).post(
        f"/cases/{world.reference}/people/new", data=person_form(postcode=postcode, phone=phone)
    )
    assert response.status_code == 302
    person = db.session.scalar(select(Person).where(Person.last_name == "Blackmore"))
    assert (person.postcode, person.phone) == stored


def test_a_person_without_a_date_of_birth_can_be_added(client_as, world):
    response = client_as(world.member).post(
        f"/cases/{world.reference}/people/new", data=person_form(date_of_birth=["", "", ""])
    )
    assert response.status_code == 302
    assert db.session.scalar(select(Person.date_of_birth).where(Person.last_name == "Blackmore")) is None


TOMORROW = today() + timedelta(days=1)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"date_of_birth": ["31", "2", "2020"]}, "Date of birth must be a real date"),
        ({"date_of_birth": ["", "", "1985"]}, "Date of birth must include a day, month and year"),
        ({"date_of_birth": ["12", "", "1985"]}, "Date of birth must include a day, month and year"),
        ({"date_of_birth": ["1985"]}, "Date of birth must include a day, month and year"),
        (
            {"date_of_birth": [str(TOMORROW.day), str(TOMORROW.month), str(TOMORROW.year)]},
            "Date of birth must be in the past",
        ),
        ({"date_of_birth": ["1", "1", "1850"]}, "Date of birth must be after 1900"),
        ({"first_name": "B" * 101}, "First name must be 100 characters or fewer"),
        ({"first_name": ""}, "Enter the first name"),
        ({"email": "bernard-at-example"}, "Enter an email address in the correct format"),
        ({"role": ""}, "Select the person&#39;s role on this case"),
        ({"role": "bystander"}, 'href="#role"'),
        ({"confirmed_new": "maybe"}, "Reload the page and try again"),
        ({"postcode": "PE15"}, "Enter a real postcode, like SW1A 1AA"),
        ({"postcode": "12345"}, "Enter a real postcode, like SW1A 1AA"),
        ({"phone": "call after 6"}, "Enter a UK phone number, like 01632 960 001"),
        ({"phone": "+33 1 23 45 67 89"}, "Enter a UK phone number, like 01632 960 001"),
        ({"phone": "07700 9004"}, "Enter a UK phone number, like 01632 960 001"),
    ],
)
def test_bad_input_is_refused_and_keeps_what_was_typed(client_as, world, changes, message):
    people_before, audit_before = count(Person), count(AuditEvent)
    form = person_form(**changes)
    response = client_as(world.member).post(f"/cases/{world.reference}/people/new", data=form)
    assert response.status_code == 400
    assert PROBLEM in response.text
    assert message in response.text
    assert f'value="{form["last_name"]}"' in response.text
    assert "4 Mill Lane, March" in response.text
    if len(form["date_of_birth"]) == 3:
        for part in form["date_of_birth"]:
            if part:
                assert re.search(
                    rf'name="date_of_birth"[^>]*value="{part}"|value="{part}"[^>]*name="date_of_birth"', response.text
                ), part
    assert count(Person) == people_before
    assert count(CaseParty, CaseParty.case_id == world.case.id) == 1
    assert count(AuditEvent) == audit_before


@pytest.mark.parametrize("role", [Role.PARTNER, Role.LICENSING_OFFICER, Role.ANALYST])
def test_roles_that_cannot_add_people_are_refused(client_as, world, role):
    client = client_as(make_user(role=role, agency=world.council))
    assert client.get(f"/cases/{world.reference}/people/new").status_code in (403, 404)
    assert client.post(f"/cases/{world.reference}/people/new", data=person_form()).status_code in (403, 404)
    assert client.post(f"/cases/{world.reference}/people/find", data={"name": "Ada"}).status_code in (403, 404)
    assert client.post(
        f"/cases/{world.reference}/people/add", data={"person_id": world.ada_id, "role": "witness"}
    ).status_code in (403, 404)
    assert count(Person) == 2


def test_a_member_of_an_agency_not_involved_cannot_add_people(client_as, world):
    client = client_as(world.housing_member)
    assert client.get(f"/cases/{world.reference}/people/new").status_code == 404
    assert client.post(f"/cases/{world.reference}/people/new", data=person_form()).status_code == 404
    assert count(Person) == 2


# --- The similar-person check ------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"first_name": "Ada", "last_name": "Ashdown", "date_of_birth": ["17", "5", "1980"], "postcode": "CB1 1AA"},
        {"first_name": "ada", "last_name": "ASHDOWN", "date_of_birth": ["", "", ""], "postcode": "pe131zz"},
        {"first_name": " Ada ", "last_name": "Ashdown", "date_of_birth": ["", "", ""], "postcode": " PE131ZZ "},
    ],
)
def test_a_similar_known_person_is_offered_before_a_new_one_is_made(client_as, world, changes):
    client = client_as(world.member)
    response = client.post(f"/cases/{world.reference}/people/new", data=person_form(role="complainant", **changes))
    assert response.status_code == 200
    html = response.text
    assert SIMILAR in html
    assert "Use this person" in html
    assert f'name="person_id" value="{world.ada_id}"' in html
    assert 'name="role" value="complainant"' in html
    assert re.search(r'name="confirmed_new"[^>]*value="yes"|value="yes"[^>]*name="confirmed_new"', html)
    assert count(Person) == 2
    assert count(AuditEvent) == 0

    # Sending the form again means "none of these": the new record is made.
    again = client.post(
        f"/cases/{world.reference}/people/new", data=person_form(role="complainant", confirmed_new="yes", **changes)
    )
    assert again.status_code == 302
    assert count(Person, func.lower(Person.last_name) == "ashdown") == 2


def test_the_prompt_says_when_the_known_person_is_already_on_this_case_and_as_what(client_as, world):
    client = client_as(world.member)
    data = person_form(role="witness", first_name="Ada", last_name="Ashdown", postcode="PE13 1ZZ")
    text = client.post(f"/cases/{world.reference}/people/new", data=data).text
    assert SIMILAR in text
    assert "Already on this case as a victim" in text
    other = make_case(lead_agency=world.council, opened_by=world.member, title="Another council case")
    text = client.post(f"/cases/{other.reference}/people/new", data=data).text
    assert SIMILAR in text and "Already on this case" not in text


def test_an_address_without_a_street_shows_the_postcode_alone(client_as, world):
    bare = make_person(created_by=world.member, first_name="Bea", address="", postcode="PE13 2AB")
    nowhere = make_person(created_by=world.member, first_name="Cy", address="", postcode="")
    add_party(case=world.case, person=bare, role=PartyRole.WITNESS)
    add_party(case=world.case, person=nowhere, role=PartyRole.WITNESS)
    text = client_as(world.member).get(f"/cases/{world.reference}").text
    assert "PE13 2AB" in text
    assert not re.search(r">\s*,", text)  # no cell starts with the comma of a missing part


def test_a_different_person_is_added_without_a_prompt(client_as, world):
    response = client_as(world.member).post(
        f"/cases/{world.reference}/people/new",
        data=person_form(first_name="Ada", last_name="Ashdown", date_of_birth=["18", "5", "1980"], postcode="CB1 1AA"),
    )
    assert response.status_code == 302
    assert count(Person, Person.last_name == "Ashdown") == 2


def test_people_the_user_cannot_see_are_never_offered(client_as, world):
    """Ada Hidden is only on the housing case: offering her would reveal her to the council."""
    response = client_as(world.member).post(
        f"/cases/{world.reference}/people/new",
        data=person_form(first_name="Ada", last_name="Hidden", date_of_birth=["2", "1", "1975"], postcode="PE15 8AA"),
    )
    assert response.status_code == 302
    assert count(Person, Person.last_name == "Hidden") == 2


def test_use_this_person_adds_the_known_person(client_as, world):
    second = make_case(lead_agency=world.council, opened_by=world.member, title="Second case")
    response = client_as(world.member).post(
        f"/cases/{second.reference}/people/add", data={"person_id": world.ada_id, "role": "witness"}
    )
    assert response.status_code == 302
    assert response.location == f"/cases/{second.reference}"
    [party] = db.session.scalars(select(CaseParty).where(CaseParty.case_id == second.id))
    assert (party.person_id, party.role) == (world.ada_id, PartyRole.WITNESS)
    assert verbs() == ["case.person_added"]
    assert count(Person) == 2


@pytest.mark.parametrize("person", ["hidden", "999999", "abc", ""])
def test_a_person_the_user_cannot_see_is_refused(client_as, world, person):
    person_id = world.hidden_id if person == "hidden" else person
    response = client_as(world.member).post(
        f"/cases/{world.reference}/people/add", data={"person_id": person_id, "role": "witness"}
    )
    assert response.status_code == 400
    assert PROBLEM in response.text
    assert "Ada Hidden" not in response.text
    assert count(CaseParty, CaseParty.case_id == world.case.id) == 1
    assert count(AuditEvent) == 0


def test_the_same_person_cannot_be_added_twice_in_the_same_role(client_as, world):
    client = client_as(world.member)
    response = client.post(f"/cases/{world.reference}/people/add", data={"person_id": world.ada_id, "role": "victim"})
    assert response.status_code == 400
    assert PROBLEM in response.text
    assert "Ada Ashdown is already a victim on this case" in response.text
    assert count(CaseParty, CaseParty.case_id == world.case.id) == 1
    # Another role is a different part in the case.
    response = client.post(f"/cases/{world.reference}/people/add", data={"person_id": world.ada_id, "role": "witness"})
    assert response.status_code == 302
    assert count(CaseParty, CaseParty.case_id == world.case.id) == 2


# --- Finding people ----------------------------------------------------------------


def test_finding_people_shows_only_people_the_user_may_see(client_as, world):
    client = client_as(world.member)
    response = client.post(f"/cases/{world.reference}/people/find", data={"name": "ada"})
    assert response.status_code == 200
    assert "1 person found" in response.text
    assert "Ada Ashdown" in response.text
    assert "Ada Hidden" not in response.text
    assert f'name="person_id" value="{world.ada_id}"' in response.text


def test_a_name_searched_for_never_appears_in_a_url(client_as, world):
    client = client_as(world.member)
    page = client.get(f"/cases/{world.reference}/people/find").text
    form = re.search(r"<form[^>]*>", page.split("<main", 1)[1]).group(0)
    assert 'method="post"' in form
    response = client.post(f"/cases/{world.reference}/people/find", data={"name": "Ashdown"})
    assert "ashdown" not in response.request.url.lower()
    urls = re.findall(r'(?:href|action)="([^"]*)"', response.text)
    assert urls and not any("ashdown" in url.lower() for url in urls)
    # A name in the query string is not searched for.
    assert "found" not in client.get(f"/cases/{world.reference}/people/find?name=Ashdown").text


def test_finding_needs_a_name(client_as, world):
    response = client_as(world.member).post(f"/cases/{world.reference}/people/find", data={"name": " "})
    assert PROBLEM in response.text
    assert "Enter a name to search for" in response.text


# --- The person page ---------------------------------------------------------------


def test_the_person_page_shows_details_and_only_cases_the_user_can_see(client_as, world):
    add_party(case=world.other_case, person=world.ada, role=PartyRole.WITNESS)
    response = client_as(world.member).get(f"/people/{world.ada_id}")
    html = response.text
    assert response.status_code == 200
    assert "Ada Ashdown" in html
    for detail in ("17 May 1980", "1 Orchard Road, Wisbech", "PE13 1ZZ", "07700 900123", "ada@example.org"):
        assert detail in html
    assert world.case.reference in html and "Council case" in html
    assert world.other_case.reference not in html and "Housing case" not in html
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "person.viewed"))
    assert (event.actor_id, event.person_id) == (world.member.id, world.ada_id)


def test_a_partner_sees_a_victim_anywhere_redacted(client_as, world):
    """Ada is a perpetrator on the case the partner sees, but a victim on the housing case."""
    voluntary = make_agency(name="Wisbech Voluntary Trust")
    shared = make_case(lead_agency=world.council, opened_by=world.member, involved=[voluntary])
    add_party(case=shared, person=world.hidden, role=PartyRole.PERPETRATOR)
    only_perpetrator = make_person(created_by=world.member, first_name="Percy", last_name="Perp", phone="07700 900777")
    add_party(case=shared, person=only_perpetrator, role=PartyRole.PERPETRATOR)
    partner = make_user(role=Role.PARTNER, agency=voluntary)
    client = client_as(partner)

    html = client.get(f"/people/{world.hidden_id}").text
    assert "Ada Hidden" in html and "Redacted" in html
    for detail in ("07700 900999", "9 Secret Lane", "PE15 8AA", "2 January 1975", "ada@example.org"):
        assert detail not in html
    assert "Housing case" not in html

    html = client.get(f"/people/{only_perpetrator.id}").text
    assert "07700 900777" in html and "Redacted" not in html


def test_a_person_only_on_cases_the_user_cannot_see_is_not_found(client_as, world):
    response = client_as(world.member).get(f"/people/{world.hidden_id}")
    assert response.status_code == 404
    assert "Ada Hidden" not in response.text
    assert count(AuditEvent, AuditEvent.verb == "person.viewed") == 0


def test_managers_see_any_person(client_as, world):
    manager = make_user(role=Role.MANAGER, agency=world.council)
    response = client_as(manager).get(f"/people/{world.hidden_id}")
    assert response.status_code == 200
    assert "07700 900999" in response.text and "Housing case" in response.text
