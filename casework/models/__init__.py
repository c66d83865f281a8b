"""All models, imported here so Alembic sees the whole metadata."""

from casework.models.agency import Agency, AgencyKind
from casework.models.audit import AuditEvent
from casework.models.case import (
    Case,
    CaseAgency,
    CaseParty,
    CaseReferenceCounter,
    CaseStatus,
    CaseType,
    PartyRole,
)
from casework.models.note import Note, NoteKind
from casework.models.person import Person
from casework.models.user import User

__all__ = [
    "Agency",
    "AgencyKind",
    "AuditEvent",
    "Case",
    "CaseAgency",
    "CaseParty",
    "CaseReferenceCounter",
    "CaseStatus",
    "CaseType",
    "Note",
    "NoteKind",
    "PartyRole",
    "Person",
    "User",
]
