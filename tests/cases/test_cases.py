"""The case pages as a user meets them: the list, opening, the case page, notes,
editing, closing, adding agencies and asking for access."""

import re
from datetime import UTC, datetime
from types import SimpleNamespace
from urllib.parse import parse_qsl

import pytest
from sqlalchemy import func, select

from casework import db
from casework.audit.models import AuditEvent
from casework.cases.models import Case, CaseAgency, CaseStatus, CaseType, Note, NoteKind, PartyRole
from casework.clock import utcnow
from casework.permissions import Role
from tests.factories import add_party, make_agency, make_case, make_note, make_person, make_user
from tests.support.cases import edit_form, open_form

PROBLEM = "There is a problem"


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def audit_events(verb: str, *, case_id: int | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.verb == verb).order_by(AuditEvent.id)
    if case_id is not None:
        query = query.where(AuditEvent.case_id == case_id)
    return list(db.session.scalars(query))


def filtered(client, query: str):
    """The list as its filter form gives it: typed text is sent by POST to /cases/search,
    which answers with a redirect to the list that carries a token, never the text."""
    data = dict(parse_qsl(query))
    if "text" not in data:
        return client.get("/cases?" + query)
    response = client.post("/cases/search", data=data)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "text" not in location and data["text"].lower() not in location.lower()
    assert "search=" in location
    return client.get(location)


def listed(response) -> list[str]:
    """The case references in the list, in the order shown."""
    assert response.status_code == 200, response.status_code
    table = response.text.split('id="case-list"', 1)
    return re.findall(r'href="/cases/(ASB-\d{4}-\d{5,})"', table[1]) if len(table) == 2 else []


def reload(case: Case) -> Case:
    db.session.expire_all()
    return db.session.get(Case, case.id)


def at(month: int) -> datetime:
    return datetime(2025, month, 10, 9, 0, tzinfo=UTC)


# --- The list ----------------------------------------------------------------------


@pytest.fixture
def caselist(session):
    """Two council cases, one police case shared with the council, and two police cases
    the council cannot see in full (one restricted). Opened dates do not follow the
    reference numbers, so sorting by one cannot pass for sorting by the other."""
    council = make_agency(name="Fenland District Council")
    police = make_agency(name="Cambridgeshire Constabulary")
    voluntary = make_agency(name="Wisbech Voluntary Trust")
    member = make_user(agency=council)
    officer = make_user(agency=police)
    cases = SimpleNamespace(
        mine_open=make_case(
            lead_agency=council,
            opened_by=member,
            reference="ASB-2025-00001",
            title="Loud music on Orchard Road",
            town="Wisbech",
            case_type=CaseType.VICTIM,
            opened_at=at(3),
        ),
        mine_closed=make_case(
            lead_agency=council,
            opened_by=member,
            reference="ASB-2025-00002",
            title="Graffiti on the garages",
            town="Chatteris",
            case_type=CaseType.PLACE,
            status=CaseStatus.CLOSED,
            opened_at=at(1),
        ),
        shared=make_case(
            lead_agency=police,
            opened_by=officer,
            involved=[council, voluntary],
            reference="ASB-2025-00003",
            title="Drug dealing from a flat",
            town="March",
            case_type=CaseType.PERPETRATOR,
            opened_at=at(5),
        ),
        stub=make_case(
            lead_agency=police,
            opened_by=officer,
            reference="ASB-2025-00004",
            title="Quarrel over the allotments",
            town="Chatteris",
            case_type=CaseType.FAMILY,
            status=CaseStatus.CLOSED,
            opened_at=at(2),
        ),
        restricted=make_case(
            lead_agency=police,
            opened_by=officer,
            reference="ASB-2025-00005",
            title="Hidden domestic abuse",
            town="Chatteris",
            case_type=CaseType.PERPETRATOR,
            restricted=True,
            opened_at=at(4),
        ),
    )
    return SimpleNamespace(council=council, police=police, voluntary=voluntary, member=member, cases=cases)


def test_the_list_shows_my_agencys_cases_by_default(client_as, caselist):
    response = client_as(caselist.member).get("/cases")
    assert sorted(listed(response)) == ["ASB-2025-00001", "ASB-2025-00002", "ASB-2025-00003"]
    assert "Loud music on Orchard Road" in response.text
    assert "3 cases" in response.text


def test_all_partnership_cases_show_stubs_without_their_titles(client_as, caselist):
    response = client_as(caselist.member).get("/cases?scope=all")
    assert sorted(listed(response)) == [f"ASB-2025-0000{n}" for n in range(1, 6)]
    assert "Limited view" in response.text
    assert "Restricted" in response.text
    for hidden in ("Quarrel over the allotments", "Hidden domestic abuse"):
        assert hidden not in response.text
    # The restricted stub's row is only its reference, a "Restricted" tag and the lead agency.
    row = re.search(r"<tr[^>]*>\s*<td[^>]*><a[^>]*>ASB-2025-00005</a>.*?</tr>", response.text, re.S).group(0)
    assert "Perpetrator" not in row and "Chatteris" not in row and "Open" not in row
    assert "Cambridgeshire Constabulary" in row


