"""Every feature's models, imported together so that the metadata Alembic compares and
the mappers' relationships between features see the whole schema."""

from casework.accounts import models as accounts
from casework.actions import models as actions
from casework.agencies import models as agencies
from casework.audit import models as audit
from casework.cases import models as cases
from casework.meetings import models as meetings
from casework.notifications import models as notifications
from casework.people import models as people
from casework.plan import models as plan
from casework.premises import models as premises
from casework.referrals import models as referrals
from casework.victims import models as victims

FEATURE_MODELS = (
    accounts,
    actions,
    agencies,
    audit,
    cases,
    meetings,
    notifications,
    people,
    plan,
    premises,
    referrals,
    victims,
)
