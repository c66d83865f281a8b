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
from casework.models.meeting import AttendanceStatus, Meeting, MeetingAttendance, MeetingKind
from casework.models.note import Note, NoteKind
from casework.models.person import Person
from casework.models.premises import (
    AccreditationChange,
    AccreditationField,
    HearingKind,
    HearingOutcome,
    IncidentCategory,
    IncidentSeverity,
    IncidentSource,
    LicensingHearing,
    Premises,
    PremisesIncident,
    PremisesKind,
    PremisesStatusChange,
    PremisesVisit,
    TlsStatus,
    VisitKind,
    VisitResult,
)
from casework.models.risk import RiskAssessment, RiskLevel, RiskMatrix
from casework.models.sla import ClockKind, ClockOutcome, ClockStatus, SlaClock, SlaStop
from casework.models.user import User

__all__ = [
    "AccreditationChange",
    "AccreditationField",
    "Agency",
    "AgencyKind",
    "AttendanceStatus",
    "AuditEvent",
    "Case",
    "CaseAgency",
    "CaseParty",
    "CaseReferenceCounter",
    "CaseStatus",
    "CaseType",
    "ClockKind",
    "ClockOutcome",
    "ClockStatus",
    "HearingKind",
    "HearingOutcome",
    "IncidentCategory",
    "IncidentSeverity",
    "IncidentSource",
    "LicensingHearing",
    "Meeting",
    "MeetingAttendance",
    "MeetingKind",
    "Note",
    "NoteKind",
    "PartyRole",
    "Person",
    "Premises",
    "PremisesIncident",
    "PremisesKind",
    "PremisesStatusChange",
    "PremisesVisit",
    "RiskAssessment",
    "RiskLevel",
    "RiskMatrix",
    "SlaClock",
    "SlaStop",
    "TlsStatus",
    "User",
    "VisitKind",
    "VisitResult",
]
