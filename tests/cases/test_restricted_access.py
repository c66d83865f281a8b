"""Restricted cases: whoever may see one in full says why before any of it is shown, and
the reason goes into the audit trail with every view of the case (DPA 2018 s.62)."""

from types import SimpleNamespace
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from sqlalchemy import select

from casework import db
from casework.audit.models import AuditEvent
from casework.cases.models import Note, PartyRole
from casework.permissions import Role
from tests.factories import add_party, make_action, make_agency, make_case, make_note, make_person, make_user

pytestmark = pytest.mark.both_databases

TITLE = "Threats to Philippa Gorringe-Vantablack"
NOTE = "Moved to the refuge on Quenby Lane"


@pytest.fixture
def world(session):
    council = make_agency(name="Fenland District Council")
    police = make_agency(name="Cambridgeshire Constabulary")
    member = make_user(agency=council)
    case = make_case(lead_agency=council, opened_by=member, restricted=True, title=TITLE)
    victim = make_person(created_by=member, first_name="Philippa", last_name="Gorringe-Vantablack")
    party = add_party(case=case, person=victim, role=PartyRole.VICTIM)
    make_note(case=case, author=member, body=NOTE)
    other = make_case(lead_agency=council, opened_by=member, restricted=True, title="Second restricted case")
    open_case = make_case(lead_agency=council, opened_by=member, title="An ordinary case")
    return SimpleNamespace(
        council=council,
        police=police,
        member=member,
        case=case,
        victim=victim,
        party=party,
        other=other,
        open_case=open_case,
        manager=make_user(role=Role.MANAGER, agency=police),
        admin=make_user(role=Role.ADMIN, agency=police),
        outsider=make_user(agency=police),
    )


def events(verb: str, case_id: int) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.verb == verb, AuditEvent.case_id == case_id).order_by(AuditEvent.id)
    return list(db.session.scalars(query))


def reason_page(world) -> str:
    return f"/cases/{world.case.reference}/access-reason"


def give_reason(client, world, next_path: str | None = None, **data):
    form = {"reason": "works-on-case", "details": "", **data}
    if next_path is not None:
        form["next"] = next_path
    return client.post(reason_page(world), data=form)


def case_pages(world) -> list[str]:
    base = f"/cases/{world.case.reference}"
    return [
        base,
        base + "/edit",
        base + "/close",
        base + "/agencies/new",
        base + "/people/new",
        base + "/people/find",
        base + "/conferences/new",
        base + f"/victims/{world.victim.id}/risk-assessments",
        base + f"/victims/{world.victim.id}/risk-assessments/new",
        f"/people/{world.victim.id}",
    ]


def test_every_page_of_the_case_asks_for_a_reason_first(client_as, world):
    client = client_as(world.member)
    for path in case_pages(world):
        response = client.get(path)
        assert response.status_code == 302, path
        location = urlsplit(response.headers["Location"])
        assert location.path == reason_page(world), path
        assert parse_qs(location.query)["next"] == [path]
        for secret in (TITLE, NOTE, "Gorringe"):
            assert secret not in response.text
    assert events("case.viewed", world.case.id) == []


