"""The SLA dashboard's figures, counted in SQL: a clock's status at a moment, financial
quarters in Europe/London, compliance per quarter with its RAG, the trend, the now
view by agency and the CSV export."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from casework import db
from casework.audit.models import AuditEvent
from casework.cases.models import PartyRole
from casework.clock import ZONE, make_quarter, parse_quarter, previous_quarters, quarter_of, recent_quarters
from casework.exceptions import InvalidInput, PermissionDenied
from casework.permissions import Role
from casework.rag import Rag
from casework.victims.models import ClockKind, ClockOutcome, SlaClock
from casework.victims.services import sla_reports
from casework.victims.services.sla_reports import KindFigures
from tests.factories import add_party, make_agency, make_case, make_person, make_user
from tests.support.queries import recorded_statements
from tests.support.sla_clocks import make_clock, make_clock_due

pytestmark = [pytest.mark.both_databases, pytest.mark.calendar]

LONDON = ZONE
CONFERENCE, REDUCE = ClockKind.CONFERENCE_72H, ClockKind.REDUCE_7D
OPEN, MET, MET_LATE, STOPPED = ClockOutcome.OPEN, ClockOutcome.MET, ClockOutcome.MET_LATE, ClockOutcome.STOPPED
OVERDUE_AT_CLOSING = ClockOutcome.OVERDUE_AT_CLOSING
# Well after the quarter the figures are about, unless a test says otherwise.
LATER = datetime(2027, 2, 1, 12, 0, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def world(session):
    council = make_agency(name="Fenland District Council")
    manager = make_user(role=Role.MANAGER, agency=council)
    case = make_case(lead_agency=council, opened_by=make_user(agency=council))
    victim = make_person(created_by=manager, first_name="Vera", last_name="Quillfeather")
    add_party(case=case, person=victim, role=PartyRole.VICTIM)
    return {"council": council, "manager": manager, "case": case, "victim": victim}


def victims(world, count: int):
    """``count`` more victims on the world's case."""
    people = [make_person(created_by=world["manager"], first_name=f"Victim{n}") for n in range(count)]
    for person in people:
        add_party(case=world["case"], person=person, role=PartyRole.VICTIM)
    return people


# --- Status at a moment --------------------------------------------------------------


def statuses(now: datetime) -> dict[int, str]:
    return dict(db.session.execute(select(SlaClock.id, sla_reports.clock_status(now))).all())


def test_status_at_exactly_the_due_instant_is_due_soon_and_overdue_a_moment_later(world):
    now = utc(2026, 11, 10, 9, 0)
    clock = make_clock_due(case=world["case"], person=world["victim"], due_at=now)
    assert statuses(now)[clock.id] == "due_soon"
    assert statuses(now + timedelta(microseconds=1))[clock.id] == "overdue"
    assert statuses(now + timedelta(seconds=1))[clock.id] == "overdue"


def test_status_follows_the_due_soon_window_and_the_stored_outcome(world):
    now = utc(2026, 11, 10, 9, 0)
    on = {"case": world["case"], "person": world["victim"]}
    edge = make_clock_due(**on, due_at=now + timedelta(hours=24))
    beyond = make_clock_due(**on, due_at=now + timedelta(hours=24, seconds=1))
    met = make_clock(**on, started_at=now - timedelta(days=5), outcome=MET)
    late = make_clock(**on, started_at=now - timedelta(days=5), outcome=MET_LATE)
    stopped = make_clock(**on, started_at=now - timedelta(days=5), outcome=STOPPED)
    breach = make_clock(**on, started_at=now - timedelta(days=5), outcome=OVERDUE_AT_CLOSING)
    found = statuses(now)
    assert found[edge.id] == "due_soon"
    assert found[beyond.id] == "pending"
    assert (found[met.id], found[late.id], found[stopped.id]) == ("met", "met_late", "stopped")
    assert found[breach.id] == "overdue_at_closing"


