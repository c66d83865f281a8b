"""What keeps the case reads constant as the casebook grows: SQLite's plans for the
restricted-case checks, the area choices and My work's latest notes (each must search
an index, never scan every case), and the open flag kept on each involvement."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from casework import db
from casework.accounts.models import User
from casework.actions.models import Action
from casework.agencies.models import Agency, AgencyKind
from casework.cases.models import Case, CaseAgency, CaseStatus, CaseType
from casework.cases.services import commands, pages
from casework.clock import today, utcnow
from casework.home.services.my_work import my_work
from casework.home.services.work_counts import work_counts
from casework.permissions import Role
from casework.policy import involved_clause
from casework.premises.services.tls_rules import TlsRules
from tests.conftest import alembic_config
from tests.factories import add_party, make_action, make_agency, make_case, make_note, make_person, make_user
from tests.support.databases import fresh_database

REVISION, BEFORE = "3fa1e52e66ea", "9b27d5e0c4a1"


def sent_statements(app, call: Callable[[], object], wanted: str) -> list[str]:
    return [statement for statement, _ in _sent(app, call, wanted)]


def sqlite_plans(app, call: Callable[[], object], wanted: str) -> list[str]:
    """SQLite's plan of each SELECT ``call`` sends whose text holds ``wanted``."""
    sent = _sent(app, call, wanted)
    connection = db.session.connection()
    assert connection.dialect.name == "sqlite"
    return [
        " | ".join(row[3] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))
        for statement, parameters in sent
    ]


def _sent(app, call: Callable[[], object], wanted: str) -> list[tuple[str, object]]:
    sent = []

    def keep(_conn, _cursor, statement, parameters, *_args):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")) and wanted in statement:
            sent.append((statement, parameters))

    engine = app.extensions["casework.engine"]
    event.listen(engine, "before_cursor_execute", keep)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    return sent


@pytest.fixture
def world(session):
    council, police = make_agency(), make_agency()
    member, officer = make_user(agency=council), make_user(agency=police)
    cases = [
        make_case(
            lead_agency=council if n % 2 else police, opened_by=member, restricted=n % 3 == 0, town=f"Town {n % 4}"
        )
        for n in range(12)
    ]
    person = make_person(created_by=member)
    for case in cases[:6]:
        add_party(case=case, person=person)
    for case in cases:
        make_note(case=case, author=member)
    action = make_action(case=cases[3], agency=council, created_by=member)  # restricted, the council's
    return {
        "council": council,
        "member": member,
        "officer": officer,
        "cases": cases,
        "person": person,
        "action": action,
    }


def test_a_persons_restricted_cases_are_found_through_their_parties(app, world):
    [plan] = sqlite_plans(
        app, lambda: pages.restricted_cases_of_person(world["member"], world["person"].id), "restricted"
    )
    assert "SCAN cases" not in plan, plan
    assert "USING INTEGER PRIMARY KEY" in plan and "ix_case_parties_person_id" in plan, plan
    found = pages.restricted_cases_of_person(world["member"], world["person"].id)
    # Restricted and led by the member's agency (an odd number): only case 3 of the six.
    assert [case.id for case in found] == [world["cases"][3].id]


def test_an_actions_restricted_case_is_found_by_its_key(app, world):
    [plan] = sqlite_plans(
        app, lambda: pages.restricted_case_of_action(world["member"], world["action"].id), "restricted"
    )
    assert "SCAN cases" not in plan, plan
    assert "USING INTEGER PRIMARY KEY" in plan, plan
    assert pages.restricted_case_of_action(world["member"], world["action"].id) == [world["cases"][3]]
    unrestricted = make_action(case=world["cases"][1], agency=world["council"], created_by=world["member"])
    assert pages.restricted_case_of_action(world["member"], unrestricted.id) == []
    assert db.session.get(Action, unrestricted.id) is not None


def test_the_area_choices_are_read_town_by_town_through_the_index(app, world):
    """For a chair, who may see more than their agency's cases (an agenda's)."""
    chair = make_user(agency=world["council"], role=Role.PSG_CHAIR)
    [plan] = sqlite_plans(app, lambda: pages.known_towns(chair), "town")
    assert "SCAN cases" not in plan, plan
    assert "ix_cases_town" in plan, plan
    # The council leads the odd-numbered cases, the police the even ones.
    assert pages.known_towns(chair) == ["Town 1", "Town 3"]


def test_a_members_area_choices_are_read_from_their_agencys_kept_counts(app, world):
    """A member sees in full exactly their agency's cases: the towns its counts hold."""
    [plan] = sqlite_plans(app, lambda: pages.known_towns(world["member"]), "town")
    assert "SCAN" not in plan and "cases" not in plan.replace("case_list_counts", ""), plan
    assert "case_list_counts USING PRIMARY KEY (agency_id=? AND town>?)" in plan, plan
    assert pages.known_towns(world["member"]) == ["Town 1", "Town 3"]
    assert pages.known_towns(world["officer"]) == ["Town 0", "Town 2"]


