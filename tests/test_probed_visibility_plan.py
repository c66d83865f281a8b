"""Lists that stop after a few rows check visibility row by row on PostgreSQL.

A correlated EXISTS that PostgreSQL may rewrite as a hashed IN is answered, when the
planner expects to read many rows, by hashing every case the user's agency is involved
in (50,000 at county scale) before the first row: 40 to 100 ms for a page of 25
notifications or the ten open cases near a referral, where probing each row read takes
a millisecond (docs/performance.md, "Third round: My work, notifications, referrals").
Here each probe is made to look dear, so the planner hashes wherever the SQL lets it."""

import re

import pytest
import sqlalchemy as sa

from casework import db
from casework.notifications import inbox
from casework.notifications.models import Notification, NotificationKind
from casework.permissions import Role
from casework.referrals import services as referrals
from tests.factories import make_agency, make_case, make_referral, make_user
from tests.support.plans import postgresql_plan_with_dear_probes, sent_statements

pytestmark = pytest.mark.postgresql_only


def plan_of_call(app, call, containing: str) -> str:
    with sent_statements(app.extensions["casework.engine"], containing) as sent:
        call()
    [(statement, parameters)] = sent
    return postgresql_plan_with_dear_probes(db.session.connection(), statement, parameters)


def hashed_subplans_over(plan: str, table: str) -> list[str]:
    """The subplans hashed whole that read ``table``."""
    blocks = re.split(r"(?m)^\s*(?=SubPlan \d+$)", plan)
    reads = re.compile(rf" on (public\.)?{table} ")
    numbers = [block.split()[1] for block in blocks[1:] if reads.search(block.split("SubPlan", 2)[1])]
    return [number for number in numbers if f"hashed SubPlan {number})" in plan]


def test_a_users_notifications_probe_each_row_for_its_case(app, session):
    agency = make_agency()
    member = make_user(agency=agency)
    case = make_case(lead_agency=agency, opened_by=member)
    # Enough of them that the planner expects to read thousands of rows.
    row = {"user_id": member.id, "kind": NotificationKind.CLOCK_OVERDUE, "link": "/x", "case_id": case.id}
    db.session.execute(sa.insert(Notification), [row] * 3000)
    db.session.commit()
    db.session.connection().exec_driver_sql("ANALYZE notifications")
    plan = plan_of_call(app, lambda: inbox.notifications_page(member, page=1, per_page=25), "ORDER BY")
    assert "case_agencies" in plan, plan
    assert "hashed SubPlan" not in plan, plan


def test_the_open_cases_near_a_referral_probe_each_case(app, session):
    council = make_agency()
    chair = make_user(role=Role.PSG_CHAIR, agency=council)
    make_case(lead_agency=council, opened_by=chair, town="Wisbech")
    referral = make_referral(referrer=make_user(role=Role.PARTNER), address="4 Mill Lane, Wisbech", postcode="pe13 2aa")
    plan = plan_of_call(app, lambda: referrals.nearby_open_cases(chair, referral), "LIMIT")
    assert "case_agencies" in plan, plan
    assert hashed_subplans_over(plan, "case_agencies") == [], plan
