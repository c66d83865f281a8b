"""Field-level rules, checked on everything the app sends: a world seeded with unique
values in every personal field is crawled (every GET route with the world's ids, then
every same-site link found, CSV downloads included) as a partner and as an analyst.

- A partner never receives a victim's or witness's address, postcode, phone, e-mail or
  date of birth.
- An analyst never receives any personal field: no name, contact detail, note, referral
  text, nor even a link to a person.
A PSG member of the lead agency crawls the same world and does receive them, so the
crawl is shown to reach the pages where they would appear.
"""

import re
from collections import deque
from datetime import date, timedelta
from html import unescape
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from flask import url_for

from casework import db
from casework.cases.models import PartyRole
from casework.clock import utcnow
from casework.permissions import Role
from casework.web import PUBLIC_ENDPOINTS
from tests.factories import (
    add_party,
    make_action,
    make_agency,
    make_agenda_item,
    make_case,
    make_note,
    make_person,
    make_premises,
    make_psg_meeting,
    make_referral,
    make_user,
)
from tests.support.victims import CRITICAL, assess

pytestmark = pytest.mark.both_databases

MAX_PAGES = 400


def person(creator, tag: str, born: date, **extra: str):
    """A person whose every field holds a value found nowhere else."""
    made = make_person(
        created_by=creator,
        first_name=f"Xan{tag}ova",
        last_name=f"Quorlby{tag}",
        date_of_birth=born,
        address=f"{len(tag) + 11} Zindlewick {tag} Row",
        postcode=f"ZX{len(tag)} 9{tag[:2].upper()}",
        phone=f"07700 9{abs(hash(tag)) % 100000:05d}",
    )
    made.email = f"{tag.lower()}.quorlby@example.net"
    made.vulnerabilities = f"Vulnerability note {tag} Brackenthwaite"
    db.session.commit()
    return made


def dates_of(born: date) -> list[str]:
    return [born.isoformat(), f"{born.day} {born:%B %Y}", f"{born:%d/%m/%Y}"]


def contact_values(someone) -> list[str]:
    return [someone.address, someone.postcode, someone.phone, someone.email, *dates_of(someone.date_of_birth)]


@pytest.fixture
def world(session):
    council = make_agency(name="Fenland District Council")
    partners = make_agency(name="Clarion Housing Partnership")
    member = make_user(agency=council)
    chair = make_user(role=Role.PSG_CHAIR, agency=council)
    partner = make_user(role=Role.PARTNER, agency=partners)
    analyst = make_user(role=Role.ANALYST, agency=council)
    premises = make_premises()
    case = make_case(lead_agency=council, opened_by=member, involved=[partners], premises=premises)
    victim = person(member, "Vic", date(1971, 3, 14))
    witness = person(member, "Wit", date(1983, 8, 22))
    perpetrator = person(member, "Per", date(1990, 11, 5))
    victim_party = add_party(case=case, person=victim, role=PartyRole.VICTIM)
    add_party(case=case, person=witness, role=PartyRole.WITNESS)
    add_party(case=case, person=perpetrator, role=PartyRole.PERPETRATOR)
    note = make_note(case=case, author=member, body="Note text Gribblesworth visited on Tuesday")
    referral = make_referral(
        referrer=partner,
        first_name="Refhilda",
        last_name="Snorkelwane",
        date_of_birth=date(1966, 6, 16),
        address="88 Ploverdale Mews",
        postcode="ZR8 8RF",
        what_is_happening="Referral text Tamblethwaite shouts at the neighbours",
    )
    action = make_action(agency=partners, created_by=member, case=case, title="Ring the housing officer")
    meeting = make_psg_meeting(chair=chair)
    item = make_agenda_item(meeting=meeting, position=1, case=case, minutes="Minutes text Wobblecombe agreed")
    return SimpleNamespace(
        council=council,
        member=member,
        chair=chair,
        partner=partner,
        analyst=analyst,
        case=case,
        victim=victim,
        witness=witness,
        perpetrator=perpetrator,
        victim_party=victim_party,
        note=note,
        referral=referral,
        action=action,
        meeting=meeting,
        item=item,
        premises=premises,
        ids={
            "reference": case.reference,
            "person_id": victim.id,
            "party_id": victim_party.id,
            "action_id": action.id,
            "meeting_id": meeting.id,
            "item_id": item.id,
            "section": "high-risk",
            "premises_id": premises.id,
            "referral_id": referral.id,
        },
    )


