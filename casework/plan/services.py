"""The partnership delivery plan: priorities, their numbered actions, quarterly progress.

Everyone signed in except analysts reads the plan (PLAN_VIEW); managers and chairs
change it (PLAN_EDIT). The plan belongs to the partnership, not to an agency, so there
is no per-agency visibility: a plan action either exists or it does not.

References look like the source documents' ``1.3.3``: whole numbers separated by full
stops, the first being the priority's number. They are stored canonically (no leading
zeros) and sorted by their numbers, so ``1.3.10`` comes after ``1.3.9``. Sorting is done
in Python after loading: a priority holds tens of actions, not thousands, and neither
database can split a dotted string into numbers portably.

A plan action's RAG is set by a progress update, with a reason for amber and red and
the action to improve performance (the source reports' exception report). Each update
is kept as a PlanUpdate; the action holds the latest narrative, RAG and reason.
"""

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import flag_modified, set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from casework import db
from casework.accounts.models import User
from casework.actions.models import Action
from casework.actions.services import actions as action_rules
from casework.agencies.models import Agency
from casework.audit import services as audit
from casework.clock import Quarter, recent_quarters
from casework.dates import DEFAULT_BOUNDS, DateBounds, long_date, plan_floor
from casework.db import ensure_version
from casework.exceptions import Checks, EditConflict, InvalidInput, NotFound
from casework.permissions import Permission
from casework.plan.models import (
    MAX_MILESTONES,
    MILESTONE_MAX_LENGTH,
    REF_MAX_LENGTH,
    PlanAction,
    PlanActionKind,
    PlanActionStatus,
    PlanMilestone,
    PlanUpdate,
    Priority,
)
from casework.policy import authorize, visible_actions
from casework.rag import Rag

_REF = re.compile(r"[0-9]+(\.[0-9]+)*")
NEEDS_REASON = (Rag.AMBER, Rag.RED)


# --- References -----------------------------------------------------------------------


def ref_key(ref: str) -> tuple[tuple[int, int, str], ...]:
    """Sort key: by each number in turn (1.3.9 before 1.3.10). A part that is not a
    number (from data loaded by other means) sorts after the numbers, by its text."""
    return tuple((0, int(part), "") if part.isascii() and part.isdigit() else (1, 0, part) for part in ref.split("."))


def canonical_ref(text: str) -> str:
    """'01.3.03' -> '1.3.3', after checking the shape; InvalidInput (field ``ref``)."""
    cleaned = text.strip()
    if not cleaned:
        raise InvalidInput("Enter the reference, like 1.3.1", field="ref")
    if len(cleaned) > REF_MAX_LENGTH:
        raise InvalidInput(f"The reference must be {REF_MAX_LENGTH} characters or fewer", field="ref")
    if not _REF.fullmatch(cleaned):
        raise InvalidInput("Enter the reference as numbers separated by full stops, like 1.3.1", field="ref")
    return ".".join(str(int(part)) for part in cleaned.split("."))


# --- Milestones -------------------------------------------------------------------------

