"""Referral pages through HTTP: a partner refers, the chair checks and decides, the
partner sees the outcome; bad input is shown on the form and writes nothing."""

import re
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from casework import db
from casework.audit.models import AuditEvent
from casework.cases.models import Case, CaseAgency, CaseParty, Note, PartyRole
from casework.clock import today
from casework.people.models import Person
from casework.permissions import Role
from casework.referrals.models import Referral, ReferralStatus, ReferralSubject
from tests.factories import add_party, make_agency, make_case, make_person, make_referral, make_user

PROBLEM = "There is a problem"


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def verbs() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.verb).order_by(AuditEvent.id)))


def snapshot() -> tuple[int, ...]:
    return tuple(count(model) for model in (Referral, Case, CaseParty, CaseAgency, Person, Note))


@pytest.fixture
def world(session):
    council = make_agency(name="Fenland District Council")
    housing = make_agency(name="Roddons Housing")
    voluntary = make_agency(name="Wisbech Community Trust")
    chair = make_user(role=Role.PSG_CHAIR, agency=council, name="Chris Chair")
    partner = make_user(role=Role.PARTNER, agency=voluntary, name="Pat Partner")
    housing_officer = make_user(agency=housing, name="Hana Housing")
    council_case = make_case(lead_agency=council, opened_by=chair, title="Stones at windows, Orchard Road")
    housing_case = make_case(lead_agency=housing, opened_by=housing_officer, title="Housing tenancy case")
    ada = make_person(created_by=chair)  # Ada Ashdown, 17 May 1980, PE13 1ZZ
    add_party(case=council_case, person=ada, role=PartyRole.VICTIM)
    add_party(case=housing_case, person=ada, role=PartyRole.COMPLAINANT)
    return SimpleNamespace(
        council=council,
        housing=housing,
        voluntary=voluntary,
        chair=chair,
        partner=partner,
        housing_officer=housing_officer,
        council_case=council_case,
        housing_case=housing_case,
        ada=ada,
    )


def referral_form(**changes: object) -> dict[str, object]:
    form = {
        "subject": "person",
        "first_name": "Bernard",
        "last_name": "Blackmore",
        "date_of_birth": ["3", "11", "1962"],
        "place": "",
        "address": "4 Mill Lane, March",
        "postcode": "pe15 9xy",
        "what_is_happening": "Shouting at neighbours late at night, most weekends.",
        "risks": "Has a dog that bites.",
        "consent": "yes",
        "consent_reason": "",
    }
    form.update(changes)
    return form


def accept_form(referral: Referral, **changes: object) -> dict[str, object]:
    form = {
        "accept-version": str(referral.version),
        "accept-person_id": "new",
        "accept-role": "victim",
        "accept-into": "new",
        "accept-case_reference": "",
        "accept-case_type": "victim",
        "accept-title": "Stones at windows",
        "accept-lead_agency_id": "",
    }
    form.update(changes)
    return {key: value for key, value in form.items() if value is not None}


# --- Making a referral -------------------------------------------------------------


def test_a_partner_refers_sees_it_listed_and_then_sees_why_it_was_declined(client_as, world):
    partner = client_as(world.partner)
    form_page = partner.get("/referrals/new").text
    assert "Wisbech Community Trust" in form_page and "Pat Partner" in form_page

    response = partner.post("/referrals/new", data=referral_form())
    referral = db.session.scalar(select(Referral))
    assert response.status_code == 302
    assert response.location == f"/referrals/{referral.id}"
    assert (referral.subject, referral.status) == (ReferralSubject.PERSON, ReferralStatus.NEW)
    assert (referral.date_of_birth, referral.postcode) == (date(1962, 11, 3), "PE15 9XY")
    assert (referral.referring_agency_id, referral.referrer_id) == (world.voluntary.id, world.partner.id)
    assert verbs()[-1] == "referral.made"

    page = partner.get(response.location).text
    assert "Referral sent to the PSG chair." in page
    assert "Bernard Blackmore" in page and "Shouting at neighbours" in page
    assert "Checks" not in page and 'action="/referrals/' not in page  # no decision for a partner
    listed = partner.get("/referrals").text
    assert f'href="/referrals/{referral.id}"' in listed and "New" in listed

    chair = client_as(world.chair)
    response = chair.post(
        f"/referrals/{referral.id}/decline",
        data={"decline-version": "1", "decline-reason": "Already known to the neighbourhood police team"},
    )
    assert response.status_code == 302
    assert "The referring agency can see your reason" in chair.get(response.location).text

    page = partner.get(f"/referrals/{referral.id}").text
    assert "Declined by Chris Chair" in page and "Already known to the neighbourhood police team" in page
    listed = partner.get("/referrals").text
    assert "Declined" in listed and "Already known to the neighbourhood police team" in listed
    assert verbs().count("referral.viewed") == 3
    assert "referral.declined" in verbs()