def test_an_action_on_the_case_asks_for_the_reason_too(client_as, world):
    action = make_action(agency=world.council, created_by=world.member, case=world.case, title="Fit a panic alarm")
    client = client_as(world.member)
    for path in (f"/actions/{action.id}", f"/actions/new?case={world.case.reference}"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert urlsplit(response.location).path == reason_page(world)
    assert "Fit a panic alarm" not in client.get(f"/actions/{action.id}", follow_redirects=True).text
    give_reason(client, world)
    assert "Fit a panic alarm" in client.get(f"/actions/{action.id}").text


def test_the_reason_page_shows_nothing_of_the_case(client_as, world):
    response = client_as(world.member).get(reason_page(world) + "?next=/cases/" + world.case.reference)
    assert response.status_code == 200
    assert world.case.reference in response.text
    for secret in (TITLE, NOTE, "Philippa", "Gorringe", "Orchard Road", "07700"):
        assert secret not in response.text


def test_a_reason_is_audited_and_opens_the_page_wanted(client_as, world):
    client = client_as(world.member)
    history = f"/cases/{world.case.reference}/victims/{world.victim.id}/risk-assessments"
    response = give_reason(client, world, next_path=history)
    assert response.status_code == 302
    assert response.headers["Location"] == history
    [recorded] = events("case.restricted_access_reason", world.case.id)
    assert recorded.actor_id == world.member.id
    assert recorded.detail["reason"] == "works-on-case"
    assert recorded.detail["label"] == "I work on this case"

    assert client.get(history).status_code == 200
    page = client.get(f"/cases/{world.case.reference}")
    assert page.status_code == 200 and TITLE in page.text and NOTE in page.text
    assert client.get(f"/people/{world.victim.id}").status_code == 200
    [viewed] = events("case.viewed", world.case.id)
    assert viewed.detail["access_reason"]["reason"] == "works-on-case"
    [history_viewed] = events("risk.history_viewed", world.case.id)
    assert history_viewed.detail["access_reason"]["reason"] == "works-on-case"


def test_the_person_page_carries_the_reason_given_for_each_restricted_case(client_as, world):
    """A person seen through restricted cases: the view names each case and the reason
    given for it, as the case page's view does (an ordinary case needs none)."""
    add_party(case=world.other, person=world.victim, role=PartyRole.WITNESS)
    add_party(case=world.open_case, person=world.victim, role=PartyRole.COMPLAINANT)
    client = client_as(world.member)
    give_reason(client, world)
    client.post(f"/cases/{world.other.reference}/access-reason", data={"reason": "safeguarding", "details": ""})
    assert client.get(f"/people/{world.victim.id}").status_code == 200
    [viewed] = db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "person.viewed"))
    assert viewed.person_id == world.victim.id
    reasons = viewed.detail["access_reasons"]
    assert set(reasons) == {world.case.reference, world.other.reference}
    assert reasons[world.case.reference]["reason"] == "works-on-case"
    assert reasons[world.other.reference]["reason"] == "safeguarding"
    assert "meetings" not in viewed.detail


def test_every_view_of_the_case_carries_the_reason(client_as, world):
    client = client_as(world.member)
    give_reason(client, world, reason="other", details="Court bundle for the injunction hearing")
    for _ in range(2):
        client.get(f"/cases/{world.case.reference}")
    viewed = events("case.viewed", world.case.id)
    assert len(viewed) == 2
    for event in viewed:
        assert event.detail["access_reason"] == {
            "reason": "other",
            "label": "Another reason",
            "details": "Court bundle for the injunction hearing",
        }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"reason": ""}, "Select why you need to open this case"),
        ({"reason": "curiosity"}, "Select why you need to open this case"),
        ({"reason": "other", "details": "   "}, "Enter why you need to open this case"),
        ({"reason": "safeguarding", "details": "x" * 501}, "Details must be 500 characters or fewer"),
    ],
)
def test_bad_reasons_are_refused_with_a_clear_error_and_nothing_recorded(client_as, world, data, message):
    client = client_as(world.member)
    response = give_reason(client, world, next_path=f"/cases/{world.case.reference}", **data)
    assert response.status_code == 400
    assert "There is a problem" in response.text and message in response.text
    assert TITLE not in response.text and NOTE not in response.text
    if data.get("details", "").strip():
        assert data["details"] in response.text  # what was typed is kept
    assert events("case.restricted_access_reason", world.case.id) == []
    assert client.get(f"/cases/{world.case.reference}").status_code == 302  # still asked


@pytest.mark.parametrize(
    "target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "x"]
)
def test_only_a_path_on_this_site_is_followed_back(client_as, world, target):
    response = give_reason(client_as(world.member), world, next_path=target)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/cases/{world.case.reference}"


