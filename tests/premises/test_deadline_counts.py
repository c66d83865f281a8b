"""The count of premises past a deadline and of those with one due soon (My work, the
notifications, the traffic light report) agrees with the rules themselves, premises by
premises, for starts on either side of every cut-off: at a month's end, on the days the
clocks change, and at the end of the "due soon" window."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from casework import db
from casework.clock import add_days, add_months, utcnow
from casework.premises.models import Premises, PremisesVisit, TlsStatus, VisitKind, VisitResult
from casework.premises.services.tls_reports import deadline_counts
from casework.premises.services.tls_rules import TlsRules, deadlines
from tests.factories import build_premises, make_user

pytestmark = pytest.mark.both_databases

RULES = TlsRules()
# A visit due about when the colour is: the cut-offs of the two amber deadlines overlap.
CLOSE_RULES = TlsRules(amber_visit_days=90)
SOON = timedelta(days=14)
# Either side of a deadline: a day, a few hours (more than the hour the clocks move), a minute.
NEAR = [timedelta(days=-1), timedelta(hours=-3), timedelta(minutes=-1), timedelta(0)]
NEAR += [-offset for offset in NEAR[:-1]]

INSTANTS = [
    datetime(2026, 6, 10, 10, 30, tzinfo=UTC),  # an ordinary day
    datetime(2027, 2, 28, 10, 30, tzinfo=UTC),  # three months from the end of November clamps
    datetime(2026, 5, 31, 23, 30, tzinfo=UTC),  # 00:30 on 1 June in London
    datetime(2026, 10, 25, 0, 35, tzinfo=UTC),  # the morning the clocks go back
    datetime(2026, 3, 29, 1, 30, tzinfo=UTC),  # the morning the clocks go forward
    datetime(2026, 12, 17, 23, 59, tzinfo=UTC),  # the window ends on the last minute of a day
]


def _starts(now: datetime, rules: TlsRules) -> list[tuple[TlsStatus, datetime]]:
    """Starts whose deadline falls near ``now`` and near the end of the window, for each rule."""
    starts = []
    for instant in (now, now + SOON):
        months_ago = add_months(instant, -rules.red_to_amber_months)
        visit_due_from = add_days(instant, -rules.amber_visit_days)
        for offset in NEAR:
            starts.append((TlsStatus.RED, months_ago + offset))
            starts.append((TlsStatus.AMBER, months_ago + offset))
            starts.append((TlsStatus.AMBER, visit_due_from + offset))
    starts += [(TlsStatus.RED, now - timedelta(days=400)), (TlsStatus.AMBER, now - timedelta(days=1))]
    starts += [(TlsStatus.GREEN, now - timedelta(days=400))]
    return starts


def _expected(
    rows: list[tuple[TlsStatus, datetime, datetime | None]], now: datetime, rules: TlsRules
) -> tuple[int, int]:
    passed = due = 0
    for status, since, visited_at in rows:
        pending = [deadline for deadline in deadlines(status, since, visited_at, rules) if not deadline.met]
        if any(deadline.overdue(now) for deadline in pending):
            passed += 1
        elif any(deadline.due_at <= now + SOON for deadline in pending):
            due += 1
    return passed, due


@pytest.mark.parametrize("rules", [RULES, CLOSE_RULES], ids=["default rules", "close deadlines"])
@pytest.mark.parametrize("now", INSTANTS, ids=[instant.isoformat() for instant in INSTANTS])
def test_the_counts_agree_with_the_rules_premises_by_premises(session, now, rules):
    with time_machine.travel(now, tick=False):
        officer = make_user()
        rows: list[tuple[TlsStatus, datetime, datetime | None]] = []
        for number, (status, since) in enumerate(_starts(utcnow(), rules)):
            # Amber premises three ways: never visited, visited before turning amber
            # (which meets nothing), and visited since (which meets the visit deadline).
            for visited_at in (None, since - timedelta(days=2), since + timedelta(hours=1)):
                if visited_at is not None and status is not TlsStatus.AMBER:
                    continue
                premises = build_premises(name=f"Premises {number}", status=status, status_since=since)
                db.session.add(premises)
                db.session.flush()
                if visited_at is not None and visited_at <= now:
                    db.session.add(
                        PremisesVisit(
                            premises_id=premises.id,
                            kind=VisitKind.COMPLIANCE,
                            result=VisitResult.NOT_APPLICABLE,
                            officer_id=officer.id,
                            visited_at=visited_at,
                        )
                    )
                    rows.append((status, since, visited_at))
                else:
                    rows.append((status, since, None))
        db.session.commit()
        counts = deadline_counts(utcnow(), rules, until=utcnow() + SOON)
    passed, due = _expected(rows, now, rules)
    assert passed and due  # the instants do reach both sides
    assert (counts.passed, counts.due) == (passed, due)


def test_the_counts_keep_to_the_premises_asked_about(session):
    now = utcnow()
    for town in ("Wisbech", "March"):
        db.session.add(build_premises(town=town, status=TlsStatus.RED, status_since=now - timedelta(days=200)))
        db.session.add(build_premises(town=town, status=TlsStatus.AMBER, status_since=now - timedelta(days=20)))
    db.session.commit()
    counts = deadline_counts(now, RULES, until=now + SOON, also=Premises.town == "March")
    assert (counts.passed, counts.due) == (1, 1)