def test_a_place_referral_keeps_no_one_s_details_even_mistyped_ones(client_as, world):
    response = client_as(world.partner).post(
        "/referrals/new",
        data=referral_form(
            subject="place",
            first_name="Ignored",
            date_of_birth=["31", "2", "1990"],
            place="Tillery Park, Wisbech",
            consent="not_asked",
            consent_reason="No individual is named",
        ),
    )
    assert response.status_code == 302
    referral = db.session.scalar(select(Referral))
    assert (referral.place, referral.first_name, referral.date_of_birth) == ("Tillery Park, Wisbech", "", None)
    assert (referral.consent.value, referral.consent_reason) == ("not_asked", "No individual is named")


TOMORROW = today() + timedelta(days=1)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"subject": ""}, "Select whether you are referring a person or a place"),
        ({"subject": "building"}, "Select whether you are referring a person or a place"),
        ({"first_name": " "}, "Enter the person&#39;s first name"),
        ({"last_name": ""}, "Enter the person&#39;s last name"),
        ({"subject": "place", "place": ""}, "Enter the place"),
        ({"what_is_happening": ""}, "Enter what is happening"),
        ({"what_is_happening": "x" * 5001}, "What is happening must be 5000 characters or fewer"),
        ({"consent": ""}, "Select whether consent to share was given"),
        ({"consent": "no"}, "Enter why consent was not given or not asked for"),
        ({"consent": "not_asked", "consent_reason": "  "}, "Enter why consent was not given or not asked for"),
        ({"date_of_birth": ["31", "2", "1990"]}, "Date of birth must be a real date"),
        ({"date_of_birth": ["12", "", "1985"]}, "Date of birth must include a day, month and year"),
        ({"date_of_birth": ["1", "1", "1850"]}, "Date of birth must be after 1900"),
        (
            {"date_of_birth": [str(TOMORROW.day), str(TOMORROW.month), str(TOMORROW.year)]},
            "Date of birth must be in the past",
        ),
        ({"postcode": "P" * 11}, "Postcode must be 10 characters or fewer"),
        ({"postcode": "March"}, "Enter a real postcode, like SW1A 1AA"),
    ],
)
def test_bad_referrals_are_shown_on_the_form_keep_what_was_typed_and_write_nothing(client_as, world, changes, message):
    before, audit_before = snapshot(), count(AuditEvent)
    response = client_as(world.partner).post("/referrals/new", data=referral_form(**changes))
    assert response.status_code == 400
    assert PROBLEM in response.text and message in response.text
    assert "<title>Error:" in response.text
    assert "4 Mill Lane, March" in response.text  # what was typed is kept
    assert (snapshot(), count(AuditEvent)) == (before, audit_before)


def test_the_services_checks_are_shown_with_the_fields_own(client_as, world):
    """A missing name and reason (the service's rules) come back with a postcode too
    long (the field's own check), in one response."""
    before = snapshot()
    data = referral_form(first_name=" ", consent="no", postcode="P" * 11)
    response = client_as(world.partner).post("/referrals/new", data=data)
    assert response.status_code == 400
    for message in (
        "Enter the person&#39;s first name",
        "Enter why consent was not given or not asked for",
        "Postcode must be 10 characters or fewer",
    ):
        assert message in response.text
    assert snapshot() == before


