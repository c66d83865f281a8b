"""Roles and permissions as enums, with no other imports, so models can use them."""

from enum import StrEnum


class Role(StrEnum):
    PSG_MEMBER = "psg_member"
    PSG_CHAIR = "psg_chair"
    LICENSING_OFFICER = "licensing_officer"
    MANAGER = "manager"
    PARTNER = "partner"
    ANALYST = "analyst"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.PSG_MEMBER: "PSG member",
    Role.PSG_CHAIR: "PSG chair",
    Role.LICENSING_OFFICER: "Licensing officer",
    Role.MANAGER: "Community safety manager",
    Role.PARTNER: "Partner practitioner",
    Role.ANALYST: "Analyst",
    Role.ADMIN: "Administrator",
}


class Permission(StrEnum):
    # Cases: reading
    CASE_LIST = "case.list"  # the case list at all
    CASE_VIEW_INVOLVED = "case.view_involved"  # full view where my agency is involved
    CASE_VIEW_ANY = "case.view_any"  # full view of every case in the partnership
    CASE_VIEW_STUB = "case.view_stub"  # stub view of the cases I cannot fully see
    CASE_REQUEST_ACCESS = "case.request_access"
    # Deciding requests for access (policy.decides_access_request_clause says which)
    ACCESS_REQUEST_DECIDE = "case.access_request_decide"
    # Cases: writing (always on a case I can fully see)
    CASE_OPEN = "case.open"
    CASE_EDIT = "case.edit"
    CASE_NOTE = "case.note"
    CASE_ADD_PERSON = "case.add_person"
    CASE_ADD_AGENCY = "case.add_agency"
    CASE_SHARE = "case.share"  # share a case my agency works on with another agency, with a reason
    CASE_CLOSE = "case.close"
    CASE_CLOSE_ANY = "case.close_any"  # close or reopen a case my agency does not lead
    CASE_REMOVE_PERSON = "case.remove_person"
    # Lifting a case's restriction: on a case my agency leads; on any case
    CASE_UNRESTRICT = "case.unrestrict"
    CASE_UNRESTRICT_ANY = "case.unrestrict_any"
    # Victims' risk and the SLA clocks (always on a case I can fully see)
    RISK_ASSESS = "risk.assess"
    CONFERENCE_RECORD = "conference.record"
    # The SLA dashboard: named cases, or only the partnership's figures; CSV export
    SLA_VIEW = "sla.view"
    SLA_VIEW_FIGURES = "sla.view_figures"
    SLA_EXPORT = "sla.export"
    # The partnership's figures (counts only, never a person) and their CSV files
    REPORTS_VIEW = "reports.view"
    # Licensed premises: the traffic light register, changing it, the TLS report and its CSV
    PREMISES_VIEW = "premises.view"
    PREMISES_EDIT = "premises.edit"
    PREMISES_REPORT = "premises.report"
    PREMISES_EXPORT = "premises.export"
    # Multi-agency actions: creating one on a subject I see in full; my agency's inbox
    # (seeing and updating the actions it owes); the partnership's overdue actions
    ACTION_CREATE = "action.create"
    ACTION_INBOX = "action.inbox"
    ACTION_VIEW_OVERDUE = "action.view_overdue"
    # PSG meetings: seeing them (agenda items as the viewer may see their cases), running them
    MEETING_VIEW = "meeting.view"
    MEETING_RUN = "meeting.run"
    # Referrals: making one (any agency), deciding them (the chair)
    REFERRAL_MAKE = "referral.make"
    REFERRAL_DECIDE = "referral.decide"
    # The partnership delivery plan
    PLAN_VIEW = "plan.view"
    PLAN_EDIT = "plan.edit"
    PLAN_EXPORT = "plan.export"
    # Contact details of victims and witnesses (address, phone, e-mail, date of birth)
    CONTACT_DETAILS_VIEW = "contact_details.view"
    # Data protection: a subject access export of everything about a person; legal holds
    # that keep a case out of the retention run
    SUBJECT_ACCESS = "data.subject_access"
    LEGAL_HOLD = "data.legal_hold"
    # Administration
    AUDIT_VIEW = "audit.view"
    USER_MANAGE = "user.manage"
    AGENCY_MANAGE = "agency.manage"
    NOTIFICATION_MANAGE = "notification.manage"  # the outbox: what failed, sending it again