def test_a_clock_met_at_exactly_its_due_instant_counts_as_met_on_time(world, monkeypatch):
    """derive_clocks decides met or met late; the figures count what it stored."""
    from casework.meetings.models import Meeting, MeetingKind
    from casework.victims.models import RiskAssessment, RiskLevel
    from casework.victims.services import risk, sla

    start = utc(2026, 7, 6, 10, 0)
    db.session.add(
        RiskAssessment(
            case_id=world["case"].id,
            person_id=world["victim"].id,
            matrix_id=risk.current_matrix().id,
            answers={},
            score=30,
            computed_level=RiskLevel.HIGH,
            level=RiskLevel.HIGH,
            assessed_at=start,
            assessed_by_id=world["manager"].id,
        )
    )
    db.session.add(
        Meeting(
            kind=MeetingKind.CASE_CONFERENCE,
            case_id=world["case"].id,
            held_at=start + timedelta(hours=72),
            recorded_by_id=world["manager"].id,
        )
    )
    db.session.flush()
    sla.recompute(world["case"].id, world["victim"].id)
    conference = sla_reports.quarter_figures(world["manager"], make_quarter(2026, 2), LATER).kinds[0]
    assert (conference.kind, conference.met, conference.met_late) == (CONFERENCE, 1, 0)


# --- Financial quarters --------------------------------------------------------------


def test_quarters_are_financial_and_labelled_like_the_source_reports():
    q3 = make_quarter(2026, 3)
    assert (q3.key, q3.label, q3.months) == ("2026-Q3", "Q3 2026/27", "October to December 2026")
    q4 = make_quarter(2026, 4)
    assert (q4.key, q4.label, q4.months) == ("2026-Q4", "Q4 2026/27", "January to March 2027")
    assert make_quarter(2099, 1).label == "Q1 2099/00"


def test_quarters_start_at_local_midnight_in_london():
    # 1 April and 1 July and 1 October fall in British Summer Time: midnight is 23:00 UTC.
    assert make_quarter(2026, 1).start == utc(2026, 3, 31, 23, 0)
    assert make_quarter(2026, 2).start == utc(2026, 6, 30, 23, 0)
    assert make_quarter(2026, 3).start == utc(2026, 9, 30, 23, 0)
    # 1 January is in Greenwich Mean Time: midnight is midnight UTC.
    assert make_quarter(2026, 4).start == utc(2027, 1, 1, 0, 0)
    assert make_quarter(2026, 3).end == make_quarter(2026, 4).start
    assert make_quarter(2026, 4).end == utc(2027, 3, 31, 23, 0)


@pytest.mark.parametrize(
    ("moment", "key"),
    [
        (utc(2026, 6, 30, 22, 59), "2026-Q1"),  # 23:59 BST on 30 June
        (utc(2026, 6, 30, 23, 30), "2026-Q2"),  # 00:30 BST on 1 July
        (utc(2026, 12, 31, 23, 30), "2026-Q3"),  # 23:30 GMT on 31 December
        (utc(2027, 1, 1, 0, 0), "2026-Q4"),  # midnight GMT on 1 January
        (utc(2027, 3, 31, 22, 59), "2026-Q4"),  # 23:59 BST on 31 March (summer time began 28 March)
        (utc(2027, 3, 31, 23, 30), "2027-Q1"),  # 00:30 BST on 1 April: a new financial year
    ],
)
def test_a_moment_belongs_to_the_quarter_of_its_local_date(moment, key):
    assert quarter_of(moment).key == key


def test_the_figures_put_a_clock_in_the_quarter_of_its_local_start(world):
    # 23:30 UTC on 30 June is 00:30 on 1 July in London: Q2, not Q1.
    make_clock(case=world["case"], person=world["victim"], started_at=utc(2026, 6, 30, 23, 30), outcome=MET)
    q1 = sla_reports.quarter_figures(world["manager"], make_quarter(2026, 1), LATER)
    q2 = sla_reports.quarter_figures(world["manager"], make_quarter(2026, 2), LATER)
    assert (q1.kinds[0].clocks, q2.kinds[0].clocks) == (0, 1)