@pytest.mark.parametrize("who", ["manager", "admin"])
def test_managers_and_administrators_are_asked_too(client_as, world, who):
    client = client_as(getattr(world, who))
    assert urlsplit(client.get(f"/cases/{world.case.reference}").headers["Location"]).path == reason_page(world)
    give_reason(client, world, reason="management-review")
    assert client.get(f"/cases/{world.case.reference}").status_code == 200


def test_a_stub_needs_no_reason(client_as, world):
    client = client_as(world.outsider)
    response = client.get(f"/cases/{world.case.reference}")
    assert response.status_code == 200
    assert TITLE not in response.text
    # The reason page is for those who see the case in full: a stub's user gets a 404.
    assert client.get(reason_page(world)).status_code == 404
    assert give_reason(client, world).status_code == 404
    assert events("case.restricted_access_reason", world.case.id) == []


def test_an_unrestricted_case_needs_no_reason(client_as, world):
    assert client_as(world.member).get(f"/cases/{world.open_case.reference}").status_code == 200


def test_a_reason_covers_one_case_only(client_as, world):
    client = client_as(world.member)
    give_reason(client, world)
    response = client.get(f"/cases/{world.other.reference}")
    assert urlsplit(response.headers["Location"]).path == f"/cases/{world.other.reference}/access-reason"


def test_a_change_without_a_reason_is_sent_to_ask_and_not_saved(client_as, world):
    client = client_as(world.member)
    response = client.post(f"/cases/{world.case.reference}/notes", data={"kind": "note", "body": "Called her"})
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == reason_page(world)
    assert parse_qs(location.query)["next"] == [f"/cases/{world.case.reference}"]
    assert db.session.scalar(select(Note.id).where(Note.body == "Called her")) is None


def test_signing_out_forgets_the_reasons(client_as, world):
    client = client_as(world.member)
    give_reason(client, world)
    client.post("/sign-out")
    with client.session_transaction() as stored:
        assert "case_access_reasons" not in stored
    again = client_as(world.member)
    assert again.get(f"/cases/{world.case.reference}").status_code == 302


def test_a_case_the_user_cannot_see_still_answers_404(client_as, world):
    client = client_as(make_user(role=Role.LICENSING_OFFICER, agency=world.police))
    assert client.get(reason_page(world) + "?next=" + quote(f"/cases/{world.case.reference}")).status_code == 404
    assert give_reason(client, world).status_code == 404
    assert events("case.restricted_access_reason", world.case.id) == []


def test_the_reason_page_of_an_ordinary_case_goes_straight_back(client_as, world):
    client = client_as(world.member)
    target = f"/cases/{world.open_case.reference}/edit"
    response = client.get(f"/cases/{world.open_case.reference}/access-reason?next=" + quote(target))
    assert (response.status_code, response.headers["Location"]) == (302, target)


def test_the_case_s_forms_are_audited_with_the_reason_like_the_case_page(client_as, world):
    """The edit form, the risk assessment form and the page taking someone off the case
    show the case and the person: each view is recorded, with the reason given."""
    client = client_as(world.member)
    give_reason(client, world)
    base = f"/cases/{world.case.reference}"
    pages = {
        "edit": (base + "/edit", None),
        "risk assessment": (base + f"/victims/{world.victim.id}/risk-assessments/new", world.victim.id),
        "remove person": (base + f"/people/{world.party.id}/remove", world.victim.id),
    }
    for path, _person in pages.values():
        assert client.get(path).status_code == 200, path
    viewed = events("case.viewed", world.case.id)
    assert {event.detail["page"]: event.person_id for event in viewed} == {
        page: person for page, (_path, person) in pages.items()
    }
    for event in viewed:
        assert event.actor_id == world.member.id
        assert event.detail["access_reason"]["reason"] == "works-on-case"
