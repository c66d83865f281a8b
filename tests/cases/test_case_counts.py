"""The counts of cases by month, type and status that the database keeps beside the cases
(``case_counts``): right after every way a case is opened, closed, reopened or changed,
and the partnership's figures added up from them equal a count of the cases themselves."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from casework import db
from casework.cases.models import Case, CaseCount, CaseStatus, CaseType, PartyRole
from casework.cases.services import commands
from casework.clock import Quarter, make_quarter, previous_quarters, quarter_of, utcnow
from casework.home.services import figures
from casework.permissions import Role
from casework.referrals import services as referrals
from casework.referrals.services import NewCase, ReferredPerson
from tests.factories import make_agency, make_case, make_referral, make_user
from tests.support.kept_counts import assert_case_counts_kept, stretch

pytestmark = pytest.mark.both_databases


def counted(quarters: list[Quarter]) -> list[figures.CaseCounts]:
    """The figures worked out from the cases themselves, as they were before the counts."""
    rows = {
        (number, case_type, status): count
        for number, quarter in enumerate(quarters)
        for case_type, status, count in db.session.execute(
            select(Case.case_type, Case.status, func.count())
            .where(Case.opened_at >= quarter.start, Case.opened_at < quarter.end)
            .group_by(Case.case_type, Case.status)
        )
    }
    return [
        figures.CaseCounts(
            quarter,
            case_type,
            figures.shown(rows.get((number, case_type, CaseStatus.OPEN), 0)),
            figures.shown(rows.get((number, case_type, CaseStatus.CLOSED), 0)),
        )
        for number, quarter in enumerate(quarters)
        for case_type in CaseType
    ]


@pytest.fixture
def member(session):
    return make_user(agency=make_agency(name="Fenland District Council"))


def open_a_case(actor, case_type=CaseType.VICTIM):
    return commands.open_case(
        actor, case_type=case_type, title="Noise at night", summary="", lead_agency_id=actor.agency_id,
        district="", town="", ward="", restricted=False, reference_prefix="ASB",
    )  # fmt: skip


def test_opening_closing_and_reopening_cases_keep_the_counts(member):
    manager = make_user(agency=member.agency, role=Role.MANAGER)
    opened = [open_a_case(member, case_type) for case_type in (CaseType.VICTIM, CaseType.VICTIM, CaseType.PLACE)]
    assert_case_counts_kept()
    commands.close_case(manager, opened[0].reference, version=opened[0].version, reason="Resolved")
    commands.close_case(manager, opened[2].reference, version=opened[2].version, reason="Resolved")
    assert_case_counts_kept()
    commands.reopen_case(manager, opened[0].reference, version=opened[0].version, reason="It started again")
    assert_case_counts_kept()
    quarters = previous_quarters(quarter_of(utcnow()), 4)
    assert figures.cases_by_quarter(quarters) == counted(quarters)


def test_a_case_opened_from_a_referral_is_counted(member):
    chair = make_user(agency=member.agency, role=Role.PSG_CHAIR)
    referral = make_referral(referrer=member)
    referrals.accept_referral(
        chair, referral.id, version=referral.version, reference_prefix="ASB",
        new_case=NewCase(case_type=CaseType.FAMILY, title="Stones at windows", lead_agency_id=chair.agency_id),
        person=ReferredPerson(role=PartyRole.VICTIM),
    )  # fmt: skip
    assert_case_counts_kept()
    [(case_type, status, tally)] = db.session.execute(
        select(CaseCount.case_type, CaseCount.status, CaseCount.tally).where(CaseCount.tally > 0)
    ).all()
    assert (case_type, status, tally) == (CaseType.FAMILY, CaseStatus.OPEN, 1)


def test_bulk_inserts_changes_of_type_or_date_and_deletes_keep_the_counts(member):
    """Writes that go round the services (a bulk load, a data fix by hand) are counted too."""
    first = make_case(lead_agency=member.agency, opened_by=member, opened_at=datetime(2026, 3, 31, 23, 30, tzinfo=UTC))
    db.session.execute(
        sa.insert(Case),
        [
            {
                "reference": f"ASB-2026-7000{number}",
                "case_type": CaseType.PERPETRATOR,
                "title": "Loaded",
                "summary": "",
                "status": CaseStatus.CLOSED,
                "lead_agency_id": member.agency_id,
                "opened_at": datetime(2026, 1, 1, number, tzinfo=UTC),
                "opened_by_id": member.id,
                "version": 1,
            }  # fmt: skip
            for number in range(3)
        ],
    )
    assert_case_counts_kept()
    db.session.execute(sa.update(Case).where(Case.id == first.id).values(case_type=CaseType.PLACE))
    assert_case_counts_kept()
    db.session.execute(
        sa.update(Case).where(Case.id == first.id).values(opened_at=datetime(2026, 4, 1, 0, 30, tzinfo=UTC))
    )
    assert_case_counts_kept()
    db.session.execute(sa.delete(Case).where(Case.reference == "ASB-2026-70001"))
    assert_case_counts_kept()


def test_a_case_opened_either_side_of_a_quarter_starting_at_midnight_in_winter_or_summer(member):
    """Quarters start at local midnight: 00:00 UTC on 1 January, 23:00 UTC the day before
    in summer time. A case a moment either side is counted in its own quarter."""
    instants = []
    for quarter in (make_quarter(2026, 1), make_quarter(2026, 2), make_quarter(2026, 3), make_quarter(2026, 4)):
        instants += [quarter.start - timedelta(microseconds=1), quarter.start, quarter.end - timedelta(seconds=1)]
    for number, at in enumerate(instants):
        make_case(
            lead_agency=member.agency, opened_by=member, opened_at=at,
            case_type=list(CaseType)[number % len(CaseType)],
            status=CaseStatus.CLOSED if number % 2 else CaseStatus.OPEN,
        )  # fmt: skip
    assert_case_counts_kept()
    quarters = previous_quarters(make_quarter(2027, 1), 5)
    assert figures.cases_by_quarter(quarters) == counted(quarters)


def test_every_quarter_starts_where_a_stretch_starts():
    """The counts can only be added up into quarters if no quarter starts in the middle
    of a stretch: true of Europe/London, where local midnight is 00:00 or 23:00 UTC."""
    for year in range(2000, 2041):
        for number in range(1, 5):
            start = make_quarter(year, number).start
            assert stretch(start) == start, start


def test_the_migrated_database_keeps_the_counts_with_triggers(session):
    """A migration that copies `cases` on SQLite (batch mode) drops its triggers and must
    create them again: this fails if one forgets."""
    if db.session.get_bind().dialect.name == "postgresql":
        query = "SELECT tgname FROM pg_trigger WHERE tgrelid = 'cases'::regclass AND NOT tgisinternal"
        expected = {"case_counts_kept"}
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'cases'"
        expected = {"case_counts_insert", "case_counts_update", "case_counts_delete"}
    assert {name for (name,) in db.session.execute(sa.text(query))} >= expected