def test_recent_quarters_are_newest_first_and_the_trend_ends_with_the_chosen_one():
    now = utc(2026, 11, 21, 14, 0)
    assert [q.key for q in recent_quarters(now, 5)] == [
        "2026-Q3",
        "2026-Q2",
        "2026-Q1",
        "2025-Q4",
        "2025-Q3",
    ]
    assert [q.key for q in previous_quarters(make_quarter(2027, 1), 2)] == [
        "2027-Q1",
        "2026-Q4",
    ]


def test_a_quarter_key_is_parsed_or_refused_with_a_message_for_the_field():
    now = utc(2026, 11, 21, 14, 0)
    assert parse_quarter("2026-Q3", now) == make_quarter(2026, 3)
    assert parse_quarter(" 2019-Q4 ", now).label == "Q4 2019/20"
    for bad in ("", None, "2026-Q5", "2026-Q0", "Q3 2026/27", "2026Q3", "2026-Q3; DROP TABLE cases", "२०२६-Q3"):
        with pytest.raises(InvalidInput) as refused:
            parse_quarter(bad, now)
        assert refused.value.field == "quarter"
    with pytest.raises(InvalidInput, match="already started"):
        parse_quarter("2026-Q4", now)  # starts in January
    with pytest.raises(InvalidInput):
        parse_quarter("1999-Q1", now)


# --- Quarter figures ----------------------------------------------------------------


def test_quarter_figures_count_each_status_per_kind(world):
    """Q2 2026/27 (July to September), looked at on 20 September."""
    now = utc(2026, 9, 20, 12, 0)
    people = victims(world, 6)
    on = lambda person: {"case": world["case"], "person": person}  # noqa: E731
    july = utc(2026, 7, 10, 9, 0)
    # Conference clocks: 3 met (two for the same victim), 1 met late, 1 overdue,
    # 1 due soon, 1 pending, 1 stopped.
    make_clock(**on(people[0]), started_at=july, outcome=MET)
    make_clock(**on(people[0]), started_at=july + timedelta(days=20), outcome=MET)
    make_clock(**on(people[1]), started_at=july, outcome=MET)
    make_clock(**on(people[2]), started_at=july, outcome=MET_LATE)
    make_clock(**on(people[3]), started_at=july)  # open, due in July: overdue now
    make_clock_due(**on(people[4]), due_at=now + timedelta(hours=3))
    make_clock_due(**on(people[5]), due_at=now + timedelta(hours=40))
    make_clock(**on(people[5]), started_at=july, outcome=STOPPED)
    # 7-day clocks: one met, one overdue when the case closed (a breach, counted as
    # overdue), one stopped before it was due; and clocks outside the quarter, which do not count.
    make_clock(**on(people[0]), started_at=july, kind=REDUCE, outcome=MET)
    make_clock(**on(people[1]), started_at=july, kind=REDUCE, outcome=OVERDUE_AT_CLOSING)
    make_clock(**on(people[2]), started_at=july, kind=REDUCE, outcome=STOPPED)
    make_clock(**on(people[1]), started_at=utc(2026, 6, 29, 9, 0), outcome=MET_LATE)
    make_clock(**on(people[1]), started_at=utc(2026, 9, 30, 23, 0), outcome=MET_LATE)

    figures = sla_reports.quarter_figures(world["manager"], make_quarter(2026, 2), now)
    conference, reduce = figures.kinds
    assert conference.kind is CONFERENCE
    assert (conference.clocks, conference.victims) == (8, 6)
    assert (conference.met, conference.met_late, conference.overdue) == (3, 1, 1)
    assert (conference.pending, conference.due_soon, conference.stopped) == (2, 1, 1)
    assert conference.rate == 60.0
    assert conference.rag is Rag.RED
    assert conference.summary == "60% of 5 decided; 6 victims in the quarter"
    assert (conference.overdue_at_closing, conference.counted) == (0, 5)
    assert (reduce.kind, reduce.clocks, reduce.victims, reduce.met) == (REDUCE, 3, 3, 1)
    assert (reduce.overdue, reduce.overdue_at_closing, reduce.stopped, reduce.counted) == (1, 1, 1, 2)
    assert (reduce.rate, reduce.rag) == (50.0, Rag.RED)
    assert reduce.summary == "50% of 2 decided; 3 victims in the quarter"


