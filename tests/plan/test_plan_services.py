"""The delivery plan services called directly: references and their order, milestone
lines, priorities and actions with their unique numbers and references, quarterly
progress with its RAG rules, stale edits, the exception report and the export."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from casework import clock, db
from casework.actions.models import Action, ActionStatus
from casework.actions.services import actions as action_service
from casework.audit.models import AuditEvent
from casework.clock import today
from casework.exceptions import EditConflict, InvalidInput, NotFound, PermissionDenied
from casework.permissions import Role
from casework.plan import services as plan
from casework.plan.models import (
    PlanAction,
    PlanActionKind,
    PlanActionStatus,
    PlanMilestone,
    PlanUpdate,
    Priority,
)
from casework.plan.services import Milestone, PlanActionDetails
from casework.rag import Rag
from tests.factories import make_agency, make_plan_action, make_priority, make_user

pytestmark = pytest.mark.both_databases

EDITORS = (Role.MANAGER, Role.PSG_CHAIR)
READERS_ONLY = (Role.PSG_MEMBER, Role.PARTNER, Role.LICENSING_OFFICER, Role.ADMIN)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def financial_year() -> int:
    """The year the current financial year began in: milestones are dated within it."""
    return clock.quarter_of(clock.utcnow()).year


def written() -> tuple[int, ...]:
    """Rows of the plan and audit events, to check a refusal wrote nothing."""
    return tuple(count(model) for model in (Priority, PlanAction, PlanMilestone, PlanUpdate, AuditEvent))


def audit_verbs() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.verb).order_by(AuditEvent.id)))


@pytest.fixture
def manager(council):
    return make_user(role=Role.MANAGER, agency=council)


def details(priority: Priority, lead, **changes) -> PlanActionDetails:
    values = {
        "priority_id": priority.id,
        "ref": "1.3.1",
        "kind": PlanActionKind.PREVENTION,
        "action": "Prevention: reduce deliberate fires",
        "outcome": "Fewer deliberate fires",
        "project": "Arson reduction",
        "target": "10% fewer than last year",
        "lead_agency_id": lead.id,
        "partner_ids": [],
        "milestones": [],
        "status": PlanActionStatus.OPEN,
        "improvement": "",
    }
    return PlanActionDetails(**{**values, **changes})


# --- References -------------------------------------------------------------------------


def test_references_sort_by_their_numbers_not_as_text():
    refs = ["1.3.10", "1.3.9", "2.1", "1.3.1", "1.10", "1.3", "1.2.11", "10.1", "1.3.2"]
    assert sorted(refs, key=plan.ref_key) == [
        "1.2.11",
        "1.3",
        "1.3.1",
        "1.3.2",
        "1.3.9",
        "1.3.10",
        "1.10",
        "2.1",
        "10.1",
    ]


def test_a_stored_reference_that_is_not_all_numbers_still_sorts():
    assert sorted(["1.3b", "1.3", "1.4"], key=plan.ref_key) == ["1.3", "1.4", "1.3b"]


@pytest.mark.parametrize(("typed", "stored"), [("1.3.1", "1.3.1"), (" 01.3.03 ", "1.3.3"), ("2", "2")])
def test_references_are_stored_without_leading_zeros(typed, stored):
    assert plan.canonical_ref(typed) == stored


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter the reference"),
        ("1..3", "numbers separated by full stops"),
        ("1.3.", "numbers separated by full stops"),
        (".1", "numbers separated by full stops"),
        ("1.3a", "numbers separated by full stops"),
        ("1. 3", "numbers separated by full stops"),
        ("1,3,1", "numbers separated by full stops"),
        ("١.٢", "numbers separated by full stops"),  # digits, but not the ones people type here
        ("1." * 11 + "1", "20 characters or fewer"),
    ],
)
def test_malformed_references_are_refused(typed, message):
    with pytest.raises(InvalidInput, match=message) as refused:
        plan.canonical_ref(typed)
    assert refused.value.field == "ref"


# --- Milestone lines ----------------------------------------------------------------------


@pytest.mark.calendar
def test_milestone_lines_in_either_date_format_sorted_by_date():
    text = "31/12/2026 Review the scheme\n\n2026-06-30 Launch the scheme (done)\n 1/9/2026 - Recruit volunteers \n"
    assert plan.parse_milestones(text) == [
        Milestone(date(2026, 6, 30), "Launch the scheme", True),
        Milestone(date(2026, 9, 1), "Recruit volunteers", False),
        Milestone(date(2026, 12, 31), "Review the scheme", False),
    ]


@pytest.mark.calendar
def test_milestones_read_back_as_they_are_typed():
    milestones = [Milestone(date(2026, 6, 30), "Launch the scheme", True)]
    assert plan.parse_milestones(milestones[0].line) == milestones
    assert milestones[0].line == "30/06/2026 Launch the scheme (done)"


@pytest.mark.calendar
def test_every_bad_milestone_line_is_reported_by_its_number():
    text = "\n".join(
        [
            "30/06/2026 Launch",  # 1: fine
            "Launch the scheme",  # 2: no date
            "31/02/2026 Review",  # 3: no such day
            "2026-07-01",  # 4: no milestone
            "",  # 5: blank, skipped
            "01/08/2026Recruit",  # 6: no space
            "01/09/2026 " + "x" * 201,  # 7: too long
        ]
    )
    with pytest.raises(InvalidInput) as refused:
        plan.parse_milestones(text)
    assert refused.value.field == "milestones"
    message = refused.value.message
    assert "line 1 " not in message and "line 5 " not in message
    assert "Milestone line 2 must start with a date, like 30/06/2026 or 2026-06-30." in message
    assert "Milestone line 3 has a date that does not exist." in message
    assert "Milestone line 4 needs the milestone after the date." in message
    assert "Milestone line 6 needs a space between the date and the milestone." in message
    assert "Milestone line 7 is too long" in message


# --- Reading ---------------------------------------------------------------------------------


def test_the_overview_has_priorities_by_number_and_actions_by_reference(council, manager):
    second, first = make_priority(number=2, title="Intervention"), make_priority(number=1, title="Prevention")
    for ref in ("1.3.10", "1.3.9", "1.3.1"):
        make_plan_action(priority=first, ref=ref, lead_agency=council)
    make_plan_action(priority=second, ref="2.3.1", lead_agency=council)
    overview = plan.plan_overview(manager)
    assert [entry.priority.number for entry in overview] == [1, 2]
    assert [action.ref for action in overview[0].actions] == ["1.3.1", "1.3.9", "1.3.10"]
    assert [action.lead_agency.name for action in overview[1].actions] == ["Fenland District Council"]


@pytest.mark.parametrize("role", [role for role in Role if role is not Role.ANALYST])
def test_everyone_but_analysts_reads_the_plan(role, priority, council):
    plan_action = make_plan_action(priority=priority, ref="1.3.1", lead_agency=council)
    reader = make_user(role=role)
    assert plan.plan_overview(reader)[0].priority.id == priority.id
    assert plan.plan_action_page(reader, plan_action.id, today=today()).plan_action.id == plan_action.id
    assert plan.exception_report(reader) == []


def test_analysts_read_nothing_of_the_plan(priority, council):
    plan_action = make_plan_action(priority=priority, ref="1.3.1", lead_agency=council)
    analyst = make_user(role=Role.ANALYST)
    for read in (
        lambda: plan.plan_overview(analyst),
        lambda: plan.plan_action_page(analyst, plan_action.id, today=today()),
        lambda: plan.exception_report(analyst),
        lambda: plan.export_rows(analyst),
    ):
        with pytest.raises(PermissionDenied):
            read()


def test_an_unknown_plan_action_is_not_found(manager):
    with pytest.raises(NotFound):
        plan.plan_action_page(manager, 999999, today=today())


@pytest.mark.calendar
def test_the_action_page_has_history_newest_first_and_linked_actions_with_their_rag(manager, priority, council, police):
    plan_action = make_plan_action(priority=priority, ref="1.3.1", lead_agency=council)
    for quarter, rag in (("2026-27 Q1", Rag.GREEN), ("2026-27 Q2", Rag.AMBER)):
        plan.record_progress(
            manager,
            plan_action.id,
            version=plan_action.version,
            quarter=quarter,
            progress=f"Progress {quarter}",
            rag=rag,
            rag_reason="Funding late" if rag is Rag.AMBER else "",
            improvement="Bid again",
        )
    today = clock.today()  # plan actions are due from a little before the financial year
    for days, title in ((-1, "Overdue"), (3, "Due soon"), (30, "Later")):
        action_service.create_action(
            manager,
            action_service.Subject(plan_action_id=plan_action.id),
            title=title,
            detail="",
            assigned_agency_id=police.id,
            assignee_id=None,
            due_on=today + timedelta(days=days),
        )
    db.session.commit()
    page = plan.plan_action_page(manager, plan_action.id, today=today)
    assert [update.quarter for update in page.history] == ["2026-27 Q2", "2026-27 Q1"]
    assert [(linked.action.title, linked.rag) for linked in page.linked] == [
        ("Overdue", Rag.RED),
        ("Due soon", Rag.AMBER),
        ("Later", Rag.GREEN),
    ]


@pytest.mark.calendar
def test_the_exception_report_lists_open_amber_and_red_actions_in_reference_order(manager, priority, council):
    second = make_priority(number=2)
    make_plan_action(priority=second, ref="2.3.1", lead_agency=council, rag=Rag.RED, rag_reason="Stalled")
    make_plan_action(priority=priority, ref="1.3.10", lead_agency=council, rag=Rag.AMBER, rag_reason="Late")
    make_plan_action(priority=priority, ref="1.3.9", lead_agency=council, rag=Rag.RED, rag_reason="No lead")
    make_plan_action(priority=priority, ref="1.3.2", lead_agency=council, rag=Rag.GREEN)
    make_plan_action(priority=priority, ref="1.3.3", lead_agency=council)
    make_plan_action(
        priority=priority, ref="1.3.4", lead_agency=council, rag=Rag.AMBER, status=PlanActionStatus.COMPLETE
    )
    assert [action.ref for action in plan.exception_report(manager)] == ["1.3.9", "1.3.10", "2.3.1"]


# --- Priorities -------------------------------------------------------------------------------


def test_a_manager_adds_and_edits_a_priority_audited(manager):
    priority = plan.create_priority(
        manager, number=3, title=" Reducing re-offending ", lead_officer="Sam Lead", year_targets=""
    )
    plan.edit_priority(
        manager, priority.id, number=3, title="Reducing reoffending", lead_officer="Sam Lead", year_targets="5%"
    )
    db.session.commit()
    saved = db.session.get(Priority, priority.id)
    assert (saved.number, saved.title, saved.year_targets) == (3, "Reducing reoffending", "5%")
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.verb == "plan.priority_saved").order_by(AuditEvent.id)
    ).all()
    assert [event.detail for event in events] == [
        {"number": 3, "created": True},
        {"number": 3, "changed": ["title", "year_targets"]},
    ]


def test_a_priority_number_is_unique(manager, priority):
    other = make_priority(number=2)
    before = written()
    with pytest.raises(InvalidInput, match="Priority 1 already exists") as refused:
        plan.create_priority(manager, number=1, title="Again", lead_officer="", year_targets="")
    assert refused.value.field == "number"
    with pytest.raises(InvalidInput, match="Priority 1 already exists"):
        plan.edit_priority(manager, other.id, number=1, title="Again", lead_officer="", year_targets="")
    plan.edit_priority(manager, priority.id, number=1, title=priority.title, lead_officer="", year_targets="")
    assert written() == before  # keeping its own number is no change at all


@pytest.mark.parametrize("role", READERS_ONLY + (Role.ANALYST,))
def test_only_managers_and_chairs_change_priorities(role, priority):
    user = make_user(role=role)
    with pytest.raises(PermissionDenied):
        plan.create_priority(user, number=5, title="Five", lead_officer="", year_targets="")
    with pytest.raises(PermissionDenied):
        plan.edit_priority(user, priority.id, number=1, title="Changed", lead_officer="", year_targets="")


# --- Plan actions -------------------------------------------------------------------------------


@pytest.mark.calendar
@pytest.mark.parametrize("role", EDITORS)
def test_managers_and_chairs_add_an_action_with_partners_and_milestones(role, priority, council, police):
    editor = make_user(role=role, agency=council)
    year = financial_year()
    milestones = [Milestone(date(year, 9, 1), "Recruit", False), Milestone(date(year, 6, 30), "Launch", True)]
    created = plan.create_plan_action(
        editor, details(priority, council, ref="01.3.1", partner_ids=[police.id], milestones=milestones)
    )
    db.session.commit()
    saved = plan.get_plan_action(editor, created.id)
    assert (saved.ref, saved.lead_agency.name, [a.name for a in saved.partners]) == (
        "1.3.1",
        "Fenland District Council",
        ["Cambridgeshire Constabulary"],
    )
    assert [(m.due_on, m.text, m.done) for m in saved.milestones] == [
        (date(year, 6, 30), "Launch", True),
        (date(year, 9, 1), "Recruit", False),
    ]
    assert (saved.rag, saved.progress, saved.version) == (None, "", 1)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "plan.action_saved")).one()
    assert event.detail == {"ref": "1.3.1", "created": True}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"ref": "1.3.1"}, "ref", "Reference 1.3.1 is already used by another action"),
        ({"ref": "1.03.01"}, "ref", "Reference 1.3.1 is already used by another action"),
        ({"ref": "2.3.1"}, "ref", "An action under priority 1 has a reference starting 1"),
        ({"ref": "1..1"}, "ref", "numbers separated by full stops"),
        ({"action": "   "}, "action", "Enter the action"),
        ({"priority_id": 999999}, "priority_id", "Select the priority"),
        ({"lead_agency_id": 999999}, "lead_agency_id", "Select the lead agency"),
        ({"partner_ids": [999999]}, "partner_ids", "Select partner agencies"),
    ],
)
def test_bad_actions_are_refused_and_write_nothing(manager, priority, council, changes, field, message):
    make_plan_action(priority=priority, ref="1.3.1", lead_agency=council)
    before = written()
    with pytest.raises(InvalidInput, match=message) as refused:
        plan.create_plan_action(manager, details(priority, council, **{"ref": "1.3.2", **changes}))
    assert refused.value.field == field
    assert written() == before


def test_the_lead_agency_is_not_also_a_partner(manager, priority, council):
    with pytest.raises(InvalidInput, match="Fenland District Council leads this action") as refused:
        plan.create_plan_action(manager, details(priority, council, partner_ids=[council.id]))
    assert refused.value.field == "partner_ids"


def test_an_inactive_agency_may_stay_but_not_be_newly_chosen(manager, priority, council):
    closed = make_agency(name="Old Trust", active=False)
    with pytest.raises(InvalidInput, match="Select partner agencies"):
        plan.create_plan_action(manager, details(priority, council, partner_ids=[closed.id]))
    kept = make_plan_action(priority=priority, ref="1.3.1", lead_agency=council, partners=(closed,))
    plan.edit_plan_action(
        manager, kept.id, details(priority, council, partner_ids=[closed.id], action="Changed"), version=1
    )
    assert [agency.name for agency in plan.get_plan_action(manager, kept.id).partners] == ["Old Trust"]


@pytest.mark.parametrize("role", READERS_ONLY)
def test_readers_may_not_add_or_edit_actions(role, priority, council):
    existing = make_plan_action(priority=priority, ref="1.3.1", lead_agency=council)
    user = make_user(role=role, agency=council)
    before = written()
    with pytest.raises(PermissionDenied):
        plan.create_plan_action(user, details(priority, council, ref="1.3.2"))
    with pytest.raises(PermissionDenied):
        plan.edit_plan_action(user, existing.id, details(priority, council, action="Changed"), version=1)
    with pytest.raises(PermissionDenied):
        plan.record_progress(
            user,
            existing.id,
            version=1,
            quarter="2026-27 Q1",
            progress="x",
            rag=Rag.GREEN,
            rag_reason="",
            improvement="",
        )
    assert written() == before


@pytest.mark.calendar
def test_editing_an_action_replaces_its_milestones_and_partners(manager, priority, council, police):
    year = financial_year()
    existing = make_plan_action(
        priority=priority, ref="1.3.1", lead_agency=council, milestones=((date(year, 5, 1), "Old", False),)
    )
    plan.edit_plan_action(
        manager,
        existing.id,
        details(
            priority,
            council,
            ref="1.3.2",
            partner_ids=[police.id],
            milestones=[Milestone(date(year, 7, 1), "New", False)],
            improvement="Monthly review",
        ),
        version=1,
    )
    db.session.commit()
    db.session.expunge_all()
    saved = plan.get_plan_action(manager, existing.id)
    assert (saved.ref, saved.improvement, saved.version) == ("1.3.2", "Monthly review", 2)
    assert [(m.text, m.due_on) for m in saved.milestones] == [("New", date(year, 7, 1))]
    assert [a.name for a in saved.partners] == ["Cambridgeshire Constabulary"]
    assert count(PlanMilestone) == 1
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "plan.action_saved")).one()
    assert event.detail == {
        "ref": "1.3.2",
        "changed": ["action", "improvement", "outcome", "project", "ref", "target", "partners", "milestones"],
    }


def test_saving_an_unchanged_action_writes_nothing(manager, priority, council):
    existing = plan.create_plan_action(
        manager, details(priority, council, milestones=[Milestone(date(2026, 7, 1), "M")])
    )
    db.session.commit()
    before = written()
    plan.edit_plan_action(
        manager, existing.id, details(priority, council, milestones=[Milestone(date(2026, 7, 1), "M")]), version=1
    )
    db.session.commit()
    assert written() == before and db.session.get(PlanAction, existing.id).version == 1


def test_a_stale_edit_is_refused_even_after_a_change_of_partners_only(manager, priority, council, police):
    existing = plan.create_plan_action(manager, details(priority, council))
    db.session.commit()
    plan.edit_plan_action(manager, existing.id, details(priority, council, partner_ids=[police.id]), version=1)
    db.session.commit()
    assert db.session.get(PlanAction, existing.id).version == 2
    before = written()
    with pytest.raises(EditConflict):
        plan.edit_plan_action(manager, existing.id, details(priority, council, action="Mine"), version=1)
    with pytest.raises(EditConflict):
        plan.record_progress(
            manager,
            existing.id,
            version=1,
            quarter="2026-27 Q1",
            progress="x",
            rag=Rag.GREEN,
            rag_reason="",
            improvement="",
        )
    assert written() == before


# --- Progress updates ---------------------------------------------------------------------------


@pytest.mark.calendar
def test_a_progress_update_is_kept_and_becomes_the_current_state(manager, priority, council):
    existing = make_plan_action(priority=priority, ref="1.3.1", lead_agency=council)
    update = plan.record_progress(
        manager,
        existing.id,
        version=1,
        quarter="2026-27 Q3",
        progress=" Two schemes launched ",
        rag=Rag.AMBER,
        rag_reason="Funding delayed",
        improvement="Apply to the pooled fund",
    )
    db.session.commit()
    saved = db.session.get(PlanAction, existing.id)
    assert (saved.progress, saved.rag, saved.rag_reason, saved.improvement, saved.version) == (
        "Two schemes launched",
        Rag.AMBER,
        "Funding delayed",
        "Apply to the pooled fund",
        2,
    )
    assert (update.quarter, update.rag, update.rag_reason, update.author_id) == (
        "2026-27 Q3",
        Rag.AMBER,
        "Funding delayed",
        manager.id,
    )
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "plan.progress_updated")).one()
    assert event.detail == {"ref": "1.3.1", "quarter": "2026-27 Q3", "rag": {"from": None, "to": "amber"}}


@pytest.mark.parametrize("rag", [Rag.AMBER, Rag.RED])
@pytest.mark.parametrize(
    ("reason", "improvement", "field"),
    [("", "Bid again", "rag_reason"), ("  ", "Bid again", "rag_reason"), ("Late", "", "improvement")],
)
def test_amber_and_red_need_a_reason_and_an_action_to_improve(
    manager, priority, council, rag, reason, improvement, field
):
    existing = make_plan_action(priority=priority, ref="1.3.1", lead_agency=council)
    before = written()
    with pytest.raises(InvalidInput) as refused:
        plan.record_progress(
            manager,
            existing.id,
            version=1,
            quarter="2026-27 Q3",
            progress="Some",
            rag=rag,
            rag_reason=reason,
            improvement=improvement,
        )
    assert refused.value.field == field
    assert written() == before


def test_a_progress_update_is_refused_with_every_problem_at_once(manager, priority, council):
    existing = make_plan_action(priority=priority, ref="1.3.1", lead_agency=council)
    with pytest.raises(InvalidInput) as refused:
        plan.record_progress(
            manager, existing.id, version=1, quarter="Q9", progress=" ", rag=Rag.RED, rag_reason="", improvement=""
        )
    assert [problem.field for problem in refused.value.problems] == ["quarter", "progress", "rag_reason", "improvement"]


def test_a_plan_action_is_refused_with_every_problem_at_once(manager, priority, council):
    make_plan_action(priority=priority, ref="1.3.7", lead_agency=council)
    with pytest.raises(InvalidInput) as refused:
        plan.create_plan_action(
            manager, details(priority, council, ref="1.3.7", action=" ", partner_ids=[council.id, 999999])
        )
    assert [problem.field for problem in refused.value.problems] == ["ref", "action", "partner_ids"]


def test_the_checks_of_a_plan_action_look_only_at_what_was_read(manager, priority, council):
    """None for a field the form could not read: only the others are checked."""
    make_plan_action(priority=priority, ref="1.3.7", lead_agency=council)
    plan.check_plan_action(
        manager, None, priority_id=None, ref=None, action=None, lead_agency_id=None, partner_ids=None
    )
    with pytest.raises(InvalidInput) as refused:
        plan.check_plan_action(
            manager, None, priority_id=None, ref="1.3.7", action=None, lead_agency_id=None, partner_ids=None
        )
    assert [problem.message for problem in refused.value.problems] == [
        "Reference 1.3.7 is already used by another action"
    ]


def test_a_priority_is_refused_with_every_problem_at_once(manager, priority):
    with pytest.raises(InvalidInput) as refused:
        plan.create_priority(manager, number=1, title=" ", lead_officer="", year_targets="")
    assert [problem.field for problem in refused.value.problems] == ["number", "title"]


def test_green_needs_neither_reason_nor_improvement(manager, priority, council):
    existing = make_plan_action(priority=priority, ref="1.3.1", lead_agency=council)
    plan.record_progress(
        manager,
        existing.id,
        version=1,
        quarter="2026-27 Q3",
        progress="On track",
        rag=Rag.GREEN,
        rag_reason="",
        improvement="",
    )
    assert db.session.get(PlanAction, existing.id).rag is Rag.GREEN


@pytest.mark.calendar
@pytest.mark.parametrize(
    ("quarter", "progress", "field"),
    [
        ("2026-Q3", "Some", "quarter"),
        ("2026-28 Q3", "Some", "quarter"),
        ("2026-27 Q5", "Some", "quarter"),
        ("2026-27 Q3", "   ", "progress"),
    ],
)
def test_a_progress_update_needs_a_quarter_and_a_narrative(manager, priority, council, quarter, progress, field):
    existing = make_plan_action(priority=priority, ref="1.3.1", lead_agency=council)
    before = written()
    with pytest.raises(InvalidInput) as refused:
        plan.record_progress(
            manager,
            existing.id,
            version=1,
            quarter=quarter,
            progress=progress,
            rag=Rag.GREEN,
            rag_reason="",
            improvement="",
        )
    assert refused.value.field == field
    assert written() == before


@pytest.mark.calendar
def test_quarter_names_are_financial_quarters():
    from casework.clock import make_quarter

    assert plan.quarter_name(make_quarter(2026, 3)) == "2026-27 Q3"
    assert plan.quarter_name(make_quarter(2099, 4)) == "2099-00 Q4"


# --- The export ---------------------------------------------------------------------------------


@pytest.mark.calendar
def test_the_export_has_every_action_in_plan_order_and_is_audited(manager, priority, council, police):
    make_plan_action(priority=make_priority(number=2, title="Intervention"), ref="2.1", lead_agency=police)
    make_plan_action(
        priority=priority,
        ref="1.3.10",
        lead_agency=council,
        partners=(police,),
        project="Arson",
        milestones=((date(2026, 6, 30), "Launch", True), (date(2026, 9, 1), "Review", False)),
        rag=Rag.AMBER,
        rag_reason="Late",
        improvement="Chase",
        progress="Started",
    )
    make_plan_action(priority=priority, ref="1.3.9", lead_agency=council)
    rows = plan.export_rows(manager)
    assert rows[0] == plan.EXPORT_HEADER
    assert [row[1] for row in rows[1:]] == ["1.3.9", "1.3.10", "2.1"]
    assert rows[2] == (
        "1. Prevention, awareness and education",
        "1.3.10",
        "Prevention",
        "Run a summer diversionary programme",
        "",
        "Arson",
        "",
        "30/06/2026 Launch (done); 01/09/2026 Review",
        "Fenland District Council",
        "Cambridgeshire Constabulary",
        "Started",
        "Amber",
        "Late",
        "Chase",
        "Open",
    )
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "plan.exported")).one()
    assert event.detail == {"rows": 3}


@pytest.mark.calendar
@pytest.mark.parametrize("role", [Role.PSG_MEMBER, Role.PARTNER, Role.LICENSING_OFFICER, Role.ANALYST])
def test_only_managers_chairs_and_admins_export(session, role):
    with pytest.raises(PermissionDenied):
        plan.export_rows(make_user(role=role))
    assert audit_verbs() == []


def test_linked_actions_are_the_ones_on_this_item_only(manager, priority, council, police):
    mine = make_plan_action(priority=priority, ref="1.3.1", lead_agency=council)
    other = make_plan_action(priority=priority, ref="1.3.2", lead_agency=council)
    for subject in (mine, other):
        action_service.create_action(
            manager,
            action_service.Subject(plan_action_id=subject.id),
            title=f"For {subject.ref}",
            detail="",
            assigned_agency_id=police.id,
            assignee_id=None,
            due_on=date(2026, 12, 1),
        )
    db.session.commit()
    page = plan.plan_action_page(manager, mine.id, today=date(2026, 11, 1))
    assert [linked.action.title for linked in page.linked] == ["For 1.3.1"]
    assert count(Action) == 2 and page.linked[0].action.status is ActionStatus.OPEN


def test_losing_a_race_for_a_number_gives_the_same_message_and_the_transaction_goes_on(manager, priority):
    """The check before saving cannot see a number another request takes at the same
    moment; the database refuses it, inside a savepoint, with the same message."""
    twin = Priority(number=priority.number, title="Twin")
    with pytest.raises(InvalidInput, match="Priority 1 already exists") as refused:
        plan._save_unique(lambda: db.session.add(twin), plan._number_taken(priority.number))
    assert refused.value.field == "number"
    plan.create_priority(manager, number=2, title="Still works", lead_officer="", year_targets="")
    db.session.commit()
    assert list(db.session.scalars(select(Priority.number).order_by(Priority.number))) == [1, 2]
