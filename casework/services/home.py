"""'My work': the first page each user sees."""

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, joinedload

from casework import db
from casework.models import Case, CaseStatus, Note, User
from casework.permissions import Permission
from casework.policy import can, involved_clause

RECENT = 10


@dataclass
class MyWork:
    open_cases: list[Case] = field(default_factory=list)
    open_case_count: int = 0
    recent_notes: list[Note] = field(default_factory=list)


def my_work(actor: User) -> MyWork:
    """My agency's open cases and the latest timeline entries on them."""
    work = MyWork()
    if not (can(actor, Permission.CASE_VIEW_INVOLVED) or can(actor, Permission.CASE_VIEW_ANY)):
        return work
    mine = (Case.status == CaseStatus.OPEN, involved_clause(actor))
    work.open_case_count = db.session.scalar(select(func.count(Case.id)).where(*mine)) or 0
    work.open_cases = list(
        db.session.scalars(
            select(Case)
            .where(*mine)
            .options(joinedload(Case.lead_agency))
            .order_by(Case.opened_at.desc(), Case.id.desc())
            .limit(RECENT)
        )
    )
    work.recent_notes = list(
        db.session.scalars(
            select(Note)
            .join(Case, Case.id == Note.case_id)
            .where(involved_clause(actor))
            .options(joinedload(Note.author), contains_eager(Note.case))
            .order_by(Note.created_at.desc(), Note.id.desc())
            .limit(RECENT)
        )
    )
    return work