def test_quarter_figures_are_one_query_for_both_kinds(world):
    make_clock(case=world["case"], person=world["victim"], started_at=utc(2026, 7, 10, 9, 0), outcome=MET)
    with recorded_statements(db.session.get_bind().engine) as statements:
        sla_reports.quarter_figures(world["manager"], make_quarter(2026, 2), LATER)
    assert len(statements) == 1


def test_the_rate_is_none_while_nothing_has_fallen_due(world):
    now = utc(2026, 7, 20, 12, 0)
    for person in victims(world, 2):
        make_clock_due(case=world["case"], person=person, due_at=now + timedelta(hours=50))
    make_clock(case=world["case"], person=world["victim"], started_at=utc(2026, 7, 15), outcome=STOPPED)
    conference = sla_reports.quarter_figures(world["manager"], make_quarter(2026, 2), now).kinds[0]
    assert (conference.clocks, conference.pending, conference.stopped, conference.counted) == (3, 2, 1, 0)
    assert conference.rate is None and conference.percent is None and conference.rag is None
    assert conference.summary == "No clocks decided yet; 3 victims in the quarter"


def test_an_empty_quarter_has_no_rate(world):
    figures = sla_reports.quarter_figures(world["manager"], make_quarter(2024, 1), LATER)
    assert [(k.kind, k.clocks, k.victims, k.rate) for k in figures.kinds] == [
        (CONFERENCE, 0, 0, None),
        (REDUCE, 0, 0, None),
    ]


def figures(met: int, counted: int, *, victims: int = 18, target: int = 85) -> KindFigures:
    return KindFigures(
        CONFERENCE, clocks=counted, victims=victims, met=met, met_late=0, overdue=counted - met,
        overdue_at_closing=0, pending=0, due_soon=0, stopped=0, target=target,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("met", "counted", "rag"),
    [
        (85, 100, "Green"),  # at the target
        (100, 100, "Green"),
        (849, 1000, "Amber"),  # 84.9: below the target, however close
        (76, 100, "Amber"),
        (75, 100, "Amber"),  # exactly 10 points below
        (749, 1000, "Red"),
        (74, 100, "Red"),
        (0, 3, "Red"),
    ],
)
def test_rag_is_green_at_target_amber_within_ten_points_red_below(met, counted, rag):
    assert figures(met, counted).rag.label == rag


def test_the_target_comes_from_the_rules():
    assert figures(80, 100, target=80).rag.label == "Green"
    assert figures(70, 100, target=80).rag.label == "Amber"


def test_the_summary_says_what_the_rate_is_a_share_of():
    """The source's "74% - 18 victims" reads as 74 percent of 18 victims; the rate is a
    share of the decided clocks (met on time, met late or overdue), so the summary names
    both. Whole percent, rounded down, so 84.9% never reads as 85%."""
    assert figures(20, 27).summary == "74% of 27 decided; 18 victims in the quarter"
    assert figures(20, 27).rate_text == "74% of 27 decided"
    assert figures(849, 1000).percent == 84
    assert figures(1, 1, victims=1).summary == "100% of 1 decided; 1 victim in the quarter"
    assert figures(0, 0, victims=2).summary == "No clocks decided yet; 2 victims in the quarter"