@pytest.mark.parametrize("role", [Role.ANALYST, Role.ADMIN])
def test_analysts_and_administrators_cannot_refer_or_see_referrals(client_as, world, role):
    """Analysts see figures only; administrators manage users and agencies and do no
    casework. Neither sees a referral, even one their own agency made."""
    referral = make_referral(referrer=world.partner)
    user = client_as(make_user(role=role, agency=world.voluntary))
    assert 'href="/referrals"' not in user.get("/").text
    assert user.get("/referrals").status_code == 403
    assert user.get("/referrals/new").status_code == 403
    assert user.post("/referrals/new", data=referral_form()).status_code == 403
    assert user.get(f"/referrals/{referral.id}").status_code == 404
    assert count(Referral) == 1
    assert "referral.viewed" not in verbs()


# --- Who sees what -----------------------------------------------------------------


def test_another_agency_cannot_see_a_referral(client_as, world):
    referral = make_referral(referrer=world.partner)
    outsider = client_as(world.housing_officer)
    assert outsider.get(f"/referrals/{referral.id}").status_code == 404
    assert outsider.post(f"/referrals/{referral.id}/accept", data=accept_form(referral)).status_code == 404
    assert outsider.post(f"/referrals/{referral.id}/decline", data={"decline-reason": "x"}).status_code == 404
    assert f"/referrals/{referral.id}" not in outsider.get("/referrals").text
    assert "referral.viewed" not in verbs()


def test_the_referring_agency_cannot_decide_its_own_referral(client_as, world):
    referral = make_referral(referrer=world.partner)
    colleague = client_as(make_user(role=Role.PSG_MEMBER, agency=world.voluntary))
    assert colleague.get(f"/referrals/{referral.id}").status_code == 200
    assert colleague.post(f"/referrals/{referral.id}/accept", data=accept_form(referral)).status_code == 403
    assert (
        colleague.post(
            f"/referrals/{referral.id}/decline", data={"decline-version": "1", "decline-reason": "No"}
        ).status_code
        == 403
    )
    assert db.session.get(Referral, referral.id).status is ReferralStatus.NEW


def test_the_chair_lists_every_referral_new_first_and_filters_by_status(client_as, world):
    declined = make_referral(referrer=world.housing_officer, last_name="Declined", status=ReferralStatus.DECLINED)
    new = make_referral(
        referrer=world.partner, last_name="Newcome", received_at=declined.received_at - timedelta(days=3)
    )
    chair = client_as(world.chair)
    page = chair.get("/referrals").text
    assert page.index("Ada Newcome") < page.index("Ada Declined")
    filtered = chair.get("/referrals?status=declined").text
    assert "Ada Declined" in filtered and "Ada Newcome" not in filtered
    # A mangled filter is ignored rather than an error.
    assert chair.get("/referrals?status=nonsense&page=x").status_code == 200
    assert f"/referrals/{new.id}" in chair.get("/referrals?status=new").text


# --- The chair's checks and decision -------------------------------------------------


def test_the_chair_sees_the_checks_with_similar_people_and_their_cases(client_as, world):
    referral = make_referral(referrer=world.partner)
    restricted = make_case(lead_agency=world.housing, opened_by=world.housing_officer, restricted=True)
    add_party(case=restricted, person=world.ada)
    page = client_as(world.chair).get(f"/referrals/{referral.id}").text
    similar = page.split('id="similar-people"', 1)[1].split("</table>", 1)[0]
    assert "Ada Ashdown" in similar
    assert world.council_case.reference in similar and "Stones at windows, Orchard Road" in similar
    assert world.housing_case.reference in similar and "Limited view" in similar
    assert "Housing tenancy case" not in similar  # a stub shows no title
    assert restricted.reference not in page
    assert f'<option value="{world.council_case.reference}">' in page  # offered for "existing case"
    assert f'<option value="{world.housing_case.reference}">' not in page
    assert f'value="{world.ada.id}"' in page  # "use this person"


