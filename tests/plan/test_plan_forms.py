"""The delivery plan's forms through HTTP: adding and editing priorities and actions,
quarterly progress updates, what bad input gets back, and stale edits."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from casework import db
from casework.audit.models import AuditEvent
from casework.clock import local_date, local_now, make_quarter, quarter_of, utcnow
from casework.dates import long_date
from casework.permissions import Role
from casework.plan import services as plan_service
from casework.plan.models import PlanAction, PlanMilestone, PlanUpdate, Priority
from casework.rag import Rag
from tests.factories import make_plan_action, make_priority, make_user


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def written() -> tuple[int, ...]:
    return tuple(count(model) for model in (Priority, PlanAction, PlanMilestone, PlanUpdate, AuditEvent))


@pytest.fixture
def chair(council):
    return make_user(role=Role.PSG_CHAIR, agency=council)


def refused(response, *messages: str) -> None:
    """The form again, with the error summary and each message, and the status 200."""
    assert response.status_code == 400
    assert "There is a problem" in response.text
    assert "<title>Error: " in response.text
    for message in messages:
        assert message in response.text, message


# --- Priorities ------------------------------------------------------------------------------


def test_adding_a_priority(client_as, chair):
    response = client_as(chair).post(
        "/plan/priorities/new",
        data={"number": "3", "title": "Reducing re-offending", "lead_officer": "Sam Lead", "year_targets": "IOM 20"},
    )
    assert response.status_code == 302 and response.location == "/plan#priority-3"
    saved = db.session.scalars(select(Priority)).one()
    assert (saved.number, saved.title, saved.lead_officer, saved.year_targets) == (
        3,
        "Reducing re-offending",
        "Sam Lead",
        "IOM 20",
    )
    assert db.session.scalars(select(AuditEvent.verb)).all() == ["plan.priority_saved"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"number": "1", "title": "Again"}, "Priority 1 already exists: choose another number"),
        ({"number": "", "title": "No number"}, "Enter the priority number"),
        ({"number": "one", "title": "Words"}, "Enter the priority number as a whole number, like 1"),
        ({"number": "-2", "title": "Negative"}, "Enter the priority number as a whole number, like 1"),
        ({"number": "0", "title": "Zero"}, "The priority number must be 1 or more"),
        ({"number": "4", "title": "  "}, "Enter the title of the priority"),
    ],
)
def test_bad_priorities_keep_what_was_typed_and_write_nothing(client_as, chair, priority, data, message):
    before = written()
    response = client_as(chair).post("/plan/priorities/new", data={**data, "lead_officer": "Kept Officer"})
    refused(response, message)
    assert 'value="Kept Officer"' in response.text
    assert written() == before


def test_editing_a_priority_shows_it_and_refuses_another_ones_number(client_as, chair, priority):
    other = make_priority(number=2, title="Intervention")
    client = client_as(chair)
    form = client.get(f"/plan/priorities/{other.id}/edit").text
    assert 'value="2"' in form and 'value="Intervention"' in form
    before = written()
    refused(
        client.post(f"/plan/priorities/{other.id}/edit", data={"number": "1", "title": "Renamed"}),
        "Priority 1 already exists",
    )
    assert written() == before
    saved = client.post(f"/plan/priorities/{other.id}/edit", data={"number": "2", "title": "Renamed"})
    assert saved.status_code == 302
    assert db.session.get(Priority, other.id).title == "Renamed"


@pytest.mark.parametrize("editing", [False, True])
def test_a_taken_number_is_shown_with_the_field_s_own_problems(client_as, chair, priority, editing):
    """The title too long (the form's check) and the number taken (the service's) come
    back together, with what was typed."""
    url = "/plan/priorities/new"
    if editing:
        url = f"/plan/priorities/{make_priority(number=2, title='Intervention').id}/edit"
    before = written()
    response = client_as(chair).post(url, data={"number": "1", "title": "T" * 201, "lead_officer": "Kept Officer"})
    refused(response, "Priority 1 already exists: choose another number", "must be 200 characters or fewer")
    assert 'value="Kept Officer"' in response.text
    assert written() == before


def test_editing_an_unknown_priority_is_404(client_as, chair):
    assert client_as(chair).get("/plan/priorities/999999/edit").status_code == 404


# --- Plan actions ----------------------------------------------------------------------------


def action_data(priority, lead, **changes) -> dict[str, object]:
    return {
        "priority_id": str(priority.id),
        "ref": "1.3.1",
        "kind": "prevention_and_intervention",
        "action": "Prevention & Intervention: reduce deliberate fires",
        "outcome": "Fewer fires",
        "project": "Arson reduction",
        "target": "10% fewer",
        "milestones": "30/06/2026 Launch (done)\n2026-12-31 Review",
        "lead_agency_id": str(lead.id),
        "status": "open",
        "improvement": "",
        **changes,
    }


def test_the_new_action_form_starts_on_the_priority_it_was_opened_from(client_as, chair, priority):
    other = make_priority(number=2)
    text = client_as(chair).get(f"/plan/actions/new?priority={other.id}").text
    assert f'<option value="{other.id}" selected>' in text
    assert f'<option value="{priority.id}">' in text
    assert client_as(chair).get("/plan/actions/new?priority=nonsense").status_code == 200


def test_without_priorities_the_new_action_page_says_to_add_one(client_as, chair):
    text = client_as(chair).get("/plan/actions/new").text
    assert (
        "the plan has none yet" in text
        and 'href="/plan/priorities/new"' in text
        and "<form" not in text.split("<main")[1]
    )


def test_adding_an_action_with_partners_and_milestones(client_as, chair, priority, council, police):
    client = client_as(chair)
    response = client.post(
        "/plan/actions/new", data={**action_data(priority, council), "partner_ids": [str(police.id)]}
    )
    saved = db.session.scalars(select(PlanAction)).one()
    assert response.status_code == 302 and response.location == f"/plan/actions/{saved.id}"
    full = plan_service.get_plan_action(chair, saved.id)
    assert (full.ref, full.kind.value, full.lead_agency.name, [a.name for a in full.partners]) == (
        "1.3.1",
        "prevention_and_intervention",
        "Fenland District Council",
        ["Cambridgeshire Constabulary"],
    )
    assert [(m.due_on, m.text, m.done) for m in full.milestones] == [
        (date(2026, 6, 30), "Launch", True),
        (date(2026, 12, 31), "Review", False),
    ]
    page = client.get(response.location).text
    assert "Action 1.3.1 added." in page and "31 December 2026" in page


@pytest.mark.parametrize(
    ("changes", "messages"),
    [
        ({"ref": "1..3"}, ["Enter the reference as numbers separated by full stops, like 1.3.1"]),
        ({"ref": "1.3.a"}, ["Enter the reference as numbers separated by full stops"]),
        ({"ref": ""}, ["Enter the reference, like 1.3.1"]),
        ({"ref": "1.3.7"}, ["Reference 1.3.7 is already used by another action"]),
        ({"ref": "2.1"}, ["An action under priority 1 has a reference starting 1, like 1.1"]),
        ({"action": ""}, ["Enter the action"]),
        ({"kind": ""}, ["Select the kind of action"]),
        ({"kind": "riot"}, ["Select the kind of action from the list"]),
        ({"lead_agency_id": ""}, ["Select the lead agency"]),
        ({"lead_agency_id": "999999"}, ["Select the lead agency from the list"]),
        ({"priority_id": ""}, ["Select the priority"]),
        ({"status": "finished"}, ["Select open, complete or closed"]),
        (
            {"ref": "1..3", "milestones": "30/06/2026 Launch\nLaunch day\n\n31/02/2026 Review"},
            [
                "Enter the reference as numbers separated by full stops",
                "Milestone line 2 must start with a date, like 30/06/2026 or 2026-06-30. "
                "Milestone line 4 has a date that does not exist.",
            ],
        ),
    ],
)
def test_bad_actions_keep_what_was_typed_and_write_nothing(client_as, chair, priority, council, changes, messages):
    make_plan_action(priority=priority, ref="1.3.7", lead_agency=council)
    before = written()
    response = client_as(chair).post("/plan/actions/new", data=action_data(priority, council, **changes))
    refused(response, *messages)
    assert 'value="Arson reduction"' in response.text
    if "action" not in changes:
        assert "Prevention &amp; Intervention: reduce deliberate fires</textarea>" in response.text
    if "milestones" in changes:
        assert "Launch day\n\n31/02/2026 Review</textarea>" in response.text
    assert written() == before


@pytest.mark.parametrize(
    ("changes", "messages"),
    [
        (
            {"ref": "1.3.7", "kind": ""},
            ["Reference 1.3.7 is already used by another action", "Select the kind of action"],
        ),
        (
            {"ref": "2.1", "milestones": "Launch day"},
            ["An action under priority 1 has a reference starting 1, like 1.1", "Milestone line 1 must start"],
        ),
        (
            {"partner_ids": "the lead agency", "status": "finished"},
            ["Fenland District Council leads this action: do not also", "Select open, complete or closed"],
        ),
    ],
)
@pytest.mark.parametrize("editing", [False, True])
def test_the_service_s_checks_are_shown_with_the_fields_own(
    client_as, chair, priority, council, police, changes, messages, editing
):
    make_plan_action(priority=priority, ref="1.3.7", lead_agency=council)
    url, data = "/plan/actions/new", action_data(priority, council, **changes)
    if "partner_ids" in data:  # the lead agency, as a partner too
        data["partner_ids"] = [str(council.id)]
    if editing:
        url = f"/plan/actions/{make_plan_action(priority=priority, ref='1.3.1', lead_agency=police).id}/edit"
        data["version"] = "1"
    before = written()
    response = client_as(chair).post(url, data=data)
    refused(response, *messages)
    assert 'value="Arson reduction"' in response.text
    assert written() == before


def test_the_lead_agency_cannot_also_be_a_partner(client_as, chair, priority, council):
    before = written()
    response = client_as(chair).post(
        "/plan/actions/new", data={**action_data(priority, council), "partner_ids": [str(council.id)]}
    )
    refused(response, "Fenland District Council leads this action: do not also select it as a partner")
    assert written() == before


def test_editing_an_action_starts_from_what_is_saved(client_as, chair, priority, council, police):
    existing = make_plan_action(
        priority=priority,
        ref="1.3.1",
        lead_agency=council,
        partners=(police,),
        milestones=((date(2026, 6, 30), "Launch", True),),
    )
    text = client_as(chair).get(f"/plan/actions/{existing.id}/edit").text
    assert 'value="1.3.1"' in text and 'name="version" type="hidden" value="1"' in text
    assert "30/06/2026 Launch (done)</textarea>" in text
    assert f'value="{police.id}" checked' in text


def test_editing_an_action(client_as, chair, priority, council, police):
    existing = make_plan_action(priority=priority, ref="1.3.1", lead_agency=council)
    response = client_as(chair).post(
        f"/plan/actions/{existing.id}/edit",
        data={**action_data(priority, police, ref="1.3.2", status="complete"), "version": "1"},
    )
    assert response.status_code == 302
    saved = db.session.get(PlanAction, existing.id)
    assert (saved.ref, saved.lead_agency_id, saved.status.value, saved.version) == ("1.3.2", police.id, "complete", 2)
    assert count(PlanMilestone) == 2


def test_a_stale_edit_is_a_conflict_that_keeps_the_input_and_shows_what_is_saved(client_as, chair, priority, council):
    existing = make_plan_action(priority=priority, ref="1.3.1", lead_agency=council, action="Original wording")
    client = client_as(chair)
    first = client.post(
        f"/plan/actions/{existing.id}/edit",
        data={**action_data(priority, council, action="The first editor's wording"), "version": "1"},
    )
    assert first.status_code == 302
    before = written()
    second = client.post(
        f"/plan/actions/{existing.id}/edit",
        data={**action_data(priority, council, action="My careful wording"), "version": "1"},
    )
    assert second.status_code == 409
    assert "Someone else changed this action after you opened this page" in second.text
    assert "My careful wording</textarea>" in second.text  # what this user typed
    assert "The first editor&#39;s wording" in second.text.split("Your changes")[0]  # what is saved now
    assert 'name="version" type="hidden" value="2"' in second.text  # sending again is checked against now
    assert written() == before
    again = client.post(
        f"/plan/actions/{existing.id}/edit",
        data={**action_data(priority, council, action="My careful wording"), "version": "2"},
    )
    assert again.status_code == 302
    assert db.session.get(PlanAction, existing.id).action == "My careful wording"


def test_a_tampered_version_is_refused(client_as, chair, priority, council):
    existing = make_plan_action(priority=priority, ref="1.3.1", lead_agency=council)
    response = client_as(chair).post(
        f"/plan/actions/{existing.id}/edit", data={**action_data(priority, council), "version": "x"}
    )
    refused(response, "The form was changed before it was sent")


# --- Progress updates ---------------------------------------------------------------------------


def current_quarter() -> str:
    return plan_service.quarter_name(quarter_of(local_now()))


def test_the_progress_form_defaults_to_the_current_quarter(client_as, chair, priority, council):
    existing = make_plan_action(priority=priority, ref="1.3.1", lead_agency=council)
    text = client_as(chair).get(f"/plan/actions/{existing.id}/progress").text
    assert f'<option value="{current_quarter()}" selected>' in text
    assert text.count("<option value=") == 4  # this quarter and the three before it


def test_recording_progress_keeps_history_and_sets_the_current_state(client_as, chair, priority, council):
    existing = make_plan_action(priority=priority, ref="1.3.1", lead_agency=council)
    client = client_as(chair)
    response = client.post(
        f"/plan/actions/{existing.id}/progress",
        data={
            "quarter": current_quarter(),
            "progress": "Two of four schemes launched",
            "rag": "amber",
            "rag_reason": "Funding late",
            "improvement": "Bid to the pooled fund",
            "version": "1",
        },
    )
    assert response.status_code == 302 and response.location == f"/plan/actions/{existing.id}"
    saved = db.session.get(PlanAction, existing.id)
    assert (saved.progress, saved.rag, saved.rag_reason, saved.improvement) == (
        "Two of four schemes launched",
        Rag.AMBER,
        "Funding late",
        "Bid to the pooled fund",
    )
    update = db.session.scalars(select(PlanUpdate)).one()
    assert (update.quarter, update.rag, update.author_id) == (current_quarter(), Rag.AMBER, chair.id)
    assert db.session.scalars(select(AuditEvent.verb)).all() == ["plan.progress_updated"]
    page = client.get(response.location).text
    assert f"{current_quarter()} update" in page and "Two of four schemes launched" in page
    assert "Bid to the pooled fund" in client.get("/plan/exceptions").text


@pytest.mark.parametrize(
    ("data", "messages"),
    [
        (
            {"rag": "amber"},
            ["Give the reason the action is amber", "Enter the action to improve performance: the action is amber"],
        ),
        ({"rag": "red", "rag_reason": "Stalled"}, ["Enter the action to improve performance: the action is red"]),
        ({"rag": "red", "improvement": "Escalate"}, ["Give the reason the action is red"]),
        ({"rag": ""}, ["Select red, amber or green"]),
        ({"rag": "purple"}, ["Select red, amber or green"]),
        ({"rag": "green", "progress": "  "}, ["Enter the progress narrative"]),
        ({"rag": "green", "quarter": "2031-32 Q1"}, ["Select the quarter from the list"]),
    ],
)
def test_bad_progress_updates_keep_what_was_typed_and_write_nothing(
    client_as, chair, priority, council, data, messages
):
    existing = make_plan_action(priority=priority, ref="1.3.1", lead_agency=council)
    before = written()
    response = client_as(chair).post(
        f"/plan/actions/{existing.id}/progress",
        data={"quarter": current_quarter(), "progress": "Kept narrative", "version": "1", **data},
    )
    refused(response, *messages)
    if "progress" not in data:
        assert "Kept narrative</textarea>" in response.text
    assert written() == before


def test_green_needs_no_reason(client_as, chair, priority, council):
    existing = make_plan_action(priority=priority, ref="1.3.1", lead_agency=council)
    response = client_as(chair).post(
        f"/plan/actions/{existing.id}/progress",
        data={"quarter": current_quarter(), "progress": "On track", "rag": "green", "version": "1"},
    )
    assert response.status_code == 302
    assert db.session.get(PlanAction, existing.id).rag is Rag.GREEN


def test_a_stale_progress_update_is_a_conflict_that_keeps_the_input(client_as, chair, priority, council):
    existing = make_plan_action(priority=priority, ref="1.3.1", lead_agency=council)
    plan_service.record_progress(
        chair,
        existing.id,
        version=1,
        quarter=current_quarter(),
        progress="Someone else's update",
        rag=Rag.RED,
        rag_reason="Stalled",
        improvement="Escalate",
    )
    db.session.commit()
    before = written()
    response = client_as(chair).post(
        f"/plan/actions/{existing.id}/progress",
        data={"quarter": current_quarter(), "progress": "My narrative", "rag": "green", "version": "1"},
    )
    assert response.status_code == 409
    assert "Someone else changed this action" in response.text
    assert "My narrative</textarea>" in response.text
    assert "Someone else&#39;s update" in response.text and "Stalled" in response.text
    assert 'name="version" type="hidden" value="2"' in response.text
    assert written() == before


# --- How far back a milestone may be ----------------------------------------------------------


def plan_floor_day() -> date:
    """31 days before the current financial year began."""
    return local_date(make_quarter(quarter_of(utcnow()).year, 1).start) - timedelta(days=31)


@pytest.mark.calendar
def test_a_milestone_before_the_plan_s_window_is_refused_with_the_form_s_other_problems(
    client_as, chair, priority, council
):
    first_day = plan_floor_day()
    too_early = first_day - timedelta(days=1)
    typed = f"{too_early:%d/%m/%Y} Launch (done)\n{first_day:%d/%m/%Y} Recruit"
    before = written()
    response = client_as(chair).post(
        "/plan/actions/new", data=action_data(priority, council, milestones=typed, action="")
    )
    refused(
        response,
        "Enter the action",
        f"Milestones must be dated on or after {long_date(first_day)}, 31 days before the current financial "
        f"year began: &#34;{too_early:%d/%m/%Y} Launch (done)&#34;",
    )
    assert written() == before


@pytest.mark.calendar
def test_a_milestone_saved_before_is_kept_when_the_action_is_edited(client_as, chair, priority, council):
    old = plan_floor_day() - timedelta(days=400)
    existing = make_plan_action(
        priority=priority, ref="1.3.1", lead_agency=council, milestones=((old, "Launch", True),)
    )
    kept = f"{old:%d/%m/%Y} Launch (done)"
    response = client_as(chair).post(
        f"/plan/actions/{existing.id}/edit",
        data={**action_data(priority, council, milestones=kept, target="12% fewer"), "version": "1"},
    )
    assert response.status_code == 302
    assert db.session.scalars(select(PlanMilestone.due_on)).all() == [old]