def test_the_source_figures_come_out_of_the_sql(world):
    """27 clocks for 18 victims (9 with two episodes): 20 met on time, 5 late, 2 overdue."""
    people = victims(world, 17) + [world["victim"]]
    start = utc(2026, 7, 6, 9, 0)
    outcomes = [MET] * 20 + [MET_LATE] * 5 + [OPEN] * 2
    for number, outcome in enumerate(outcomes):
        make_clock(
            case=world["case"], person=people[number % 18], started_at=start + timedelta(days=number), outcome=outcome
        )
    conference = sla_reports.quarter_figures(world["manager"], make_quarter(2026, 2), LATER).kinds[0]
    assert (conference.clocks, conference.victims, conference.overdue) == (27, 18, 2)
    assert conference.summary == "74% of 27 decided; 18 victims in the quarter"
    assert conference.rag is Rag.RED


def test_figures_need_the_figures_permission(world):
    for role in (Role.PSG_MEMBER, Role.PARTNER, Role.LICENSING_OFFICER):
        with pytest.raises(PermissionDenied):
            sla_reports.quarter_figures(make_user(role=role), make_quarter(2026, 2), LATER)
    analyst = make_user(role=Role.ANALYST)
    assert sla_reports.quarter_figures(analyst, make_quarter(2026, 2), LATER).kinds


# --- The trend --------------------------------------------------------------------------


def test_the_trend_gives_each_kinds_rate_per_quarter_in_one_query(world):
    on = {"case": world["case"], "person": world["victim"]}
    make_clock(**on, started_at=utc(2026, 1, 15), outcome=MET)  # Q4 2025/26
    make_clock(**on, started_at=utc(2026, 1, 16), outcome=MET_LATE)
    make_clock(**on, started_at=utc(2026, 5, 1), outcome=MET)  # Q1
    make_clock(**on, started_at=utc(2026, 5, 1), kind=REDUCE, outcome=MET_LATE)
    make_clock(**on, started_at=utc(2026, 10, 1), outcome=MET)  # Q3 2026/27
    make_clock(**on, started_at=utc(2025, 12, 31), outcome=MET_LATE)  # before the four quarters
    quarters = previous_quarters(make_quarter(2026, 3), 4)
    with recorded_statements(db.session.get_bind().engine) as statements:
        points = sla_reports.trend(world["manager"], quarters, LATER)
    assert len(statements) == 1
    assert [p.quarter.key for p in points] == ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]
    assert [p.kinds[CONFERENCE].rate for p in points] == [50.0, 100.0, None, 100.0]
    assert [p.kinds[REDUCE].rate for p in points] == [None, 0.0, None, None]


def test_the_dashboard_gets_the_quarters_figures_and_the_trend_in_one_query(world):
    on = {"case": world["case"], "person": world["victim"]}
    make_clock(**on, started_at=utc(2026, 5, 1), outcome=MET)
    make_clock(**on, started_at=utc(2026, 8, 1), outcome=MET_LATE)
    make_clock(**on, started_at=utc(2026, 8, 2), kind=REDUCE, outcome=STOPPED)
    chosen = make_quarter(2026, 2)
    quarters = previous_quarters(chosen, 4)
    with recorded_statements(db.session.get_bind().engine) as statements:
        figures, points = sla_reports.figures_and_trend(world["manager"], chosen, quarters, LATER)
    assert len(statements) == 1
    assert figures == sla_reports.quarter_figures(world["manager"], chosen, LATER)
    rates = lambda trend: [(p.quarter, [(f.met, f.counted, f.rate) for f in p.kinds.values()]) for p in trend]  # noqa: E731
    assert rates(points) == rates(sla_reports.trend(world["manager"], quarters, LATER))
    assert (figures.kinds[0].victims, figures.kinds[0].met_late, figures.kinds[1].stopped) == (1, 1, 1)


# --- Now: overdue and due soon, by agency -----------------------------------------------