def test_the_chair_accepts_into_a_new_case_and_the_partner_then_sees_the_case(client_as, world):
    referral = make_referral(referrer=world.partner, first_name="Bernard", last_name="Blackmore")
    chair = client_as(world.chair)
    response = chair.post(
        f"/referrals/{referral.id}/accept",
        data=accept_form(referral, **{"accept-lead_agency_id": str(world.housing.id), "accept-role": "perpetrator"}),
    )
    assert response.status_code == 302, response.text
    case = db.session.scalar(select(Case).where(Case.title == "Stones at windows"))
    assert case.lead_agency_id == world.housing.id
    assert f"Referral accepted into case {case.reference}." in chair.get(response.location).text
    involved = set(db.session.scalars(select(CaseAgency.agency_id).where(CaseAgency.case_id == case.id)))
    assert involved == {world.housing.id, world.council.id, world.voluntary.id}
    [party] = db.session.scalars(select(CaseParty).where(CaseParty.case_id == case.id))
    assert party.role is PartyRole.PERPETRATOR
    assert db.session.get(Person, party.person_id).full_name == "Bernard Blackmore"
    assert verbs()[-7:] == [
        "case.opened",
        "person.created",
        "case.person_added",
        "case.agency_added",
        "note.added",
        "referral.accepted",
        "referral.viewed",
    ]

    partner = client_as(world.partner)
    page = partner.get(f"/referrals/{referral.id}").text
    assert "Accepted by Chris Chair" in page
    assert f'href="/cases/{case.reference}"' in page
    assert f'href="/cases/{case.reference}"' in partner.get("/referrals").text
    case_page = partner.get(f"/cases/{case.reference}").text
    assert "Stones at windows" in case_page
    assert "Youths shouting and throwing stones" in case_page  # the referral's account is on the timeline


def test_the_chair_accepts_into_an_existing_case_with_the_known_person(client_as, world):
    referral = make_referral(referrer=world.partner)
    response = client_as(world.chair).post(
        f"/referrals/{referral.id}/accept",
        data=accept_form(
            referral,
            **{
                "accept-into": "existing",
                "accept-case_reference": world.council_case.reference,
                "accept-person_id": str(world.ada.id),
                "accept-role": "complainant",
            },
        ),
    )
    assert response.status_code == 302, response.text
    stored = db.session.get(Referral, referral.id)
    assert (stored.status, stored.case_id, stored.person_id) == (
        ReferralStatus.ACCEPTED,
        world.council_case.id,
        world.ada.id,
    )
    assert count(Person) == 1
    involved = (CaseAgency.case_id == world.council_case.id, CaseAgency.agency_id == world.voluntary.id)
    assert count(CaseAgency, *involved) == 1


def test_accepting_someone_already_on_the_case_in_that_role_keeps_them_and_says_so(client_as, world):
    referral = make_referral(referrer=world.partner)
    chair = client_as(world.chair)
    response = chair.post(
        f"/referrals/{referral.id}/accept",
        data=accept_form(
            referral,
            **{
                "accept-into": "existing",
                "accept-case_reference": world.council_case.reference,
                "accept-person_id": str(world.ada.id),
                "accept-role": "victim",
            },
        ),
    )
    assert response.status_code == 302, response.text
    page = chair.get(response.location).text
    assert (
        f"Referral accepted into case {world.council_case.reference}. "
        "Ada Ashdown was already a victim on it and stays as they were."
    ) in page
    assert db.session.get(Referral, referral.id).status is ReferralStatus.ACCEPTED
    on_case = (CaseParty.case_id == world.council_case.id, CaseParty.person_id == world.ada.id)
    assert count(CaseParty, *on_case) == 1


def test_accepting_into_a_case_the_chair_sees_only_as_a_stub_is_refused(client_as, world):
    referral = make_referral(referrer=world.partner)
    before, audit_before = snapshot(), count(AuditEvent)
    response = client_as(world.chair).post(
        f"/referrals/{referral.id}/accept",
        data=accept_form(
            referral, **{"accept-into": "existing", "accept-case_reference": world.housing_case.reference}
        ),
    )
    assert response.status_code == 400
    assert PROBLEM in response.text
    assert f"Your agency cannot see case {world.housing_case.reference} in full" in response.text
    assert 'href="#accept-case_reference"' in response.text
    assert snapshot() == before
    assert db.session.get(Referral, referral.id).status is ReferralStatus.NEW
    assert count(AuditEvent) == audit_before + 1  # only the view of the page shown again
    assert verbs()[-1] == "referral.viewed"


