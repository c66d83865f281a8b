"""An action's page (/actions/<id>): who sees it, its details and history, and the
assigned agency's update form with its refusals and the conflict of two saves."""

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from casework import db
from casework.actions.models import Action, ActionStatus, ActionUpdate
from casework.actions.services import actions
from casework.audit.models import AuditEvent
from casework.clock import today
from casework.permissions import Role
from tests.factories import make_action, make_agency, make_case, make_premises, make_user


def text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def error_summary(page: str) -> list[str]:
    summary = re.search(r'<div class="govuk-error-summary".*?</ul>', page, re.S)
    if summary is None:
        return []
    items = re.findall(r"<li>(.*?)</li>", summary.group(0), re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", item)).split()) for item in items]


def timeline_titles(page: str) -> list[str]:
    return [
        " ".join(html.unescape(t).split())
        for t in re.findall(r'<h3 class="moj-timeline__title">(.*?)</h3>', page, re.S)
    ]


def written() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(ActionUpdate)),
        db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.verb == "action.updated")),
    )


@pytest.fixture
def lead(council):
    return make_user(agency=council, name="Sam Officer")


@pytest.fixture
def case(council, police, lead):
    return make_case(lead_agency=council, opened_by=lead, involved=[police])


@pytest.fixture
def action(case, police, lead):
    return make_action(
        case=case, agency=police, created_by=lead, title="Visit the victim", due_on=today() + timedelta(days=3)
    )


def update_form(action: Action, **overrides) -> dict[str, str]:
    return {"status": "in_progress", "note": "Visit booked for Tuesday", "version": str(action.version), **overrides}


# --- Seeing the page --------------------------------------------------------------------------


def test_the_page_shows_the_action_its_subject_rag_and_history(client_as, action, police, case):
    officer = make_user(agency=police, name="PC Jones")
    actions.update_action(officer, action.id, version=1, status=ActionStatus.IN_PROGRESS, note="Booked")
    actions.update_action(officer, action.id, version=2, status=ActionStatus.IN_PROGRESS, note="Rearranged")
    db.session.commit()

    page = client_as(officer).get(f"/actions/{action.id}").text

    assert '<h1 class="govuk-heading-l">Visit the victim</h1>' in page
    assert re.search(r'govuk-tag--orange">\s*Due soon\s*<', page)
    assert f'<a class="govuk-link" href="/cases/{case.reference}">{case.reference}</a>' in page
    shown = text(page)
    assert "Assigned agency Cambridgeshire Constabulary" in shown
    assert "Created" in shown and "by Sam Officer, Fenland District Council" in shown
    assert timeline_titles(page) == ["Progress note", "Status changed from open to in progress", "Action created"]
    assert "Rearranged" in shown and "by PC Jones, Cambridgeshire Constabulary" in shown
    assert f'action="/actions/{action.id}/update"' in page


def test_a_done_action_shows_its_completion_and_no_rag(client_as, action, police):
    officer = make_user(agency=police)
    actions.update_action(officer, action.id, version=1, status=ActionStatus.DONE, note="Victim visited")
    db.session.commit()
    page = client_as(officer).get(f"/actions/{action.id}").text
    assert "Completion note Victim visited" in text(page)
    assert "govuk-tag--" not in page.split('<h2 class="govuk-heading-m" id="update">')[0].split("<main")[1]


@pytest.mark.parametrize(
    ("who", "status", "form_shown"),
    [
        ("member of the assigned agency", 200, True),
        ("partner of the assigned agency", 200, True),
        ("member of the lead agency", 200, False),
        ("manager", 200, False),
        ("admin", 200, False),
        ("member elsewhere", 404, False),
        ("partner elsewhere", 404, False),
        ("analyst of the assigned agency", 404, False),
    ],
)
def test_who_sees_the_action_and_who_may_update_it(client_as, action, council, police, who, status, form_shown):
    user = {
        "member of the assigned agency": lambda: make_user(agency=police),
        "partner of the assigned agency": lambda: make_user(role=Role.PARTNER, agency=police),
        "member of the lead agency": lambda: make_user(agency=council),
        "manager": lambda: make_user(role=Role.MANAGER, agency=make_agency()),
        "admin": lambda: make_user(role=Role.ADMIN, agency=make_agency()),
        "member elsewhere": lambda: make_user(agency=make_agency()),
        "partner elsewhere": lambda: make_user(role=Role.PARTNER, agency=make_agency()),
        "analyst of the assigned agency": lambda: make_user(role=Role.ANALYST, agency=police),
    }[who]()
    client = client_as(user)
    response = client.get(f"/actions/{action.id}")
    assert response.status_code == status
    assert ("Update this action" in response.text) is form_shown

    before = written()
    posted = client.post(f"/actions/{action.id}/update", data=update_form(action))
    assert posted.status_code == (302 if form_shown else 403 if status == 200 else 404)
    assert written() == ((before[0] + 1, before[1] + 1) if form_shown else before)