def test_a_row_in_full_shows_its_details_with_the_title_escaped(client_as, caselist):
    member = caselist.member
    make_case(
        lead_agency=caselist.council,
        opened_by=member,
        reference="ASB-2025-00009",
        title="<b>Noise</b> & threats",
        town="Wisbech",
        case_type=CaseType.VICTIM,
        restricted=True,
        opened_at=datetime(2025, 3, 30, 23, 30, tzinfo=UTC),  # 31 March in London (BST)
    )
    response = client_as(member).get("/cases")
    row = re.search(r"<tr[^>]*>\s*<td[^>]*><a[^>]*>ASB-2025-00009</a>.*?</tr>", response.text, re.S).group(0)
    assert '<a class="govuk-link" href="/cases/ASB-2025-00009">ASB-2025-00009</a>' in row
    assert "&lt;b&gt;Noise&lt;/b&gt; &amp; threats" in row and "<b>" not in row
    assert re.search(r"threats <strong class=\"govuk-tag govuk-tag--red\">\s*Restricted\s*</strong>", row)
    cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells[2:] == ["Victim", "Fenland District Council", "Wisbech", "Open", "31 March 2025"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=closed", ["ASB-2025-00002"]),
        ("status=open", ["ASB-2025-00001", "ASB-2025-00003"]),
        ("case_type=place", ["ASB-2025-00002"]),
        ("town=Wisbech", ["ASB-2025-00001"]),
        ("text=orchard", ["ASB-2025-00001"]),
        ("text=asb-2025-00002", ["ASB-2025-00002"]),
        ("lead_agency={police}", ["ASB-2025-00003"]),
        ("status=open&case_type=perpetrator", ["ASB-2025-00003"]),
    ],
)
def test_filters_narrow_my_cases(client_as, caselist, query, expected):
    response = filtered(client_as(caselist.member), query.format(police=caselist.police.id))
    assert sorted(listed(response)) == expected
    assert PROBLEM not in response.text


def test_filtering_by_lead_agency_finds_the_stubs_it_leads(client_as, caselist):
    response = client_as(caselist.member).get(f"/cases?scope=all&lead_agency={caselist.police.id}")
    assert sorted(listed(response)) == ["ASB-2025-00003", "ASB-2025-00004", "ASB-2025-00005"]


def test_a_stubs_reference_can_be_searched_for(client_as, caselist):
    response = filtered(client_as(caselist.member), "scope=all&text=ASB-2025-00004")
    assert listed(response) == ["ASB-2025-00004"]


@pytest.mark.parametrize(
    "query",
    [
        "text=allotments",  # the stub's title
        "text=domestic",  # the restricted stub's title
        "status=closed",  # the stub is closed
        "status=open",  # the restricted stub is open
        "town=Chatteris",  # both stubs are in Chatteris (a town the member knows from her own case)
    ],
)
def test_filters_cannot_reveal_what_a_stub_hides(client_as, caselist, query):
    response = filtered(client_as(caselist.member), "scope=all&" + query)
    shown = listed(response)
    assert "ASB-2025-00004" not in shown
    assert "ASB-2025-00005" not in shown
    assert PROBLEM not in response.text  # the filter was applied, not ignored


def test_the_type_filter_matches_ordinary_stubs_but_never_restricted_ones(client_as, caselist):
    client = client_as(caselist.member)
    assert sorted(listed(client.get("/cases?scope=all&case_type=perpetrator"))) == ["ASB-2025-00003"]
    assert listed(client.get("/cases?scope=all&case_type=family")) == ["ASB-2025-00004"]


def test_sorting_by_type_does_not_place_a_restricted_stub_among_its_type(client_as, caselist):
    """Ordering by a hidden value would reveal it: a restricted stub sorts as if it had no type."""
    client = client_as(caselist.member)
    ascending = listed(client.get("/cases?scope=all&sort=type-asc"))
    descending = listed(client.get("/cases?scope=all&sort=type-desc"))
    assert ascending[0] == "ASB-2025-00005"
    assert descending[-1] == "ASB-2025-00005"


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("opened-desc", ["00003", "00005", "00001", "00004", "00002"]),
        ("opened-asc", ["00002", "00004", "00001", "00005", "00003"]),
        ("reference-asc", ["00001", "00002", "00003", "00004", "00005"]),
        ("reference-desc", ["00005", "00004", "00003", "00002", "00001"]),
        # family < perpetrator < place < victim; equal keys newest id first.
        ("type-asc", ["00004", "00005", "00003", "00002", "00001"]),
        ("type-desc", ["00001", "00002", "00005", "00003", "00004"]),
        # Cambridgeshire Constabulary before Fenland District Council.
        ("lead-agency-asc", ["00005", "00004", "00003", "00002", "00001"]),
        ("lead-agency-desc", ["00002", "00001", "00005", "00004", "00003"]),
    ],
)
def test_sorting(client_as, caselist, sort, expected):
    manager = make_user(role=Role.MANAGER, agency=caselist.council)
    response = client_as(manager).get(f"/cases?sort={sort}")
    assert listed(response) == [f"ASB-2025-{number}" for number in expected]
    assert f'value="{sort}" selected' in response.text