@pytest.fixture
def backlog(world, monkeypatch):
    """Five overdue clocks on a council case, two due soon and one pending on a police
    case; only three rows may be listed."""
    monkeypatch.setattr(sla_reports, "NOW_ROWS", 3)
    now = utc(2026, 11, 10, 9, 0)
    police = make_agency(name="Cambridgeshire Constabulary")
    police_case = make_case(lead_agency=police, opened_by=make_user(agency=police))
    witness = make_person(created_by=world["manager"], first_name="Walter", last_name="Pennington")
    add_party(case=police_case, person=witness, role=PartyRole.VICTIM)
    council = [
        make_clock_due(case=world["case"], person=world["victim"], due_at=now - timedelta(hours=h))
        for h in (5, 1, 30, 2, 4)
    ]
    soon = [
        make_clock_due(case=police_case, person=witness, due_at=now + timedelta(hours=h), kind=REDUCE) for h in (20, 3)
    ]
    make_clock_due(case=police_case, person=witness, due_at=now + timedelta(hours=30))
    make_clock(case=police_case, person=witness, started_at=now - timedelta(days=2), outcome=MET)
    return {**world, "now": now, "police": police, "police_case": police_case, "council_clocks": council, "soon": soon}


def test_now_view_counts_every_clock_by_agency_but_lists_only_the_most_overdue(backlog):
    view = sla_reports.now_view(backlog["manager"], backlog["now"])
    assert [(g.agency_name, g.overdue, g.due_soon) for g in view.agencies] == [
        ("Fenland District Council", 5, 0),
        ("Cambridgeshire Constabulary", 0, 2),
    ]
    assert (view.overdue, view.due_soon, view.total, view.listed) == (5, 2, 7, 3)
    council, police = view.agencies
    assert [row.due_at for row in council.rows] == [backlog["now"] - timedelta(hours=h) for h in (30, 5, 4)]
    assert all(row.status.value == "overdue" for row in council.rows)
    assert police.rows == []
    assert council.rows[0].reference == backlog["case"].reference
    assert council.rows[0].victim_name == "Vera Quillfeather"


def test_now_view_lists_due_soon_clocks_soonest_first(backlog, monkeypatch):
    monkeypatch.setattr(sla_reports, "NOW_ROWS", 200)
    police = sla_reports.now_view(backlog["manager"], backlog["now"]).agencies[1]
    assert [(row.kind, row.due_at, row.status.value) for row in police.rows] == [
        (REDUCE, backlog["now"] + timedelta(hours=3), "due_soon"),
        (REDUCE, backlog["now"] + timedelta(hours=20), "due_soon"),
    ]


def test_analysts_get_the_counts_and_no_query_touches_names_or_references(backlog):
    analyst = make_user(role=Role.ANALYST, agency=backlog["council"])
    with recorded_statements(db.session.get_bind().engine) as statements:
        view = sla_reports.now_view(analyst, backlog["now"])
    assert [(g.overdue, g.due_soon) for g in view.agencies] == [(5, 0), (0, 2)]
    assert not view.named and view.listed == 0
    assert all(group.rows == [] for group in view.agencies)
    assert not any("people" in statement or "reference" in statement for statement in statements)


def test_a_chair_sees_names_only_on_cases_their_agency_sees_in_full(backlog, monkeypatch):
    """A stub shows no victim's name; a restricted stub does not even show the reference
    next to a clock, which would tell that it has a high-risk victim."""
    monkeypatch.setattr(sla_reports, "NOW_ROWS", 200)
    now = backlog["now"]
    housing = make_agency(name="Roddons Housing Association")
    hidden = make_case(lead_agency=housing, opened_by=make_user(agency=housing), restricted=True)
    victim = make_person(created_by=backlog["manager"], first_name="Rhoda", last_name="Sealstone")
    add_party(case=hidden, person=victim)
    make_clock_due(case=hidden, person=victim, due_at=now - timedelta(hours=50))
    chair = make_user(role=Role.PSG_CHAIR, agency=backlog["police"])

    view = sla_reports.now_view(chair, now)
    rows = {group.agency_name: group.rows for group in view.agencies}
    assert [(r.reference, r.victim_name) for r in rows["Roddons Housing Association"]] == [(None, None)]
    assert {(r.reference, r.victim_name) for r in rows["Fenland District Council"]} == {
        (backlog["case"].reference, None)
    }
    assert {(r.reference, r.victim_name) for r in rows["Cambridgeshire Constabulary"]} == {
        (backlog["police_case"].reference, "Walter Pennington")
    }