def test_a_restricted_case_the_chair_may_not_share_is_explained_on_the_form(client_as, world):
    """The referring agency would join the case, and only the lead agency's chair or a
    manager shares a restricted case: a message on the case's field, not a 403."""
    restricted = make_case(
        lead_agency=world.housing, opened_by=world.housing_officer, involved=[world.council], restricted=True
    )
    referral = make_referral(referrer=world.partner)
    before, audit_before = snapshot(), count(AuditEvent)
    response = client_as(world.chair).post(
        f"/referrals/{referral.id}/accept",
        data=accept_form(
            referral,
            **{
                "accept-into": "existing",
                "accept-case_reference": restricted.reference.lower(),
                "accept-person_id": "new",
                "accept-role": "victim",
            },
        ),
    )
    assert response.status_code == 400
    page = response.text.replace("&#39;", "'")
    assert (
        f"Case {restricted.reference} is restricted, so only Roddons Housing's chair or a manager can share it "
        "with Wisbech Community Trust, which the referral would bring in."
    ) in page
    assert 'href="#accept-case_reference"' in page
    assert f'value="{restricted.reference.lower()}"' in page
    assert snapshot() == before
    assert db.session.get(Referral, referral.id).status is ReferralStatus.NEW
    assert count(AuditEvent) == audit_before + 1  # only the view of the page shown again


def test_a_new_restricted_case_another_agency_leads_is_explained_on_the_form(client_as, world):
    referral = make_referral(referrer=world.partner)
    before = snapshot()
    data = accept_form(referral, **{"accept-lead_agency_id": str(world.housing.id), "accept-restricted": "y"})
    response = client_as(world.chair).post(f"/referrals/{referral.id}/accept", data=data)
    assert response.status_code == 400
    page = response.text.replace("&#39;", "'")
    assert "Only Roddons Housing's chair or a manager can share a restricted case" in page
    assert 'href="#accept-restricted"' in page
    assert snapshot() == before
    assert db.session.get(Referral, referral.id).status is ReferralStatus.NEW


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"accept-into": None}, "accept-into", "Select whether to accept the referral into an existing case or a new"),
        ({"accept-into": "existing"}, "accept-case_reference", "Enter the reference of the case"),
        ({"accept-title": " "}, "accept-title", "Enter a title"),
        ({"accept-case_type": None}, "accept-case_type", "Select the case type"),
        ({"accept-lead_agency_id": None}, "accept-lead_agency_id", "Select the lead agency"),
        ({"accept-lead_agency_id": "999999"}, "accept-lead_agency_id", "Select the lead agency from the list"),
        ({"accept-role": None}, "accept-role", "Select the person&#39;s role on the case"),
        ({"accept-role": "witness"}, "accept-role", "Select the person&#39;s role on the case"),
        ({"accept-person_id": None}, "accept-person_id", "Select someone already known, or a new person"),
        ({"accept-person_id": "999999"}, "accept-person_id", "Select someone from the list, or a new person"),
        ({"accept-version": "x"}, "accept-version", "Reload the page and try again"),
    ],
)
def test_an_incomplete_acceptance_is_shown_on_the_form_and_writes_nothing(client_as, world, changes, field, message):
    referral = make_referral(referrer=world.partner)
    data = accept_form(referral, **{"accept-lead_agency_id": str(world.council.id)})
    data.update(changes)
    before = snapshot()
    response = client_as(world.chair).post(
        f"/referrals/{referral.id}/accept", data={key: value for key, value in data.items() if value is not None}
    )
    assert response.status_code == 400
    assert PROBLEM in response.text and message in response.text
    if field != "accept-version":
        assert f'href="#{field}"' in response.text
    assert snapshot() == before
    assert db.session.get(Referral, referral.id).status is ReferralStatus.NEW


def test_an_unusable_case_is_shown_with_the_form_s_own_problems(client_as, world):
    """No role chosen (the form's check) and a case that does not exist (the service's)
    come back together, with what was typed."""
    referral = make_referral(referrer=world.partner)
    before = snapshot()
    data = accept_form(referral, **{"accept-into": "existing", "accept-case_reference": "asb-2026-99999"})
    del data["accept-role"]
    response = client_as(world.chair).post(f"/referrals/{referral.id}/accept", data=data)
    assert response.status_code == 400
    assert "Select the person&#39;s role on the case" in response.text
    assert "There is no case with the reference ASB-2026-99999" in response.text
    assert 'value="asb-2026-99999"' in response.text
    assert snapshot() == before