def test_pagination_follows_the_configured_page_size(app, client_as, caselist, monkeypatch):
    monkeypatch.setitem(app.config, "CASES_PER_PAGE", 2)
    client = client_as(make_user(role=Role.MANAGER, agency=caselist.council))
    pages = [listed(client.get(f"/cases?sort=reference-asc&page={n}")) for n in (1, 2, 3)]
    assert pages == [["ASB-2025-00001", "ASB-2025-00002"], ["ASB-2025-00003", "ASB-2025-00004"], ["ASB-2025-00005"]]
    first = client.get("/cases?sort=reference-asc")
    assert "5 cases<" in first.text
    # The next page's link keeps the filters, and starts after the page's last row.
    following = re.search(r'href="(/cases\?[^"]*after=[^"]*)" rel="next"', first.text).group(1).replace("&amp;", "&")
    assert "sort=reference-asc" in following and "page=" not in following
    assert listed(client.get(following)) == ["ASB-2025-00003", "ASB-2025-00004"]
    # A page past the end shows the last page; a page that is not a number shows the first.
    assert listed(client.get("/cases?sort=reference-asc&page=99")) == ["ASB-2025-00005"]
    assert listed(client.get("/cases?sort=reference-asc&page=abc")) == ["ASB-2025-00001", "ASB-2025-00002"]


@pytest.mark.parametrize("role", [Role.PARTNER, Role.LICENSING_OFFICER])
def test_partners_and_licensing_officers_see_only_their_agencys_cases(client_as, caselist, role):
    user = make_user(role=role, agency=caselist.voluntary)
    for query in ("", "?scope=all"):
        response = client_as(user).get("/cases" + query)
        assert listed(response) == ["ASB-2025-00003"]
        assert "Limited view" not in response.text


@pytest.mark.parametrize("role", [Role.MANAGER, Role.ADMIN])
def test_managers_and_admins_see_every_case_in_full(client_as, caselist, role):
    response = client_as(make_user(role=role, agency=make_agency())).get("/cases")
    assert sorted(listed(response)) == [f"ASB-2025-0000{n}" for n in range(1, 6)]
    assert "Hidden domestic abuse" in response.text
    assert "Limited view" not in response.text


def test_analysts_cannot_see_the_case_list(client_as, caselist):
    response = client_as(make_user(role=Role.ANALYST, agency=caselist.council)).get("/cases")
    assert response.status_code == 403


@pytest.mark.parametrize(
    "query",
    [
        "lead_agency=999999",
        "lead_agency=abc",
        "status=bogus",
        "case_type=bogus",
        "scope=bogus",
        "sort=bogus",
        "town=Nowhere",
        "page=abc",
        "page=-3",
        "page=99999999999999999999999",
        "text=" + "x" * 101,
    ],
)
def test_invalid_filter_values_are_ignored_not_errors(client_as, caselist, query):
    response = client_as(caselist.member).get("/cases?" + query)
    assert response.status_code == 200
    # An ignored filter never widens the list beyond the user's own cases.
    assert sorted(listed(response)) == ["ASB-2025-00001", "ASB-2025-00002", "ASB-2025-00003"]


# --- Opening a case ----------------------------------------------------------------


@pytest.fixture
def opener(session):
    council = make_agency(name="Fenland District Council")
    police = make_agency(name="Cambridgeshire Constabulary")
    return SimpleNamespace(council=council, police=police, member=make_user(agency=council))


