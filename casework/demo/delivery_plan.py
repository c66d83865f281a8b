"""The demo's delivery plan as the manager keeps it, through the plan pages' services.
Its text is in casework.demo.plan."""

from collections.abc import Sequence
from datetime import date, timedelta

from casework.clock import Quarter, local_date, recent_quarters
from casework.demo.past import recorded_at
from casework.demo.plan import PLAN, PRIORITIES, PlanRow
from casework.demo.shared import MANAGER, Work, weekday
from casework.plan import services as plan
from casework.plan.models import PlanActionStatus
from casework.plan.services import quarter_name


def load_plan(work: Work) -> None:
    """The plan as the manager keeps it, through the plan pages' services: written at the
    start of the oldest quarter reported on, a progress update for each quarter since,
    and its milestones and statuses brought up to date this week."""
    manager = work.staff[MANAGER]
    # The current quarter's update is not due yet: the updates are for the quarters before it.
    quarters = recent_quarters(work.now, count=4)[1:]
    with recorded_at(work.local(weekday(local_date(quarters[-1].start) + timedelta(days=7)), 10)):
        priorities = {
            number: plan.create_priority(
                manager, number=number, title=title, lead_officer=lead_officer, year_targets=targets
            ).id
            for number, title, lead_officer, targets in PRIORITIES
        }
        for row in PLAN:
            details = _plan_details(work, row, priorities[int(row.ref.split(".")[0])], up_to_date=False)
            work.plan[row.ref] = plan.create_plan_action(manager, details)
    for row in PLAN:
        _report_progress(work, row, quarters)
    with recorded_at(work.office_time(1)):
        for row in PLAN:
            plan_action = work.plan[row.ref]
            details = _plan_details(work, row, plan_action.priority_id, up_to_date=True)
            plan.edit_plan_action(manager, plan_action.id, details, version=plan_action.version)


def _plan_details(work: Work, row: PlanRow, priority_id: int, *, up_to_date: bool) -> plan.PlanActionDetails:
    """The action form as the manager fills it in: when the plan is written, every
    milestone is still to do; once ``up_to_date``, those past their date are done (unless
    they slipped) and a complete action has them all done."""
    year_start = work.today.year if work.today.month >= 4 else work.today.year - 1
    milestones = []
    for milestone in row.milestones:
        due = date(year_start + (milestone.month < 4), milestone.month, milestone.day)
        done = up_to_date and (row.status is PlanActionStatus.COMPLETE or (due < work.today and not milestone.slipped))
        milestones.append(plan.Milestone(due, milestone.text, done))
    return plan.PlanActionDetails(
        priority_id=priority_id, ref=row.ref, kind=row.kind, action=row.action, outcome=row.outcome,
        project=row.project, target=row.target, lead_agency_id=work.agency(row.lead).id,
        partner_ids=[work.agency(name).id for name in row.partners], milestones=milestones,
        status=row.status if up_to_date else PlanActionStatus.OPEN, improvement=row.improvement,
    )  # fmt: skip


def _report_progress(work: Work, row: PlanRow, quarters: Sequence[Quarter]) -> None:
    """A progress update for the last quarter and, oldest first, the quarters before it
    that the row has history for, each written a few days after its quarter ended. Only
    managers and chairs change the plan: the manager records what the lead agency reports."""
    updates = [*row.history, (row.progress, row.rag, row.rag_reason, row.improvement)]
    for quarter, (progress, rag, reason, *improvement) in zip(reversed(quarters[: len(updates)]), updates, strict=True):
        written = min(quarter.end + timedelta(days=work.rng.randint(3, 10), hours=work.rng.randint(1, 6)), work.now)
        plan_action = work.plan[row.ref]
        with recorded_at(written):
            plan.record_progress(
                work.staff[MANAGER], plan_action.id, version=plan_action.version, quarter=quarter_name(quarter),
                progress=progress, rag=rag, rag_reason=reason, improvement=improvement[0] if improvement else row.improvement,
            )  # fmt: skip
