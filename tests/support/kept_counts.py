"""The counts the database keeps for the partnership's figures (case_counts,
live_action_counts, done_action_counts, sla_clock_counts with the clocks' lead agency,
sla_clock_victims, sla_clock_victim_counts, case_list_counts, premises_activity_counts),
worked out again in Python from the rows they count, to check the triggers that keep
them."""

from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from casework import db
from casework.actions.models import LIVE_STATUSES, Action, ActionStatus, DoneActionCount, LiveActionCount
from casework.cases.models import Case, CaseAgency, CaseCount, CaseListCount
from casework.clock import quarter_of
from casework.premises.models import (
    ActivityKind,
    LicensingHearing,
    PremisesActivityCount,
    PremisesStatusChange,
    PremisesVisit,
)
from casework.victims.models import SlaClock, SlaClockCount, SlaClockVictim, SlaClockVictimCount


def stretch(at: datetime) -> datetime:
    """The UTC month a moment falls in, or that month's last hour on its own."""
    if (at + timedelta(hours=1)).month != at.month:
        return at.replace(minute=0, second=0, microsecond=0)
    return at.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _kept(rows) -> dict[tuple, int]:
    return {tuple(key): tally for *key, tally in rows if tally}


def assert_case_counts_kept() -> None:
    """case_counts holds what counting the cases again gives, nothing more or less."""
    db.session.flush()
    cases = db.session.execute(select(Case.opened_at, Case.case_type, Case.status)).all()
    expected = Counter((stretch(at), case_type, status) for at, case_type, status in cases)
    kept = db.session.execute(select(CaseCount.opened_from, CaseCount.case_type, CaseCount.status, CaseCount.tally))
    assert _kept(kept) == dict(expected)


def assert_action_counts_kept() -> None:
    """The live actions by agency, status and due month, and the done ones by agency and
    when done, as counting the actions again gives them."""
    db.session.flush()
    actions = db.session.execute(select(Action.assigned_agency_id, Action.status, Action.due_on, Action.completed_at))
    live: Counter[tuple] = Counter()
    done: Counter[tuple] = Counter()
    for agency_id, status, due_on, completed_at in actions:
        if status in LIVE_STATUSES:
            live[(agency_id, status, due_on.replace(day=1))] += 1
        elif status is ActionStatus.DONE and completed_at is not None:
            done[(stretch(completed_at), agency_id)] += 1
    kept_live = db.session.execute(
        select(
            LiveActionCount.assigned_agency_id, LiveActionCount.status, LiveActionCount.due_month, LiveActionCount.tally
        )
    )
    kept_done = db.session.execute(
        select(DoneActionCount.completed_from, DoneActionCount.assigned_agency_id, DoneActionCount.tally)
    )
    assert _kept(kept_live) == dict(live)
    assert _kept(kept_done) == dict(done)


def assert_sla_clock_counts_kept() -> None:
    """sla_clock_counts holds what counting the clocks again gives, nothing more or less."""
    db.session.flush()
    clocks = db.session.execute(select(SlaClock.started_at, SlaClock.kind, SlaClock.outcome)).all()
    expected = Counter((stretch(at), kind, outcome) for at, kind, outcome in clocks)
    kept = db.session.execute(
        select(SlaClockCount.started_from, SlaClockCount.kind, SlaClockCount.outcome, SlaClockCount.tally)
    )
    assert _kept(kept) == dict(expected)
    # Each clock's copy of its case's lead agency, which the dashboard counts by.
    leads = db.session.execute(select(SlaClock.id, SlaClock.lead_agency_id, Case.lead_agency_id).join(Case))
    assert [(clock, kept_lead) for clock, kept_lead, lead in leads if kept_lead != lead] == []


def assert_case_list_counts_kept() -> None:
    """case_list_counts holds each agency's involvements by the case's town, status and
    type, as counting them again gives them."""
    db.session.flush()
    involvements = db.session.execute(
        select(CaseAgency.agency_id, Case.town, Case.status, Case.case_type).join(Case, Case.id == CaseAgency.case_id)
    )
    expected = Counter(tuple(row) for row in involvements)
    kept = db.session.execute(
        select(
            CaseListCount.agency_id,
            CaseListCount.town,
            CaseListCount.status,
            CaseListCount.case_type,
            CaseListCount.tally,
        )
    )
    assert _kept(kept) == dict(expected)


def assert_sla_clock_victims_kept() -> None:
    """sla_clock_victims holds each victim with a clock started in a quarter, by kind,
    with how many, and sla_clock_victim_counts how many victims each quarter has by
    kind, as counting the clocks again in Python gives them (the quarter from
    casework.clock, not from the triggers' SQL); no victim's row with no clock."""
    db.session.flush()
    clocks = db.session.execute(select(SlaClock.started_at, SlaClock.kind, SlaClock.person_id)).all()
    expected = Counter((quarter_of(at).start, kind, person_id) for at, kind, person_id in clocks)
    kept = db.session.execute(
        select(SlaClockVictim.quarter_from, SlaClockVictim.kind, SlaClockVictim.person_id, SlaClockVictim.tally)
    ).all()
    assert all(tally > 0 for *_, tally in kept)
    assert _kept(kept) == dict(expected)
    victims = Counter((quarter, kind) for quarter, kind, _person_id in expected)
    counted = db.session.execute(
        select(SlaClockVictimCount.quarter_from, SlaClockVictimCount.kind, SlaClockVictimCount.victims)
    )
    assert _kept(counted) == dict(victims)


def assert_premises_activity_counts_kept() -> None:
    """premises_activity_counts holds what counting the moves of colour, visits and
    hearings again gives (a hearing by the month of its date), nothing more or less."""
    db.session.flush()
    expected: Counter[tuple] = Counter()
    for (at,) in db.session.execute(select(PremisesStatusChange.at)):
        expected[(stretch(at), ActivityKind.MOVE)] += 1
    for (at,) in db.session.execute(select(PremisesVisit.visited_at)):
        expected[(stretch(at), ActivityKind.VISIT)] += 1
    for (held_on,) in db.session.execute(select(LicensingHearing.held_on)):
        expected[(datetime(held_on.year, held_on.month, 1, tzinfo=UTC), ActivityKind.HEARING)] += 1
    kept = db.session.execute(
        select(PremisesActivityCount.stretch_from, PremisesActivityCount.kind, PremisesActivityCount.tally)
    )
    assert _kept(kept) == dict(expected)