def test_opening_a_case_gives_it_the_next_reference_and_involves_both_agencies(client_as, opener):
    client = client_as(opener.member)
    first = client.post("/cases/new", data=open_form(lead_agency_id=opener.police.id))
    second = client.post("/cases/new", data=open_form(lead_agency_id=opener.council.id, title="Second case"))

    references = [first.location.rsplit("/", 1)[1], second.location.rsplit("/", 1)[1]]
    year = utcnow().year
    for reference in references:
        assert re.fullmatch(rf"ASB-{year}-\d{{5}}", reference)
    assert int(references[1][-5:]) == int(references[0][-5:]) + 1

    case = db.session.scalar(select(Case).where(Case.reference == references[0]))
    assert case.title == "Youths gathering on the green"
    assert case.lead_agency_id == opener.police.id
    assert case.opened_by_id == opener.member.id
    involved = set(db.session.scalars(select(CaseAgency.agency_id).where(CaseAgency.case_id == case.id)))
    assert involved == {opener.police.id, opener.council.id}
    [event] = audit_events("case.opened", case_id=case.id)
    assert event.actor_id == opener.member.id
    assert event.detail["reference"] == case.reference

    page = client.get(first.location)
    assert "Youths gathering on the green" in page.text
    assert f"Case {references[0]} opened." in page.text


@pytest.mark.parametrize("role", [Role.PARTNER, Role.LICENSING_OFFICER, Role.MANAGER, Role.ANALYST, Role.ADMIN])
def test_roles_that_cannot_open_cases_are_refused(client_as, opener, role):
    client = client_as(make_user(role=role, agency=opener.council))
    assert client.get("/cases/new").status_code == 403
    assert client.post("/cases/new", data=open_form(lead_agency_id=opener.council.id)).status_code == 403
    assert count(Case) == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": ""}, "Enter a title"),
        ({"title": "T" * 201}, "Title must be 200 characters or fewer"),
        ({"lead_agency_id": "999999"}, 'href="#lead_agency_id"'),
        ({"lead_agency_id": "abc"}, 'href="#lead_agency_id"'),
        ({"lead_agency_id": ""}, "Select the lead agency"),
        ({"case_type": "bogus"}, 'href="#case_type"'),
    ],
)
def test_bad_input_when_opening_a_case_is_shown_and_nothing_is_saved(client_as, opener, changes, message):
    form = open_form(lead_agency_id=opener.council.id, title="Typed by the officer")
    form.update(changes)
    response = client_as(opener.member).post("/cases/new", data=form)
    assert response.status_code == 400
    assert PROBLEM in response.text
    assert message in response.text
    assert f'value="{form["title"]}"' in response.text or form["title"] == ""
    assert "Reported by three residents." in response.text
    assert count(Case) == 0
    assert count(AuditEvent) == 0


# --- The case page -----------------------------------------------------------------


@pytest.fixture
def casepage(session):
    """A victim case led by the council, with the police involved and one person per role."""
    council = make_agency(name="Fenland District Council")
    police = make_agency(name="Cambridgeshire Constabulary")
    housing = make_agency(name="Roddons Housing")
    member = make_user(agency=council, name="Priya Member")
    case = make_case(
        lead_agency=council,
        opened_by=member,
        involved=[police],
        title="Noise and threats at Orchard Road",
        case_type=CaseType.VICTIM,
    )
    people = {}
    for number, role in enumerate(PartyRole, start=1):
        person = make_person(
            created_by=member,
            first_name=f"{role.value.title()}",
            last_name="Person",
            phone=f"07700 90{number:04d}",
            address=f"{number} Sentinel Street",
            postcode=f"PE1{number} 1AA",
        )
        add_party(case=case, person=person, role=role)
        people[role] = person
    make_note(case=case, author=member, body="First visit to the victim.")
    make_note(case=case, author=member, body="Second visit, threats repeated.", kind=NoteKind.INCIDENT)
    return SimpleNamespace(
        council=council,
        police=police,
        housing=housing,
        member=member,
        case=case,
        people=people,
        reference=case.reference,  # still readable after a refused request has rolled the session back
    )


def test_the_full_case_page_shows_people_by_role_agencies_and_the_timeline(client_as, casepage):
    response = client_as(casepage.member).get(f"/cases/{casepage.case.reference}")
    html = response.text
    assert response.status_code == 200
    assert "Noise and threats at Orchard Road" in html
    assert "Summary of the case." in html
    headings = re.findall(r'<h3 class="govuk-heading-s">([^<]+)</h3>', html)
    assert [h for h in headings if h != "Summary"] == [role.plural for role in PartyRole]
    for role, person in casepage.people.items():
        section = html.split(f">{role.plural}</h3>", 1)[1].split("</table>", 1)[0]
        assert person.full_name in section
        assert person.phone in section
    assert "Fenland District Council <strong>(lead)</strong>" in html
    assert "Cambridgeshire Constabulary" in html
    assert 'class="moj-timeline"' in html
    assert html.index("Second visit, threats repeated.") < html.index("First visit to the victim.")
    assert "by Priya Member" in html


def test_party_headings_are_proper_plurals(client_as, casepage):
    html = client_as(casepage.member).get(f"/cases/{casepage.case.reference}").text
    for heading in ("Victims", "Perpetrators", "Witnesses", "Complainants", "Family members"):
        assert f">{heading}</h3>" in html


