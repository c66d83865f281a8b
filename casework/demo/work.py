"""Demo partnership work: the delivery plan, the last and the next PSG meeting,
referrals in every state and multi-agency actions, all placed around ``now`` so that
every inbox has something overdue, something due this week and something later.

Each part has its own module, and they share casework.demo.shared. Every record goes
through the service a user's form calls, so the demo shows only what the system allows:
an action on a case goes to an agency involved in it, and the chair records minutes and
decisions only about cases their agency sees in full. Every officer and person is invented.
"""

import random
from datetime import datetime

from casework import db
from casework.accounts.models import User
from casework.agencies.models import Agency
from casework.demo.access import ask_for_access
from casework.demo.actions import load_actions
from casework.demo.delivery_plan import load_plan
from casework.demo.meetings import flag_for_review, load_next_meeting, load_past_meeting
from casework.demo.referrals import load_referrals_since
from casework.demo.shared import Work


def load_partnership_work(
    rng: random.Random, now: datetime, *, agencies: dict[str, Agency], staff: dict[str, User]
) -> None:
    """The plan, meetings, referrals and actions, around the cases and premises already loaded."""
    work = Work(rng, now, agencies, staff)
    load_plan(work)
    past = load_past_meeting(work)
    load_referrals_since(work, past)
    load_next_meeting(work, past)
    load_actions(work)
    flag_for_review(work)
    ask_for_access(work)
    db.session.flush()
