"""The agenda is ranked in one statement; on SQLite each of its reasons is read from an
index, starting from what qualifies rather than from every case, action or party (scans
that took seconds at county scale: docs/performance.md, "The PSG agenda at county
scale"). A case's high-risk victim and its first live action's due day are kept on the
case, so neither its parties, its assessments nor the live actions are walked; nor are
the open clocks, since when its first open clock falls due is kept on the case too."""

from datetime import timedelta

from casework import db
from casework.clock import utcnow
from casework.meetings.services import agenda
from casework.permissions import Role
from tests.factories import make_agency, make_psg_meeting, make_user
from tests.support.plans import as_at_county_scale, plan_of, sent_statements

# What ANALYZE recorded about the parties of the benchmark's county (265,015 parties of
# 100,000 cases) and its cases flagged for review: the planner chooses by these.
PARTIES_AND_FLAGS = {
    ("case_parties", "ix_case_parties_case_id"): "265015 3",
    ("case_parties", "ix_case_parties_person_id"): "265015 1",
    ("case_parties", "sqlite_autoindex_case_parties_1"): "265015 3 1 1",
    ("case_parties", "ix_case_parties_case_id_role_removed_at"): "265015 3 2 2 1",
    ("cases", "ix_cases_agenda_flagged"): "100000 50000 33353 16677 5 1 1",
    ("cases", "ix_cases_agenda_by_action_day"): "100057 50029 25015 22 1 1",
    ("cases", "ix_cases_agenda_by_clock_due_at"): "100057 50029 25015 69 17 1",
    ("cases", "ix_cases_agenda_by_reference"): "100057 50029 25015 1 1 1",
    ("sla_clocks", "ix_sla_clocks_due_now"): "100050 25013 1 1 1",
    ("sla_clocks", "ix_sla_clocks_case_id_person_id"): "100050 3 3",
}

TABLES = ("actions", "cases", "case_parties", "risk_assessments", "sla_clocks", "referrals")


def test_every_reason_is_read_from_an_index(app, session):
    chair = make_user(role=Role.PSG_CHAIR, agency=make_agency())
    meeting = make_psg_meeting(chair=chair, held_at=utcnow() + timedelta(days=2))
    connection = db.session.connection()
    as_at_county_scale(connection)
    for (table, index), stat in PARTIES_AND_FLAGS.items():
        connection.exec_driver_sql("DELETE FROM sqlite_stat1 WHERE tbl = ? AND idx = ?", (table, index))
        connection.exec_driver_sql("INSERT INTO sqlite_stat1 VALUES (?, ?, ?)", (table, index, stat))
    connection.exec_driver_sql("ANALYZE sqlite_schema")
    with sent_statements(app.extensions["casework.engine"], "candidates") as sent:
        agenda.pick(meeting, utcnow())
    [(statement, parameters)] = sent
    plan = plan_of(connection, statement, parameters)
    for step in (
        # The first of the open high-risk cases and of the others with an overdue action,
        # by the day it fell due, and how many there are, from the index alone.
        "SEARCH cases USING COVERING INDEX ix_cases_agenda_by_action_day"
        " (status=? AND high_risk_victim=? AND first_live_action_due_on<?)",
        # The first of those with an overdue clock, by when it fell due, from the index alone.
        "SEARCH cases USING COVERING INDEX ix_cases_agenda_by_clock_due_at"
        " (status=? AND high_risk_victim=? AND first_open_clock_due_at<?)",
        # The high-risk ones without anything overdue, in reference order from the index.
        "SEARCH cases USING COVERING INDEX ix_cases_agenda_by_reference (status=? AND high_risk_victim=?)",
        # The flagged open cases, without reading the open ones.
        "SEARCH cases USING COVERING INDEX ix_cases_agenda_flagged (psg_review=? AND status=?)",
    ):
        assert step in plan, plan
    assert not [step for step in plan if step.startswith(tuple(f"SCAN {table}" for table in TABLES))], plan
    # Neither parties nor assessments are read; actions only by case, to count the
    # overdue ones of the cases returned.
    read = [step for step in plan if step.startswith(("SEARCH", "SCAN"))]
    assert not [step for step in read if " case_parties " in step or " risk_assessments " in step], plan
    assert [step for step in read if " actions " in step] == [
        "SEARCH actions USING COVERING INDEX ix_actions_case_id_status_due_on (case_id=? AND status=? AND due_on<?)"
    ], plan
    # The clocks only of the cases chosen, by case, for their kinds: not every overdue
    # clock, nor the candidates' (they are ranked by the first clock's time kept on the case).
    assert [step for step in read if " sla_clocks " in step] == [
        "SEARCH sla_clocks USING INDEX ix_sla_clocks_case_id_person_id (case_id=?)"
    ], plan
    # The accepted referrals twice: which they are, and the chosen cases' words (when
    # each was accepted); not again for every candidate.
    assert len([step for step in read if " referrals " in step]) == 2, plan