def test_viewing_a_case_is_audited(client_as, casepage):
    client_as(casepage.member).get(f"/cases/{casepage.case.reference}")
    [event] = audit_events("case.viewed", case_id=casepage.case.id)
    assert event.actor_id == casepage.member.id
    assert event.detail == {"view": "full"}


def test_a_psg_member_of_another_agency_sees_only_the_stub(client_as, casepage):
    outsider = make_user(agency=casepage.housing)
    response = client_as(outsider).get(f"/cases/{casepage.case.reference}")
    html = response.text
    assert response.status_code == 200
    assert "Limited view" in html
    assert casepage.case.reference in html
    assert "Victim" in html  # the case type
    assert casepage.people[PartyRole.VICTIM].full_name in html  # the subject
    assert "Fenland District Council" in html and "Cambridgeshire Constabulary" in html
    assert "Ask for access" in html
    for hidden in ("Noise and threats at Orchard Road", "Summary of the case.", "visit", "Sentinel Street", "07700 90"):
        assert hidden not in html
    assert casepage.people[PartyRole.PERPETRATOR].full_name not in html
    [event] = audit_events("case.viewed", case_id=casepage.case.id)
    assert event.detail == {"view": "stub"}


def test_a_restricted_stub_shows_only_the_reference_and_lead_agency(client_as, casepage):
    casepage.case.restricted = True
    casepage.case.case_type = CaseType.PERPETRATOR
    db.session.commit()
    response = client_as(make_user(agency=casepage.housing)).get(f"/cases/{casepage.case.reference}")
    html = response.text
    assert response.status_code == 200
    assert "Restricted" in html
    assert casepage.case.reference in html
    assert "Fenland District Council" in html
    for hidden in ("Perpetrator", "Person", "Cambridgeshire Constabulary", "Noise and threats", casepage.member.name):
        assert hidden not in html


def test_a_partner_sees_the_case_without_victims_and_witnesses_contact_details(client_as, casepage):
    partner = make_user(role=Role.PARTNER, agency=casepage.police)
    response = client_as(partner).get(f"/cases/{casepage.case.reference}")
    html = response.text
    assert response.status_code == 200
    assert "Noise and threats at Orchard Road" in html
    for role in (PartyRole.VICTIM, PartyRole.WITNESS):
        person = casepage.people[role]
        assert person.full_name in html
        assert person.phone not in html
        assert person.address not in html
        assert "17 May 1980" not in html.split(f">{role.plural}</h3>", 1)[1].split("</table>", 1)[0]
    perpetrator = casepage.people[PartyRole.PERPETRATOR]
    assert perpetrator.phone in html
    assert perpetrator.address in html
    assert "Redacted" in html


def test_a_perpetrator_who_is_a_victim_elsewhere_is_redacted_for_partners(client_as, casepage):
    perpetrator = casepage.people[PartyRole.PERPETRATOR]
    elsewhere = make_case(lead_agency=casepage.housing)
    add_party(case=elsewhere, person=perpetrator, role=PartyRole.VICTIM)
    partner = make_user(role=Role.PARTNER, agency=casepage.police)
    html = client_as(partner).get(f"/cases/{casepage.case.reference}").text
    assert perpetrator.full_name in html
    assert perpetrator.phone not in html


def test_a_lowercase_reference_redirects_to_the_canonical_one(client_as, casepage):
    response = client_as(casepage.member).get(f"/cases/{casepage.case.reference.lower()}")
    assert response.status_code == 302
    assert response.location == f"/cases/{casepage.case.reference}"


def test_an_unknown_reference_is_not_found(client_as, casepage):
    assert client_as(casepage.member).get("/cases/ASB-2025-99999").status_code == 404


# --- Notes -------------------------------------------------------------------------


def test_a_note_is_added_to_the_timeline_with_its_author(client_as, casepage):
    client = client_as(casepage.member)
    response = client.post(
        f"/cases/{casepage.case.reference}/notes", data={"kind": "contact", "body": "Phoned the victim at home."}
    )
    assert response.status_code == 302
    assert response.location == f"/cases/{casepage.case.reference}#timeline"
    note = db.session.scalar(select(Note).where(Note.body == "Phoned the victim at home."))
    assert note.kind is NoteKind.CONTACT
    assert note.author_id == casepage.member.id
    assert len(audit_events("note.added", case_id=casepage.case.id)) == 1
    html = client.get(response.location).text
    timeline = html.split('class="moj-timeline"', 1)[1]
    assert timeline.index("Phoned the victim at home.") < timeline.index("Second visit")
    assert "Contact" in timeline and "by Priya Member" in timeline


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"kind": "note", "body": ""}, "Enter the note"),
        ({"kind": "note", "body": "   "}, "Enter the note"),
        ({"kind": "note", "body": "N" * 10001}, "Note must be 10000 characters or fewer"),
        ({"kind": "status", "body": "Case closed: pretending to be the system"}, 'href="#kind"'),
        ({"kind": "bogus", "body": "An ordinary note"}, 'href="#kind"'),
    ],
)
def test_a_bad_note_is_refused_and_keeps_what_was_typed(client_as, casepage, form, message):
    notes_before = count(Note)
    response = client_as(casepage.member).post(f"/cases/{casepage.case.reference}/notes", data=form)
    assert response.status_code == 400
    assert PROBLEM in response.text
    assert message in response.text
    if form["body"].strip():
        assert form["body"] in response.text
    assert count(Note) == notes_before
    assert audit_events("note.added") == []