def test_now_view_refuses_users_without_the_figures_permission(backlog):
    with pytest.raises(PermissionDenied):
        sla_reports.now_view(make_user(role=Role.PARTNER), backlog["now"])


# --- The export ---------------------------------------------------------------------------


def test_export_rows_list_the_quarters_clocks_without_names_and_are_audited(world):
    on = {"case": world["case"], "person": world["victim"]}
    make_clock(**on, started_at=utc(2026, 7, 6, 9, 0), outcome=MET, met_at=utc(2026, 7, 7, 15, 30))
    make_clock(
        **on,
        started_at=utc(2026, 8, 1, 10, 0),
        kind=REDUCE,
        outcome=STOPPED,
        stopped_at=utc(2026, 8, 2, 8, 0),
        stop_reason="Case closed: Vera Quillfeather moved to Leeds",
    )
    make_clock(
        **on,
        started_at=utc(2026, 9, 1, 10, 0),
        outcome=OVERDUE_AT_CLOSING,
        stopped_at=utc(2026, 9, 5, 10, 0),
        stop_reason="Victim removed from the case: moved",
    )
    make_clock(**on, started_at=utc(2026, 6, 1, 10, 0))  # Q1: not exported
    rows = sla_reports.export_rows(world["manager"], make_quarter(2026, 2), LATER)
    assert rows == [
        sla_reports.EXPORT_HEADER,
        (
            world["case"].reference,
            "Fenland District Council",
            str(world["victim"].id),
            "Case conference within 72 hours",
            "2026-07-06T10:00+01:00",
            "2026-07-09T10:00+01:00",
            "2026-07-07T16:30+01:00",
            "Met",
            "",
        ),
        (
            world["case"].reference,
            "Fenland District Council",
            str(world["victim"].id),
            "Risk brought down to medium within 7 days",
            "2026-08-01T11:00+01:00",
            "2026-08-08T11:00+01:00",
            "2026-08-02T09:00+01:00",
            "Stopped",
            "Case closed",
        ),
        (
            world["case"].reference,
            "Fenland District Council",
            str(world["victim"].id),
            "Case conference within 72 hours",
            "2026-09-01T11:00+01:00",
            "2026-09-04T11:00+01:00",
            "2026-09-05T11:00+01:00",
            "Overdue at closing",
            "Victim removed from the case",
        ),
    ]
    assert "Quillfeather" not in repr(rows)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "sla.exported")).one()
    assert (event.actor_id, event.detail) == (world["manager"].id, {"quarter": "2026-Q2", "rows": 3})


@pytest.mark.parametrize("role", [Role.PSG_CHAIR, Role.ANALYST, Role.PSG_MEMBER])
def test_only_managers_and_admins_may_export(world, role):
    with pytest.raises(PermissionDenied):
        sla_reports.export_rows(make_user(role=role), make_quarter(2026, 2), LATER)
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "sla.exported")).first() is None


def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_are_made_inert():
    text = sla_reports.to_csv([("=1+2", "+44 7700", "-3", "@SUM(A1)", "\tx", "plain", 'say "hi", then go')])
    assert text == '\'=1+2,\'+44 7700,\'-3,\'@SUM(A1),\'\tx,plain,"say ""hi"", then go"\r\n'