def test_my_works_latest_notes_are_read_newest_first_without_scanning_cases(app, world):
    member = world["member"]
    [plan] = sqlite_plans(app, lambda: my_work(member, TlsRules()), "FROM notes")
    assert "SCAN cases" not in plan and "BLOOM FILTER" not in plan, plan
    assert "ix_notes_created_at_id" in plan, plan
    # The agency's involvement is probed on each note's case: with the probe on the
    # joined case instead, SQLite at 100,000 cases first read every case into a Bloom
    # filter (docs/performance.md), a plan a test database too small for statistics
    # does not show.
    [statement] = sent_statements(app, lambda: my_work(member, TlsRules()), "FROM notes")
    assert "case_agencies.case_id = notes.case_id" in statement, statement


# --- The open flag on each involvement ---------------------------------------------


def mirrored() -> bool:
    """Whether every involvement's flag says what its case's status says."""
    rows = db.session.execute(select(CaseAgency.case_open, Case.status).join(Case, Case.id == CaseAgency.case_id))
    return all(case_open == (status is CaseStatus.OPEN) for case_open, status in rows)


def open_cases_counted(user) -> int:
    """My work's count of the agency's open cases, and the same counted from the cases."""
    counted = work_counts(user, frozenset(), sees_cases=True, now=utcnow(), today=today()).open_cases
    from_cases = db.session.scalar(
        select(func.count()).select_from(Case).where(Case.status == CaseStatus.OPEN, involved_clause(user))
    )
    assert counted == from_cases
    return counted


@pytest.mark.both_databases
def test_opening_closing_reopening_and_sharing_keep_the_open_flag(session):
    council, police, housing = make_agency(), make_agency(), make_agency()
    member, officer = make_user(agency=council), make_user(agency=police)
    manager = make_user(role=Role.MANAGER, agency=council)

    def open_one(title: str) -> Case:
        return commands.open_case(
            member,
            case_type=CaseType.VICTIM,
            title=title,
            summary="",
            lead_agency_id=police.id,
            district="",
            town="",
            ward="",
            restricted=False,
            reference_prefix="ASB",
        )

    first, second = open_one("Noise"), open_one("Graffiti")
    assert mirrored() and open_cases_counted(member) == open_cases_counted(officer) == 2
    commands.close_case(manager, first.reference, version=first.version, reason="Resolved")
    assert mirrored() and open_cases_counted(member) == 1
    commands.add_agency(manager, first.reference, agency_id=housing.id, reason="Same family")
    housing_user = make_user(agency=housing)
    assert mirrored() and open_cases_counted(housing_user) == 0
    commands.reopen_case(manager, first.reference, version=first.version, reason="Started again")
    assert mirrored() and open_cases_counted(housing_user) == 1 and open_cases_counted(member) == 2
    commands.add_agency(manager, second.reference, agency_id=housing.id, reason="Same street")
    assert mirrored() and open_cases_counted(housing_user) == 2


@pytest.fixture
def empty_database(database_url: str, tmp_path: Path) -> Iterator[str]:
    with fresh_database(database_url, tmp_path, prefix="casework_case_open") as url:
        yield url


@pytest.mark.both_databases
def test_the_migration_sets_the_flag_from_the_status_and_downgrades(empty_database):
    migrations = alembic_config(empty_database)
    command.upgrade(migrations, BEFORE)
    engine = db.make_engine(empty_database)
    names = ("case_id", "agency_id", "added_by_id", "added_at")
    involvements = sa.table("case_agencies", *(sa.column(name, CaseAgency.__table__.c[name].type) for name in names))
    # The cases table as it was at BEFORE: later columns are not there yet.
    case_columns = ("id", "reference", "case_type", "title", "summary", "status", "lead_agency_id", "district", "town",
                    "ward", "restricted", "opened_at", "opened_by_id", "version")  # fmt: skip
    cases = sa.table("cases", *(sa.column(name, Case.__table__.c[name].type) for name in case_columns))
    try:
        with Session(engine) as session, session.begin():
            agency = Agency(name="Fenland District Council", kind=AgencyKind.COUNCIL, statutory=True)
            session.add(agency)
            session.flush()
            user = User(email="o@example.test", name="O", agency_id=agency.id, role=Role.PSG_MEMBER, password_hash="x")
            session.add(user)
            session.flush()
            for number, status in enumerate((CaseStatus.OPEN, CaseStatus.CLOSED, CaseStatus.OPEN), start=1):
                case_id = session.execute(
                    cases.insert().values(
                        reference=f"ASB-2026-0000{number}", case_type=CaseType.VICTIM, title="Noise", summary="",
                        status=status, lead_agency_id=agency.id, district="", town="", ward="", restricted=False,
                        opened_at=utcnow(), opened_by_id=user.id, version=1,
                    ).returning(cases.c.id)
                ).scalar_one()  # fmt: skip
                session.execute(
                    involvements.insert().values(
                        case_id=case_id, agency_id=agency.id, added_by_id=user.id, added_at=utcnow()
                    )
                )
        command.upgrade(migrations, REVISION)
        with engine.connect() as connection:
            flags = connection.execute(sa.text("SELECT case_open FROM case_agencies ORDER BY case_id")).scalars()
            assert [bool(flag) for flag in flags] == [True, False, True]
        command.downgrade(migrations, BEFORE)
        with engine.connect() as connection:
            assert "case_open" not in {column["name"] for column in sa.inspect(connection).get_columns("case_agencies")}
            assert connection.execute(sa.text("SELECT count(*) FROM case_agencies")).scalar_one() == 3
    finally:
        engine.dispose()