def test_partners_cannot_add_notes(client_as, casepage):
    partner = make_user(role=Role.PARTNER, agency=casepage.police)
    response = client_as(partner).post(
        f"/cases/{casepage.reference}/notes", data={"kind": "note", "body": "A partner's note"}
    )
    assert response.status_code == 403
    assert count(Note, Note.body == "A partner's note") == 0
    assert 'action="/cases/' not in client_as(partner).get(f"/cases/{casepage.reference}").text


# --- Editing -----------------------------------------------------------------------


def test_editing_a_case_saves_and_audits_the_changed_fields(client_as, casepage):
    client = client_as(casepage.member)
    page = client.get(f"/cases/{casepage.case.reference}/edit")
    assert f'name="version" type="hidden" value="{casepage.case.version}"' in page.text
    response = client.post(
        f"/cases/{casepage.case.reference}/edit",
        data=edit_form(casepage.case, title="Threats at Orchard Road", town="March"),
    )
    assert response.status_code == 302
    case = reload(casepage.case)
    assert (case.title, case.town) == ("Threats at Orchard Road", "March")
    [event] = audit_events("case.updated", case_id=case.id)
    assert set(event.detail) == {"title", "town"}
    assert event.detail["town"] == {"from": "Wisbech", "to": "March"}
    assert event.detail["title"] == "changed"  # free text stays out of the audit log


def test_a_stale_edit_keeps_both_changes_and_saves_only_when_sent_again(client_as, casepage):
    reference, version = casepage.case.reference, casepage.case.version
    stale = edit_form(casepage.case, title="Alice's title")
    other = make_user(agency=casepage.council)
    assert (
        client_as(other)
        .post(f"/cases/{reference}/edit", data=edit_form(casepage.case, title="Bob's title"))
        .status_code
        == 302
    )

    member = client_as(casepage.member)
    response = member.post(f"/cases/{reference}/edit", data=stale)
    assert response.status_code == 409
    assert "Someone else saved changes to this case after you opened it" in response.text
    assert "Bob&#39;s title" in response.text  # what is saved now
    assert 'value="Alice&#39;s title"' in response.text  # what this user typed, kept
    assert f'name="version" type="hidden" value="{version + 1}"' in response.text
    assert reload(casepage.case).title == "Bob's title"
    assert len(audit_events("case.updated")) == 1

    # Sending the form again, now against the current version, saves it.
    assert member.post(f"/cases/{reference}/edit", data={**stale, "version": str(version + 1)}).status_code == 302
    assert reload(casepage.case).title == "Alice's title"


@pytest.mark.parametrize("version", ["abc", "", None])
def test_a_tampered_version_is_refused(client_as, casepage, version):
    form = edit_form(casepage.case, title="Changed title")
    if version is None:
        del form["version"]
    else:
        form["version"] = version
    response = client_as(casepage.member).post(f"/cases/{casepage.case.reference}/edit", data=form)
    assert response.status_code == 400
    assert PROBLEM in response.text
    assert "Reload the page and try again" in response.text
    assert 'value="Changed title"' in response.text
    assert reload(casepage.case).title == "Noise and threats at Orchard Road"
    assert audit_events("case.updated") == []


def test_the_lead_officer_must_be_an_active_user_of_the_lead_agency(client_as, casepage):
    client = client_as(casepage.member)
    outsider = make_user(agency=casepage.police)
    leaver = make_user(agency=casepage.council, active=False)
    for officer_id in (999999, outsider.id, leaver.id, "abc"):
        response = client.post(
            f"/cases/{casepage.case.reference}/edit", data=edit_form(casepage.case, lead_officer_id=officer_id)
        )
        assert response.status_code == 400, officer_id
        assert PROBLEM in response.text
    assert reload(casepage.case).lead_officer_id == casepage.member.id
    colleague = make_user(agency=casepage.council, name="Colleague Officer")
    response = client.post(
        f"/cases/{casepage.case.reference}/edit", data=edit_form(casepage.case, lead_officer_id=colleague.id)
    )
    assert response.status_code == 302
    assert reload(casepage.case).lead_officer_id == colleague.id
    assert "Colleague Officer" in client.get(f"/cases/{casepage.case.reference}").text