_ISO_LINE = re.compile(r"(?P<year>[0-9]{4})-(?P<month>[0-9]{1,2})-(?P<day>[0-9]{1,2})(?P<rest>.*)")
_UK_LINE = re.compile(r"(?P<day>[0-9]{1,2})/(?P<month>[0-9]{1,2})/(?P<year>[0-9]{4})(?P<rest>.*)")
_DONE = re.compile(r"\s*\(done\)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Milestone:
    due_on: date
    text: str
    done: bool = False

    @property
    def line(self) -> str:
        """As typed in the milestones box: '30/06/2026 Launch the scheme (done)'."""
        return f"{self.due_on:%d/%m/%Y} {self.text}{' (done)' if self.done else ''}"


def _milestone_order(milestone: Milestone | PlanMilestone) -> tuple[date, str]:
    return milestone.due_on, milestone.text


def _milestone(line: str) -> Milestone | str:
    """The milestone a line describes, or what is wrong with it."""
    match = _ISO_LINE.match(line) or _UK_LINE.match(line)
    if match is None:
        return "must start with a date, like 30/06/2026 or 2026-06-30"
    try:
        due_on = date(int(match["year"]), int(match["month"]), int(match["day"]))
    except ValueError:
        return "has a date that does not exist"
    rest = match["rest"]
    if rest and not rest[0].isspace():
        return "needs a space between the date and the milestone"
    text, done = _DONE.sub("", rest), bool(_DONE.search(rest))
    text = text.strip().lstrip("-:").strip()
    if not text:
        return "needs the milestone after the date"
    if len(text) > MILESTONE_MAX_LENGTH:
        return f"is too long: a milestone must be {MILESTONE_MAX_LENGTH} characters or fewer"
    return Milestone(due_on, text, done)


def parse_milestones(text: str) -> list[Milestone]:
    """One milestone per line, 'DD/MM/YYYY text' or 'YYYY-MM-DD text', optionally
    ending '(done)'; blank lines are skipped. Every bad line is reported, by its line
    number, in one message (InvalidInput, field ``milestones``)."""
    milestones, problems = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parsed = _milestone(line.strip())
        if isinstance(parsed, str):
            problems.append(f"Milestone line {number} {parsed}.")
        else:
            milestones.append(parsed)
    if problems:
        raise InvalidInput(" ".join(problems), field="milestones")
    if len(milestones) > MAX_MILESTONES:
        raise InvalidInput(f"Enter {MAX_MILESTONES} milestones or fewer", field="milestones")
    return sorted(milestones, key=_milestone_order)


def milestones_text(milestones: Iterable[PlanMilestone]) -> str:
    """The stored milestones as the user edits them."""
    return "\n".join(Milestone(m.due_on, m.text, m.done).line for m in milestones)


# --- Financial quarters, as progress updates name them -------------------------------------

_PLAN_QUARTER = re.compile(r"(?P<year>[0-9]{4})-(?P<next>[0-9]{2}) Q(?P<number>[1-4])")


def quarter_name(quarter: Quarter) -> str:
    """'2026-27 Q3': the financial year, then the quarter (Q1 is April to June)."""
    return f"{quarter.year}-{(quarter.year + 1) % 100:02d} Q{quarter.number}"


def quarter_choices(now: datetime, count: int = 4) -> list[tuple[str, str]]:
    """The current quarter first (the default) and the ones before it, for a select."""
    return [(quarter_name(q), f"{quarter_name(q)} ({q.months})") for q in recent_quarters(now, count)]


def _check_quarter(text: str) -> str:
    match = _PLAN_QUARTER.fullmatch(text.strip())
    if match is None or (int(match["year"]) + 1) % 100 != int(match["next"]):
        raise InvalidInput("Select the quarter this update is for", field="quarter")
    return match.group(0)


# --- Reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PriorityActions:
    priority: Priority
    actions: list[PlanAction]  # in reference order


def sorted_by_ref(actions: Iterable[PlanAction]) -> list[PlanAction]:
    return sorted(actions, key=lambda action: ref_key(action.ref))


def plan_overview(actor: User) -> list[PriorityActions]:
    """Every priority in number order with its actions in reference order: three queries."""
    authorize(actor, Permission.PLAN_VIEW)
    priorities = db.session.scalars(
        select(Priority)
        .options(selectinload(Priority.actions).joinedload(PlanAction.lead_agency))
        .order_by(Priority.number)
    )
    return [PriorityActions(priority, sorted_by_ref(priority.actions)) for priority in priorities]


@dataclass(frozen=True)
class LinkedAction:
    action: Action
    rag: Rag | None  # follows the due date (services.actions.rag)


@dataclass(frozen=True)
class PlanActionPage:
    plan_action: PlanAction
    history: list[PlanUpdate]  # newest first
    linked: list[LinkedAction]


def _load_plan_action(plan_action_id: int) -> PlanAction:
    plan_action = db.session.scalars(
        select(PlanAction)
        .options(
            joinedload(PlanAction.priority),
            joinedload(PlanAction.lead_agency),
            selectinload(PlanAction.partners),
            selectinload(PlanAction.milestones),
        )
        .where(PlanAction.id == plan_action_id)
    ).one_or_none()
    if plan_action is None:
        raise NotFound("plan action", plan_action_id)
    return plan_action


def plan_action_page(actor: User, plan_action_id: int, *, today: date) -> PlanActionPage:
    """The action in full, its progress history and the multi-agency actions linked to it."""
    authorize(actor, Permission.PLAN_VIEW)
    plan_action = _load_plan_action(plan_action_id)
    history = db.session.scalars(
        select(PlanUpdate)
        .options(joinedload(PlanUpdate.author))
        .where(PlanUpdate.plan_action_id == plan_action.id)
        .order_by(PlanUpdate.at.desc(), PlanUpdate.id.desc())
    ).all()
    linked = db.session.scalars(
        visible_actions(actor)
        .options(joinedload(Action.assigned_agency))
        .where(Action.plan_action_id == plan_action.id)
        .order_by(Action.due_on, Action.id)
    ).all()
    return PlanActionPage(
        plan_action,
        list(history),
        [LinkedAction(action, action_rules.rag(action.status, action.due_on, today)) for action in linked],
    )


def exception_report(actor: User) -> list[PlanAction]:
    """Open actions rated amber or red, in reference order: the source reports' "action to
    address moderate and unacceptable areas of performance"."""
    authorize(actor, Permission.PLAN_VIEW)
    rows = db.session.scalars(
        select(PlanAction)
        .options(joinedload(PlanAction.priority), joinedload(PlanAction.lead_agency))
        .where(PlanAction.status == PlanActionStatus.OPEN, PlanAction.rag.in_(NEEDS_REASON))
    )
    return sorted(rows, key=lambda action: (action.priority.number, ref_key(action.ref)))


def priority_choices(actor: User) -> list[Priority]:
    """For the priority select of the action form."""
    authorize(actor, Permission.PLAN_EDIT)
    return list(db.session.scalars(select(Priority).order_by(Priority.number)))


def agency_choices(actor: User, plan_action: PlanAction | None = None) -> list[Agency]:
    """Active agencies, and any inactive one the action already names (so an edit can
    keep it), by name."""
    authorize(actor, Permission.PLAN_EDIT)
    agencies = {agency.id: agency for agency in db.session.scalars(select(Agency).where(Agency.active.is_(True)))}
    if plan_action is not None:
        for agency in (plan_action.lead_agency, *plan_action.partners):
            agencies.setdefault(agency.id, agency)
    return sorted(agencies.values(), key=lambda agency: agency.name)


# --- Priorities -------------------------------------------------------------------------------


def get_priority(actor: User, priority_id: int) -> Priority:
    authorize(actor, Permission.PLAN_EDIT)
    priority = db.session.get(Priority, priority_id)
    if priority is None:
        raise NotFound("priority", priority_id)
    return priority


def _number_taken(number: int) -> InvalidInput:
    return InvalidInput(f"Priority {number} already exists: choose another number", field="number")


def _save_unique(apply: Callable[[], None], taken: InvalidInput) -> None:
    """Make the change and flush it in a savepoint, so that losing a race for a unique
    number or reference gives the same message as the check before it and leaves the
    transaction usable. The change must be made inside: starting a savepoint flushes."""
    try:
        with db.session.begin_nested():
            apply()
    except IntegrityError:
        raise taken from None
    except StaleDataError as stale:
        raise EditConflict() from stale


def check_priority(actor: User, priority_id: int | None, *, number: int | None, title: str | None) -> None:
    """InvalidInput with every rule a priority (new, or ``priority_id`` edited) breaks,
    on what of the form could be read (None for a field the form could not read)."""
    authorize(actor, Permission.PLAN_EDIT)
    _priority_checks(number, title, except_id=priority_id).raise_any()


def _priority_checks(number: int | None, title: str | None, *, except_id: int | None) -> Checks:
    checks = Checks()
    if number is not None and number < 1:
        checks.refuse("The priority number must be 1 or more", field="number")
    elif number is not None:
        taken = select(Priority.id).where(Priority.number == number)
        if except_id is not None:
            taken = taken.where(Priority.id != except_id)
        if db.session.scalar(taken) is not None:
            checks.add(_number_taken(number))
    if title is not None and not title.strip():
        checks.refuse("Enter the title of the priority", field="title")
    return checks


def _priority_fields(
    number: int, title: str, lead_officer: str, year_targets: str, *, except_id: int | None
) -> dict[str, object]:
    _priority_checks(number, title, except_id=except_id).raise_any()
    return {
        "number": number,
        "title": title.strip(),
        "lead_officer": lead_officer.strip(),
        "year_targets": year_targets.strip(),
    }


def create_priority(actor: User, *, number: int, title: str, lead_officer: str, year_targets: str) -> Priority:
    authorize(actor, Permission.PLAN_EDIT)
    priority = Priority(**_priority_fields(number, title, lead_officer, year_targets, except_id=None))
    _save_unique(lambda: db.session.add(priority), _number_taken(number))
    audit.record(actor, "plan.priority_saved", "priority", priority.id, detail={"number": number, "created": True})
    return priority


def edit_priority(
    actor: User, priority_id: int, *, number: int, title: str, lead_officer: str, year_targets: str
) -> Priority:
    """Changing a priority's number does not renumber its actions' references."""
    priority = get_priority(actor, priority_id)
    after = _priority_fields(number, title, lead_officer, year_targets, except_id=priority.id)
    changed = sorted(name for name, value in after.items() if getattr(priority, name) != value)
    if changed:

        def apply() -> None:
            for name, value in after.items():
                setattr(priority, name, value)

        _save_unique(apply, _number_taken(number))
        audit.record(
            actor, "plan.priority_saved", "priority", priority.id, detail={"number": number, "changed": changed}
        )
    return priority


# --- Plan actions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanActionDetails:
    """What the action form sends; the progress, RAG and reason come from progress updates."""

    priority_id: int
    ref: str
    kind: PlanActionKind
    action: str
    outcome: str
    project: str
    target: str
    lead_agency_id: int
    partner_ids: Sequence[int]
    milestones: Sequence[Milestone]
    status: PlanActionStatus
    improvement: str


def get_plan_action(actor: User, plan_action_id: int) -> PlanAction:
    """The action with everything its edit forms show."""
    authorize(actor, Permission.PLAN_EDIT)
    return _load_plan_action(plan_action_id)


def _ref_taken(ref: str) -> InvalidInput:
    return InvalidInput(f"Reference {ref} is already used by another action", field="ref")


def _agencies(
    lead_agency_id: int | None, partner_ids: Sequence[int], current: PlanAction | None, checks: Checks
) -> tuple[Agency | None, list[Agency]]:
    """The lead and partner agencies, each existing and active (an inactive one the action
    already names may stay); a problem with either goes to ``checks``."""
    kept = {current.lead_agency_id, *(agency.id for agency in current.partners)} if current else set()
    wanted = {*partner_ids} | ({lead_agency_id} if lead_agency_id is not None else set())
    found = {agency.id: agency for agency in db.session.scalars(select(Agency).where(Agency.id.in_(wanted)))}
    usable = {key: agency for key, agency in found.items() if agency.active or key in kept}
    lead = usable.get(lead_agency_id) if lead_agency_id is not None else None
    if lead_agency_id is not None and lead is None:
        checks.refuse("Select the lead agency from the list", field="lead_agency_id")
    if any(key not in usable for key in partner_ids):
        checks.refuse("Select partner agencies from the list", field="partner_ids")
    elif lead is not None and lead.id in partner_ids:
        checks.refuse(f"{lead.name} leads this action: do not also select it as a partner", field="partner_ids")
    return lead, sorted((usable[key] for key in set(partner_ids) if key in usable), key=lambda agency: agency.name)


def _ref_checks(priority: Priority | None, text: str, current: PlanAction | None, checks: Checks) -> str:
    """The reference in canonical form, once it is well formed, fits the priority and is free."""
    try:
        ref = canonical_ref(text)
    except InvalidInput as error:
        checks.add(error)
        return text
    if priority is not None and int(ref.split(".")[0]) != priority.number:
        checks.refuse(
            f"An action under priority {priority.number} has a reference starting {priority.number}, "
            f"like {priority.number}.1",
            field="ref",
        )
        return ref
    taken = select(PlanAction.id).where(PlanAction.ref == ref)
    if current is not None:
        taken = taken.where(PlanAction.id != current.id)
    if db.session.scalar(taken) is not None:
        checks.add(_ref_taken(ref))
    return ref


@dataclass(frozen=True)
class _Checked:
    priority: Priority | None
    ref: str
    lead: Agency | None
    partners: list[Agency]


def _plan_action_checks(
    current: PlanAction | None,
    *,
    priority_id: int | None,
    ref: str | None,
    action: str | None,
    lead_agency_id: int | None,
    partner_ids: Sequence[int] | None,
    milestone_count: int | None,
    checks: Checks,
    milestones: Sequence[Milestone] = (),
    bounds: DateBounds = DEFAULT_BOUNDS,
) -> _Checked:
    """Every rule of a plan action, on what could be read (None: not read), into ``checks``."""
    priority = None
    if priority_id is not None:
        priority = db.session.get(Priority, priority_id)
        if priority is None:
            checks.refuse("Select the priority from the list", field="priority_id")
    canonical = _ref_checks(priority, ref, current, checks) if ref is not None else ""
    if action is not None and not action.strip():
        checks.refuse("Enter the action", field="action")
    lead, partners = _agencies(lead_agency_id, partner_ids or [], current, checks)
    if milestone_count is not None and milestone_count > MAX_MILESTONES:
        checks.refuse(f"Enter {MAX_MILESTONES} milestones or fewer", field="milestones")
    _milestone_date_checks(milestones, current, bounds, checks)
    return _Checked(priority, canonical, lead, partners)


def _milestone_date_checks(
    milestones: Sequence[Milestone], current: PlanAction | None, bounds: DateBounds, checks: Checks
) -> None:
    """A new or changed milestone is dated no earlier than the plan's floor; milestones
    saved before stay as they are, so an older plan can still be edited."""
    saved = {Milestone(m.due_on, m.text, m.done) for m in current.milestones} if current is not None else set()
    earliest = plan_floor(bounds)
    early = [m for m in milestones if m not in saved and m.due_on < earliest.day]
    if early:
        lines = ", ".join(f'"{m.line}"' for m in early)
        checks.refuse(
            f"Milestones must be dated on or after {long_date(earliest.day)}, {earliest.because}: {lines}",
            field="milestones",
        )


def check_plan_action(
    actor: User,
    plan_action_id: int | None,
    *,
    priority_id: int | None,
    ref: str | None,
    action: str | None,
    lead_agency_id: int | None,
    partner_ids: Sequence[int] | None,
    milestones: Sequence[Milestone] = (),
    bounds: DateBounds = DEFAULT_BOUNDS,
) -> None:
    """InvalidInput with every rule a plan action (new, or ``plan_action_id`` edited)
    breaks, on what of the form could be read (None for a field it could not read)."""
    current = get_plan_action(actor, plan_action_id) if plan_action_id is not None else None
    authorize(actor, Permission.PLAN_EDIT)
    checks = Checks()
    _plan_action_checks(
        current,
        priority_id=priority_id,
        ref=ref,
        action=action,
        lead_agency_id=lead_agency_id,
        partner_ids=partner_ids,
        milestone_count=None,
        checks=checks,
        milestones=milestones,
        bounds=bounds,
    )
    checks.raise_any()


def _checked(
    details: PlanActionDetails, current: PlanAction | None, bounds: DateBounds
) -> tuple[dict[str, object], list[Agency]]:
    """The action's columns and its partners, after checking every rule."""
    checks = Checks()
    checked = _plan_action_checks(
        current,
        priority_id=details.priority_id,
        ref=details.ref,
        action=details.action,
        lead_agency_id=details.lead_agency_id,
        partner_ids=details.partner_ids,
        milestone_count=len(details.milestones),
        checks=checks,
        milestones=details.milestones,
        bounds=bounds,
    )
    checks.raise_any()
    assert checked.priority is not None and checked.lead is not None  # refused above otherwise
    columns = {
        "priority_id": checked.priority.id,
        "ref": checked.ref,
        "kind": details.kind,
        "action": details.action.strip(),
        "outcome": details.outcome.strip(),
        "project": details.project.strip(),
        "target": details.target.strip(),
        "lead_agency_id": checked.lead.id,
        "status": details.status,
        "improvement": details.improvement.strip(),
    }
    return columns, checked.partners


def _milestone_rows(plan_action_id: int | None, milestones: Sequence[Milestone]) -> list[PlanMilestone]:
    return [
        PlanMilestone(plan_action_id=plan_action_id, due_on=m.due_on, text=m.text, done=m.done)
        for m in sorted(milestones, key=_milestone_order)
    ]


def create_plan_action(actor: User, details: PlanActionDetails, *, bounds: DateBounds = DEFAULT_BOUNDS) -> PlanAction:
    authorize(actor, Permission.PLAN_EDIT)
    columns, partners = _checked(details, None, bounds)
    plan_action = PlanAction(**columns, partners=partners, milestones=_milestone_rows(None, details.milestones))
    _save_unique(lambda: db.session.add(plan_action), _ref_taken(str(columns["ref"])))
    audit.record(
        actor, "plan.action_saved", "plan_action", plan_action.id, detail={"ref": plan_action.ref, "created": True}
    )
    return plan_action


def edit_plan_action(
    actor: User,
    plan_action_id: int,
    details: PlanActionDetails,
    *,
    version: int,
    bounds: DateBounds = DEFAULT_BOUNDS,
) -> PlanAction:
    """Save the action as the form shows it. ``version`` is the action's version when
    the form was loaded: an edit made from an older page is refused (EditConflict)."""
    plan_action = get_plan_action(actor, plan_action_id)
    ensure_version(plan_action, version)
    columns, partners = _checked(details, plan_action, bounds)
    changed = sorted(name for name, value in columns.items() if getattr(plan_action, name) != value)
    partners_change = [a.id for a in plan_action.partners] != [a.id for a in partners]
    milestones = sorted(details.milestones, key=_milestone_order)
    saved = sorted((Milestone(m.due_on, m.text, m.done) for m in plan_action.milestones), key=_milestone_order)
    milestones_change = saved != milestones
    changed += ["partners"] * partners_change + ["milestones"] * milestones_change
    if not changed:
        return plan_action

    def apply() -> None:
        for name, value in columns.items():
            setattr(plan_action, name, value)
        if partners_change:
            plan_action.partners = partners
        if milestones_change:
            for row in plan_action.milestones:
                db.session.delete(row)
            rows = _milestone_rows(plan_action.id, milestones)
            db.session.add_all(rows)
            set_committed_value(plan_action, "milestones", rows)
        # Partners and milestones live in other tables: touch a column so that every
        # save moves the version on, and a concurrent edit of either is still caught.
        flag_modified(plan_action, "ref")

    _save_unique(apply, _ref_taken(str(columns["ref"])))
    audit.record(
        actor, "plan.action_saved", "plan_action", plan_action.id, detail={"ref": plan_action.ref, "changed": changed}
    )
    return plan_action


def record_progress(
    actor: User,
    plan_action_id: int,
    *,
    version: int,
    quarter: str,
    progress: str,
    rag: Rag,
    rag_reason: str,
    improvement: str,
) -> PlanUpdate:
    """A quarterly update, kept as history, and the action's current narrative and RAG. Amber
    and red need a reason and the action to improve performance (the exception report shows
    both); the improvement is kept as typed for green too."""
    plan_action = get_plan_action(actor, plan_action_id)
    ensure_version(plan_action, version)
    checks = Checks()
    try:
        quarter = _check_quarter(quarter)
    except InvalidInput as error:
        checks.add(error)
    narrative = progress.strip()
    if not narrative:
        checks.refuse("Enter the progress narrative", field="progress")
    reason, improve = rag_reason.strip(), improvement.strip()
    if rag in NEEDS_REASON and not reason:
        checks.refuse(f"Give the reason the action is {rag.value}", field="rag_reason")
    if rag in NEEDS_REASON and not improve:
        checks.refuse(f"Enter the action to improve performance: the action is {rag.value}", field="improvement")
    checks.raise_any()
    update = PlanUpdate(
        plan_action_id=plan_action.id,
        quarter=quarter,
        progress=narrative,
        rag=rag,
        rag_reason=reason,
        author_id=actor.id,
    )
    db.session.add(update)
    before = plan_action.rag
    plan_action.progress, plan_action.rag, plan_action.rag_reason = narrative, rag, reason
    plan_action.improvement = improve
    flag_modified(plan_action, "progress")  # an update always moves the version on
    try:
        db.session.flush()
    except StaleDataError as stale:
        raise EditConflict() from stale
    audit.record(
        actor,
        "plan.progress_updated",
        "plan_action",
        plan_action.id,
        detail={
            "ref": plan_action.ref,
            "quarter": quarter,
            "rag": {"from": before.value if before else None, "to": rag.value},
        },
    )
    return update


# --- The export -------------------------------------------------------------------------------

EXPORT_HEADER = (
    "Priority",
    "Ref",
    "Kind",
    "Action",
    "Outcome",
    "Project",
    "Target",
    "Milestones",
    "Lead agency",
    "Partners",
    "Progress",
    "RAG",
    "RAG reason",
    "Action to improve performance",
    "Status",
)


def export_rows(actor: User) -> list[tuple[str, ...]]:
    """Every action of the plan as rows of text, header first, in plan order; audited as
    ``plan.exported``. Write them with ``sla_reports.to_csv`` (formula-safe)."""
    authorize(actor, Permission.PLAN_EXPORT)
    all_priorities = db.session.scalars(
        select(Priority)
        .options(
            selectinload(Priority.actions).options(
                joinedload(PlanAction.lead_agency),
                selectinload(PlanAction.partners),
                selectinload(PlanAction.milestones),
            )
        )
        .order_by(Priority.number)
    )
    rows: list[tuple[str, ...]] = [EXPORT_HEADER]
    for priority in all_priorities:
        for action in sorted_by_ref(priority.actions):
            rows.append(
                (
                    f"{priority.number}. {priority.title}",
                    action.ref,
                    action.kind.label,
                    action.action,
                    action.outcome,
                    action.project,
                    action.target,
                    "; ".join(Milestone(m.due_on, m.text, m.done).line for m in action.milestones),
                    action.lead_agency.name,
                    "; ".join(agency.name for agency in action.partners),
                    action.progress,
                    action.rag.label if action.rag else "",
                    action.rag_reason,
                    action.improvement,
                    action.status.label,
                )
            )
    audit.record(actor, "plan.exported", "plan", None, detail={"rows": len(rows) - 1})
    return rows