def test_a_decline_without_a_reason_is_refused(client_as, world):
    referral = make_referral(referrer=world.partner)
    response = client_as(world.chair).post(
        f"/referrals/{referral.id}/decline", data={"decline-version": "1", "decline-reason": "  "}
    )
    assert response.status_code == 400
    assert PROBLEM in response.text and "Enter why the referral is declined" in response.text
    assert 'href="#decline-reason"' in response.text
    assert db.session.get(Referral, referral.id).status is ReferralStatus.NEW


def test_a_referral_accepted_twice_or_declined_after_acceptance_is_refused_with_nothing_written(client_as, world):
    referral = make_referral(referrer=world.partner)
    lead = {"accept-lead_agency_id": str(world.council.id)}
    first, second = client_as(world.chair), client_as(make_user(role=Role.PSG_CHAIR, agency=world.housing))
    assert first.post(f"/referrals/{referral.id}/accept", data=accept_form(referral, **lead)).status_code == 302
    before, audit_before = snapshot(), count(AuditEvent)

    # The second chair's page was loaded before the first chair accepted.
    response = second.post(f"/referrals/{referral.id}/accept", data=accept_form(referral, **lead))
    assert response.status_code == 409
    assert "This referral has already been accepted" in response.text
    response = second.post(f"/referrals/{referral.id}/decline", data={"decline-version": "1", "decline-reason": "No"})
    assert response.status_code == 409
    assert "This referral has already been accepted" in response.text
    assert (snapshot(), count(AuditEvent)) == (before, audit_before)

    declined = make_referral(referrer=world.partner)
    first.post(f"/referrals/{declined.id}/decline", data={"decline-version": "1", "decline-reason": "No"})
    response = second.post(f"/referrals/{declined.id}/accept", data=accept_form(declined, **lead))
    assert response.status_code == 409 and "This referral has already been declined" in response.text

    # A decided referral's page offers no decision any more.
    page = first.get(f"/referrals/{referral.id}").text
    assert 'id="checks"' not in page and "/accept" not in page


def test_the_case_reference_is_linked_only_for_those_who_may_open_the_case(client_as, world):
    referral = make_referral(referrer=world.partner)
    client_as(world.chair).post(
        f"/referrals/{referral.id}/accept",
        data=accept_form(referral, **{"accept-lead_agency_id": str(world.council.id)}),
    )
    reference = db.session.scalar(select(Case.reference).where(Case.title == "Stones at windows"))
    manager = client_as(make_user(role=Role.MANAGER, agency=world.housing))
    assert f'href="/cases/{reference}"' in manager.get(f"/referrals/{referral.id}").text
    # A licensing officer of the referring agency lists only the cases it is involved in.
    officer = make_user(role=Role.LICENSING_OFFICER, agency=world.voluntary)
    db.session.execute(CaseAgency.__table__.delete().where(CaseAgency.agency_id == world.voluntary.id))
    db.session.commit()
    page = client_as(officer).get(f"/referrals/{referral.id}").text
    assert reference in page and f'href="/cases/{reference}"' not in page


def test_the_page_names_no_one_in_its_title(client_as, world):
    referral = make_referral(referrer=world.partner)
    page = client_as(world.partner).get(f"/referrals/{referral.id}").text
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert "Ashdown" not in title and f"Referral {referral.id}" in title


@pytest.mark.parametrize("role", [Role.PSG_MEMBER, Role.LICENSING_OFFICER, Role.PARTNER, Role.ANALYST, Role.ADMIN])
def test_every_referral_route_answers_404_to_users_of_another_agency(app, client_as, world, role):
    referral = make_referral(referrer=world.partner)
    outsider = client_as(make_user(role=role, agency=world.housing))
    routes = [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("referrals.") and rule.arguments]
    assert {rule.endpoint for rule in routes} == {"referrals.detail", "referrals.accept", "referrals.decline"}
    for rule in routes:
        url = rule.rule.replace("<int:referral_id>", str(referral.id))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            status = outsider.open(url, method=method).status_code
            assert status == 404, (rule.endpoint, method)
    assert db.session.get(Referral, referral.id).status is ReferralStatus.NEW