# --- Closing and reopening ---------------------------------------------------------


def status_form(case: Case, reason: str = "Problem resolved after mediation.") -> dict[str, object]:
    return {"version": case.version, "reason": reason}


def test_closing_and_reopening_adds_status_notes_and_audit(client_as, casepage):
    client = client_as(casepage.member)
    reference = casepage.case.reference
    assert "Close case" in client.get(f"/cases/{reference}").text
    assert client.post(f"/cases/{reference}/close", data=status_form(casepage.case)).status_code == 302
    case = reload(casepage.case)
    assert case.status is CaseStatus.CLOSED and case.closed_at is not None
    assert len(audit_events("case.closed", case_id=case.id)) == 1

    page = client.get(f"/cases/{reference}").text
    assert "Case closed: Problem resolved after mediation." in page.split('class="moj-timeline"', 1)[1]
    assert "Reopen case" in page

    response = client.post(f"/cases/{reference}/reopen", data=status_form(case, "New reports from neighbours."))
    assert response.status_code == 302
    case = reload(case)
    assert case.status is CaseStatus.OPEN and case.closed_at is None
    assert len(audit_events("case.reopened", case_id=case.id)) == 1
    timeline = client.get(f"/cases/{reference}").text.split('class="moj-timeline"', 1)[1]
    assert timeline.index("Case reopened: New reports from neighbours.") < timeline.index("Case closed:")
    statuses = db.session.scalars(select(Note.kind).where(Note.case_id == case.id, Note.kind == NoteKind.STATUS))
    assert len(list(statuses)) == 2


def test_closing_a_closed_case_gets_the_conflict_page(client_as, casepage):
    client = client_as(casepage.member)
    client.post(f"/cases/{casepage.case.reference}/close", data=status_form(casepage.case))
    case = reload(casepage.case)
    form, case_id = status_form(case), case.id
    response = client.post(f"/cases/{casepage.reference}/close", data=form)
    assert response.status_code == 409
    assert "This case is already closed" in response.text
    assert len(audit_events("case.closed")) == 1
    assert db.session.get(Case, case_id).version == form["version"]


def test_reopening_an_open_case_gets_the_conflict_page(client_as, casepage):
    response = client_as(casepage.member).post(
        f"/cases/{casepage.case.reference}/reopen", data=status_form(casepage.case)
    )
    assert response.status_code == 409
    assert "This case is already open" in response.text
    assert audit_events("case.reopened") == []


def test_closing_needs_a_reason(client_as, casepage):
    response = client_as(casepage.member).post(
        f"/cases/{casepage.case.reference}/close", data=status_form(casepage.case, reason="")
    )
    assert response.status_code == 400
    assert PROBLEM in response.text and "Enter the reason" in response.text
    assert reload(casepage.case).status is CaseStatus.OPEN
    assert audit_events("case.closed") == []


@pytest.mark.both_databases  # the reason is also kept on the stopped clocks, in a column of its own length
def test_a_closing_reason_fits_on_the_stopped_clocks(client_as, casepage):
    client = client_as(casepage.member)
    reference = casepage.case.reference
    too_long = client.post(f"/cases/{reference}/close", data=status_form(casepage.case, "x" * 401))
    assert too_long.status_code == 400
    assert "Reason must be 400 characters or fewer" in too_long.text
    assert reload(casepage.case).status is CaseStatus.OPEN
    longest = client.post(f"/cases/{reference}/close", data=status_form(casepage.case, "x" * 400))
    assert longest.status_code == 302
    assert reload(casepage.case).status is CaseStatus.CLOSED


def test_an_involved_agency_that_does_not_lead_cannot_close(client_as, casepage):
    police_member = make_user(agency=casepage.police)
    client = client_as(police_member)
    assert client.get(f"/cases/{casepage.case.reference}").status_code == 200
    assert "Close case" not in client.get(f"/cases/{casepage.case.reference}").text
    assert client.get(f"/cases/{casepage.case.reference}/close").status_code == 403
    assert client.post(f"/cases/{casepage.case.reference}/close", data=status_form(casepage.case)).status_code == 403
    assert reload(casepage.case).status is CaseStatus.OPEN


def test_a_manager_can_close_any_case(client_as, casepage):
    manager = make_user(role=Role.MANAGER, agency=casepage.housing)
    response = client_as(manager).post(f"/cases/{casepage.case.reference}/close", data=status_form(casepage.case))
    assert response.status_code == 302
    assert reload(casepage.case).status is CaseStatus.CLOSED