def test_an_action_that_does_not_exist_is_not_found(client_as, police):
    assert client_as(make_user(agency=police)).get("/actions/999999").status_code == 404


def test_a_premises_action_links_to_the_premises(client_as, council, police):
    chair = make_user(role=Role.PSG_CHAIR, agency=council)
    premises = make_premises(name="The Crown")
    action = make_action(premises=premises, agency=police, created_by=chair)
    page = client_as(make_user(role=Role.PARTNER, agency=police)).get(f"/actions/{action.id}").text
    assert f'<a class="govuk-link" href="/premises/{premises.id}">The Crown</a>' in page


# --- Updating ------------------------------------------------------------------------------------


def test_the_assigned_agency_moves_the_action_on(client_as, action, police):
    client = client_as(make_user(role=Role.PARTNER, agency=police))
    response = client.post(f"/actions/{action.id}/update", data=update_form(action))
    assert response.status_code == 302
    assert response.location == f"/actions/{action.id}"
    page = client.get(response.location).text
    assert "Action updated." in page
    assert timeline_titles(page)[0] == "Status changed from open to in progress"
    assert db.session.get(Action, action.id).status is ActionStatus.IN_PROGRESS


def test_marking_done_without_a_note_is_explained_and_nothing_is_written(client_as, action, police):
    response = client_as(make_user(agency=police)).post(
        f"/actions/{action.id}/update", data=update_form(action, status="done", note="")
    )
    assert response.status_code == 400
    assert error_summary(response.text) == ["Say what was done: add a completion note"]
    assert 'href="#note"' in response.text
    assert re.search(r'value="done"\s+checked|checked[^>]*value="done"', response.text)
    assert written() == (0, 0)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"status": "lost"}, "Select open, in progress, done or cancelled"),
        ({"status": ""}, "Select the status"),
        ({"status": "open", "note": ""}, "Change the status or add a progress note"),
        ({"version": "abc"}, "The form was changed before it was sent. Reload the page and try again."),
        ({"note": "x" * 5001}, "The note must be 5000 characters or fewer"),
    ],
)
def test_bad_updates_are_explained(client_as, action, police, overrides, message):
    response = client_as(make_user(agency=police)).post(
        f"/actions/{action.id}/update", data=update_form(action, **overrides)
    )
    assert response.status_code == 400
    assert error_summary(response.text) == [message]
    assert written() == (0, 0)


def test_a_stale_update_is_refused_with_what_was_typed_kept(client_as, action, police):
    first, second = make_user(agency=police), make_user(agency=police)
    stale = update_form(action, status="cancelled", note="No longer needed: the victim moved")
    assert client_as(first).post(f"/actions/{action.id}/update", data=update_form(action)).status_code == 302

    client = client_as(second)
    response = client.post(f"/actions/{action.id}/update", data=stale)
    assert response.status_code == 409
    assert error_summary(response.text) == [
        "Someone else updated this action after you opened this page. Nothing has been saved: check its "
        "current status and history below, then save your update again if it is still right."
    ]
    assert "No longer needed: the victim moved" in response.text
    assert "The action is now <strong>in progress</strong>" in response.text
    assert 'name="version" type="hidden" value="2"' in response.text
    assert db.session.get(Action, action.id).status is ActionStatus.IN_PROGRESS
    assert written() == (1, 1)

    again = client.post(f"/actions/{action.id}/update", data={**stale, "version": "2"})
    assert again.status_code == 302
    assert db.session.get(Action, action.id).status is ActionStatus.CANCELLED