def crawl(app, client, ids: dict[str, object]) -> dict[str, tuple[int, str]]:
    """Every GET route with the world's ids, then every same-site link found, GET only."""
    start = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint in PUBLIC_ENDPOINTS:
                continue
            if not set(rule.arguments) <= ids.keys():
                continue
            start.append(url_for(rule.endpoint, **{name: ids[name] for name in rule.arguments}))
    queue, seen, fetched = deque(start), set(start), {}
    while queue and len(fetched) < MAX_PAGES:
        url = queue.popleft()
        response = client.get(url)
        body = response.get_data(as_text=True)
        fetched[url] = (response.status_code, body + "\n" + response.headers.get("Location", ""))
        links = re.findall(r'href="(/[^"#]*)', body)
        if location := response.headers.get("Location"):
            links.append(location)
        for link in links:
            link = unescape(link)
            parts = urlsplit(link)
            if parts.netloc or not link.startswith("/") or link.startswith(("/static/", "//", "/sign-out")):
                continue
            if link not in seen:
                seen.add(link)
                queue.append(link)
    return fetched


def found(pages: dict[str, tuple[int, str]], values: list[str]) -> list[tuple[str, str]]:
    return [(value, url) for url, (_, body) in pages.items() for value in values if value.lower() in body.lower()]


def ok(pages) -> list[str]:
    return [url for url, (status, _) in pages.items() if status == 200]


@pytest.fixture
def assessed(world, client_as):
    """A risk assessment of the victim, made through the form (its answers describe her)."""
    response = assess(
        client_as(world.member),
        world.case.reference,
        world.victim.id,
        when=utcnow() - timedelta(minutes=5),
        answers=CRITICAL,
    )
    assert response.status_code == 302
    return world


def test_a_partner_never_receives_victims_or_witnesses_contact_details(app, client_as, assessed):
    world = assessed
    pages = crawl(app, client_as(world.partner), world.ids)
    shown = ok(pages)
    # The partner reached the case and the people on it: the redaction is what hides them.
    assert f"/cases/{world.case.reference}" in shown
    assert f"/people/{world.perpetrator.id}" in shown and f"/people/{world.victim.id}" in shown
    assert len(shown) >= 10, shown
    assert found(pages, [world.victim.first_name, world.witness.first_name])
    assert found(pages, [world.perpetrator.address])  # a perpetrator's details are not redacted
    assert found(pages, contact_values(world.victim) + contact_values(world.witness)) == []


def test_an_analyst_never_receives_any_personal_field(app, client_as, assessed):
    world = assessed
    pages = crawl(app, client_as(world.analyst), world.ids)
    shown = ok(pages)
    assert "/sla" in shown and "/premises/report" in shown, shown
    assert {
        "/figures/sla/export",
        "/figures/premises/export",
        "/figures/actions/export",
        "/figures/cases/export",
    } <= set(shown)
    assert len(shown) >= 7, shown
    personal = [
        value
        for someone in (world.victim, world.witness, world.perpetrator)
        for value in (someone.first_name, someone.last_name, someone.vulnerabilities, *contact_values(someone))
    ]
    personal += [
        world.case.title,
        world.case.reference,
        "Gribblesworth",
        "Refhilda",
        "Snorkelwane",
        "Ploverdale",
        "ZR8 8RF",
        "Tamblethwaite",
        "Wobblecombe",
        *dates_of(date(1966, 6, 16)),
    ]
    assert found(pages, personal) == []
    assert [url for url, (_, body) in pages.items() if re.search(r'href="/people/\d', body)] == []


def test_the_crawl_reaches_every_personal_field_for_a_member_of_the_lead_agency(app, client_as, assessed):
    """The same crawl as someone allowed to see it all finds every value: so the two tests
    above would see a leak if there were one."""
    world = assessed
    pages = crawl(app, client_as(world.member), world.ids)
    wanted = contact_values(world.victim)[:4] + contact_values(world.witness)[:4] + [world.victim.vulnerabilities]
    wanted += ["Gribblesworth", world.victim.first_name]
    missing = [value for value in wanted if not found(pages, [value])]
    assert missing == []
    assert any(found(pages, [value]) for value in dates_of(world.victim.date_of_birth))
    assert len(ok(pages)) >= 15