# --- Adding agencies ---------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.PSG_CHAIR, Role.MANAGER])
def test_chairs_and_managers_add_an_agency_whose_members_then_see_the_case(client_as, casepage, role):
    adder = make_user(role=role, agency=casepage.police if role is Role.PSG_CHAIR else casepage.housing)
    housing_member = make_user(agency=casepage.housing)
    assert "Limited view" in client_as(housing_member).get(f"/cases/{casepage.case.reference}").text

    client = client_as(adder)
    form_page = client.get(f"/cases/{casepage.case.reference}/agencies/new").text
    assert "Roddons Housing" in form_page
    assert f'value="{casepage.police.id}"' not in form_page  # already involved: not offered
    response = client.post(
        f"/cases/{casepage.case.reference}/agencies/new",
        data={"agency_id": casepage.housing.id, "reason": "The victim is their tenant."},
    )
    assert response.status_code == 302
    assert count(CaseAgency, CaseAgency.case_id == casepage.case.id, CaseAgency.agency_id == casepage.housing.id) == 1
    [event] = audit_events("case.agency_added", case_id=casepage.case.id)
    assert event.detail == {"agency_id": casepage.housing.id, "reason": "The victim is their tenant."}

    html = client_as(housing_member).get(f"/cases/{casepage.case.reference}").text
    assert "Noise and threats at Orchard Road" in html
    assert "Limited view" not in html


def test_a_chair_of_an_agency_not_involved_cannot_add_agencies(client_as, casepage):
    chair = make_user(role=Role.PSG_CHAIR, agency=casepage.housing)
    housing_id = casepage.housing.id
    response = client_as(chair).post(
        f"/cases/{casepage.reference}/agencies/new", data={"agency_id": housing_id, "reason": "Our tenant."}
    )
    assert response.status_code == 404
    assert count(CaseAgency, CaseAgency.agency_id == housing_id) == 0


@pytest.mark.parametrize("agency", ["police", "999999", "abc", ""])
def test_adding_an_involved_or_unknown_agency_is_refused(client_as, casepage, agency):
    chair = make_user(role=Role.PSG_CHAIR, agency=casepage.council)
    agency_id = casepage.police.id if agency == "police" else agency
    before = count(CaseAgency)
    response = client_as(chair).post(
        f"/cases/{casepage.case.reference}/agencies/new", data={"agency_id": agency_id, "reason": "Our tenant."}
    )
    assert response.status_code == 400
    assert PROBLEM in response.text
    assert 'href="#agency_id"' in response.text
    assert count(CaseAgency) == before
    assert audit_events("case.agency_added") == []


# --- Asking for access -------------------------------------------------------------


def test_asking_for_access_is_recorded_and_shown_to_the_lead_agencys_chair(client_as, casepage):
    requester = make_user(agency=casepage.housing, name="Hana Housing")
    client = client_as(requester)
    assert "Ask for access" in client.get(f"/cases/{casepage.case.reference}/request-access").text
    response = client.post(
        f"/cases/{casepage.case.reference}/request-access", data={"reason": "The victim is our tenant."}
    )
    assert response.status_code == 302
    [event] = audit_events("case.access_requested", case_id=casepage.case.id)
    assert event.actor_id == requester.id
    assert event.detail["reason"] == "The victim is our tenant."

    chair = make_user(role=Role.PSG_CHAIR, agency=casepage.council)
    html = client_as(chair).get(f"/cases/{casepage.case.reference}").text
    assert "Requests for access" in html
    assert "Hana Housing, Roddons Housing" in html
    assert "The victim is our tenant." in html
    # Members see no requests: they cannot act on them.
    assert "Requests for access" not in client_as(casepage.member).get(f"/cases/{casepage.case.reference}").text

    # Once the agency is added the request is settled, and the requester sees the case.
    client_as(chair).post(
        f"/cases/{casepage.case.reference}/agencies/new",
        data={"agency_id": casepage.housing.id, "reason": "The victim is their tenant."},
    )
    assert "Requests for access" not in client_as(chair).get(f"/cases/{casepage.case.reference}").text
    assert "Noise and threats at Orchard Road" in client.get(f"/cases/{casepage.case.reference}").text


def test_asking_for_access_needs_a_reason(client_as, casepage):
    client = client_as(make_user(agency=casepage.housing))
    response = client.post(f"/cases/{casepage.case.reference}/request-access", data={"reason": ""})
    assert PROBLEM in response.text
    assert audit_events("case.access_requested") == []


def test_a_user_who_can_see_the_case_cannot_ask_for_access(client_as, casepage):
    response = client_as(casepage.member).post(
        f"/cases/{casepage.case.reference}/request-access", data={"reason": "Just because"}
    )
    assert response.status_code == 409
    assert "Your agency can already see this case" in response.text
    assert audit_events("case.access_requested") == []
