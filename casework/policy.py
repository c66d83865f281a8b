"""Who may do what: the only module that decides access.

Two layers:
- the role's permission set (ROLE_PERMISSIONS), checked with ``can``/``authorize``;
- the object's relationship to the user's agency, expressed as SQL so that lists,
  counts and pages are filtered by the database, never row by row in Python.

A user who may not see an object gets NotFound, so its existence does not leak.
"""

from collections.abc import Iterable
from enum import StrEnum
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import QueryableAttribute

from casework.accounts.models import User
from casework.actions.models import Action
from casework.cases.models import AccessRequest, Case, CaseAgency, CaseParty, PartyRole
from casework.exceptions import NotFound, PermissionDenied
from casework.meetings.models import AgendaItem, Meeting, MeetingKind
from casework.notifications.models import Notification
from casework.people.models import Person
from casework.permissions import Permission, Role
from casework.premises.models import Premises
from casework.referrals.models import Referral

T = TypeVar("T")

P = Permission

_MEMBER = frozenset(
    {
        P.CASE_LIST,
        P.CASE_VIEW_INVOLVED,
        P.CASE_VIEW_STUB,
        P.CASE_REQUEST_ACCESS,
        P.CASE_OPEN,
        P.CASE_EDIT,
        P.CASE_NOTE,
        P.CASE_ADD_PERSON,
        P.CASE_CLOSE,
        P.CASE_REMOVE_PERSON,
        P.CASE_SHARE,
        P.RISK_ASSESS,
        P.CONFERENCE_RECORD,
        P.CONTACT_DETAILS_VIEW,
        P.ACTION_CREATE,
        P.ACTION_INBOX,
        P.MEETING_VIEW,
        P.REFERRAL_MAKE,
        P.PLAN_VIEW,
    }
)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.PSG_MEMBER: _MEMBER,
    Role.PSG_CHAIR: _MEMBER
    | {
        P.CASE_ADD_AGENCY,
        P.ACCESS_REQUEST_DECIDE,
        P.CASE_UNRESTRICT,
        P.SLA_VIEW,
        P.SLA_VIEW_FIGURES,
        P.PREMISES_VIEW,
        P.PREMISES_REPORT,
        P.MEETING_RUN,
        P.REFERRAL_DECIDE,
        P.PLAN_EDIT,
        P.PLAN_EXPORT,
    },
    Role.LICENSING_OFFICER: frozenset(
        {
            P.CASE_LIST,
            P.CASE_VIEW_INVOLVED,
            P.CASE_NOTE,
            P.CONTACT_DETAILS_VIEW,
            P.PREMISES_VIEW,
            P.PREMISES_EDIT,
            P.PREMISES_REPORT,
            P.ACTION_CREATE,
            P.ACTION_INBOX,
            P.REFERRAL_MAKE,
            P.PLAN_VIEW,
        }
    ),
    Role.MANAGER: frozenset(
        {
            P.CASE_LIST,
            P.CASE_VIEW_ANY,
            P.CASE_EDIT,
            P.CASE_NOTE,
            P.CASE_ADD_AGENCY,
            P.ACCESS_REQUEST_DECIDE,
            P.CASE_CLOSE,
            P.CASE_CLOSE_ANY,
            P.CASE_UNRESTRICT,
            P.CASE_UNRESTRICT_ANY,
            P.CONTACT_DETAILS_VIEW,
            P.AUDIT_VIEW,
            P.SLA_VIEW,
            P.SLA_VIEW_FIGURES,
            P.SLA_EXPORT,
            P.REPORTS_VIEW,
            P.PREMISES_VIEW,
            P.PREMISES_REPORT,
            P.PREMISES_EXPORT,
            P.ACTION_CREATE,
            P.ACTION_INBOX,
            P.ACTION_VIEW_OVERDUE,
            P.MEETING_VIEW,
            P.REFERRAL_MAKE,
            P.PLAN_VIEW,
            P.PLAN_EDIT,
            P.PLAN_EXPORT,
            P.SUBJECT_ACCESS,
            P.LEGAL_HOLD,
        }
    ),
    Role.PARTNER: frozenset({P.CASE_LIST, P.CASE_VIEW_INVOLVED, P.ACTION_INBOX, P.REFERRAL_MAKE, P.PLAN_VIEW}),
    Role.ANALYST: frozenset({P.SLA_VIEW_FIGURES, P.PREMISES_REPORT, P.REPORTS_VIEW}),
    Role.ADMIN: frozenset(
        {
            P.CASE_LIST,
            P.CASE_VIEW_ANY,
            P.CONTACT_DETAILS_VIEW,
            P.AUDIT_VIEW,
            P.USER_MANAGE,
            P.AGENCY_MANAGE,
            P.NOTIFICATION_MANAGE,
            P.SLA_VIEW,
            P.SLA_VIEW_FIGURES,
            P.SLA_EXPORT,
            P.REPORTS_VIEW,
            P.PREMISES_VIEW,
            P.PREMISES_EDIT,
            P.PREMISES_REPORT,
            P.PREMISES_EXPORT,
            P.ACTION_VIEW_OVERDUE,
            P.MEETING_VIEW,
            P.PLAN_VIEW,
            P.PLAN_EXPORT,
            P.SUBJECT_ACCESS,
            P.LEGAL_HOLD,
        }
    ),
}

# Contact details that partners never see for these parties (DESIGN.md section 1).
PROTECTED_PARTY_ROLES = frozenset({PartyRole.VICTIM, PartyRole.WITNESS})


# What each page needs, before any record is looked at: one of these permissions.
# SIGNED_IN pages are open to every signed-in user. Whether a role that may reach a
# page may see the particular record is then decided by the SQL helpers below. tests/test_route_permissions.py
# walks every route with every role against this table, and the app refuses to start
# with a route missing from it.
SIGNED_IN: frozenset[Permission] = frozenset()

ENDPOINT_PERMISSIONS: dict[str, frozenset[Permission]] = {
    endpoint: frozenset(needed)
    for endpoint, needed in {
        "auth.sign_out": (),
        "auth.change_password": (),
        "main.home": (),
        "notifications_inbox.index": (),
        "notifications_inbox.mark_all_read": (),
        # My work's "Victims needing action" in full: what its panel needs (WORK_PANEL_NEEDS).
        "main.victims_needing_action": (P.RISK_ASSESS,),
        "main.figures": (P.REPORTS_VIEW,),
        "main.sla_figures": (P.REPORTS_VIEW,),
        "main.premises_figures": (P.REPORTS_VIEW,),
        "main.actions_figures": (P.REPORTS_VIEW,),
        "main.cases_figures": (P.REPORTS_VIEW,),
        "cases.index": (P.CASE_LIST,),
        "cases.new": (P.CASE_OPEN,),
        "cases.detail": (P.CASE_VIEW_INVOLVED, P.CASE_VIEW_ANY, P.CASE_VIEW_STUB),
        "cases.add_note": (P.CASE_NOTE,),
        "cases.psg_review": (P.CASE_EDIT,),
        "cases.edit": (P.CASE_EDIT,),
        "cases.add_agency": (P.CASE_ADD_AGENCY, P.CASE_SHARE),
        "cases.close": (P.CASE_CLOSE,),
        "cases.reopen": (P.CASE_CLOSE,),
        "cases.request_access": (P.CASE_REQUEST_ACCESS,),
        "access_requests.index": (P.ACCESS_REQUEST_DECIDE,),
        "access_requests.grant": (P.ACCESS_REQUEST_DECIDE,),
        "access_requests.decline": (P.ACCESS_REQUEST_DECIDE,),
        "people.new": (P.CASE_ADD_PERSON,),
        "people.find": (P.CASE_ADD_PERSON,),
        "people.add_existing": (P.CASE_ADD_PERSON,),
        "people.detail": (P.CASE_VIEW_INVOLVED, P.CASE_VIEW_ANY),
        "victims.assess": (P.RISK_ASSESS,),
        "victims.history": (P.RISK_ASSESS,),
        "victims.record_conference": (P.CONFERENCE_RECORD,),
        "victims.remove_party": (P.CASE_REMOVE_PERSON,),
        "admin.users_index": (P.USER_MANAGE,),
        "admin.user_new": (P.USER_MANAGE,),
        "admin.user_edit": (P.USER_MANAGE,),
        "admin.user_deactivate": (P.USER_MANAGE,),
        "admin.user_reactivate": (P.USER_MANAGE,),
        "admin.agencies_index": (P.AGENCY_MANAGE,),
        "admin.agency_new": (P.AGENCY_MANAGE,),
        "admin.agency_edit": (P.AGENCY_MANAGE,),
        "admin.audit_log": (P.AUDIT_VIEW,),
        "sla.index": (P.SLA_VIEW_FIGURES,),
        "sla.due_now": (P.SLA_VIEW,),
        "sla.export": (P.SLA_EXPORT,),
        "premises.index": (P.PREMISES_VIEW,),
        # Members and partners see a premises through a linked case they see in full.
        "premises.detail": (P.PREMISES_VIEW, P.CASE_VIEW_INVOLVED),
        "premises.timeline": (P.PREMISES_VIEW, P.CASE_VIEW_INVOLVED),
        "premises.move_status": (P.PREMISES_EDIT,),
        "premises.record_incident": (P.PREMISES_EDIT,),
        "premises.record_visit": (P.PREMISES_EDIT,),
        "premises.record_hearing": (P.PREMISES_EDIT,),
        "premises.change_accreditation": (P.PREMISES_EDIT,),
        "tls_report.index": (P.PREMISES_REPORT,),
        "tls_report.export": (P.PREMISES_EXPORT,),
        "actions.index": (P.ACTION_INBOX,),
        "actions.overdue": (P.ACTION_VIEW_OVERDUE,),
        "actions.new": (P.ACTION_CREATE,),
        "actions.detail": (P.ACTION_INBOX, P.ACTION_CREATE, P.ACTION_VIEW_OVERDUE),
        "actions.update": (P.ACTION_INBOX,),
        "meetings.index": (P.MEETING_VIEW,),
        "meetings.detail": (P.MEETING_VIEW,),
        "meetings.more": (P.MEETING_VIEW,),
        "meetings.new": (P.MEETING_RUN,),
        "meetings.generate_agenda": (P.MEETING_RUN,),
        "meetings.move_item": (P.MEETING_RUN,),
        "meetings.drop_item": (P.MEETING_RUN,),
        "meetings.add_item": (P.MEETING_RUN,),
        "meetings.attendance": (P.MEETING_RUN,),
        "meetings.minutes": (P.MEETING_RUN,),
        "meetings.new_decision": (P.MEETING_RUN,),
        "meetings.finish": (P.MEETING_RUN,),
        "meetings.new_amendment": (P.MEETING_RUN,),
        "referrals.index": (P.REFERRAL_MAKE, P.REFERRAL_DECIDE),
        "referrals.new": (P.REFERRAL_MAKE,),
        "referrals.detail": (P.REFERRAL_MAKE, P.REFERRAL_DECIDE),
        "referrals.accept": (P.REFERRAL_DECIDE,),
        "referrals.decline": (P.REFERRAL_DECIDE,),
        "plan.index": (P.PLAN_VIEW,),
        "plan.detail": (P.PLAN_VIEW,),
        "plan.exceptions": (P.PLAN_VIEW,),
        "plan.export": (P.PLAN_EXPORT,),
        "plan.new_priority": (P.PLAN_EDIT,),
        "plan.edit_priority": (P.PLAN_EDIT,),
        "plan.new_action": (P.PLAN_EDIT,),
        "plan.edit_action": (P.PLAN_EDIT,),
        "plan.record_progress": (P.PLAN_EDIT,),
        # Security and data protection
        "auth.recovery_codes": (),
        "admin.user_sign_out_everywhere": (P.USER_MANAGE,),
        "admin.user_reset_two_factor": (P.USER_MANAGE,),
        "admin.user_temporary_password": (P.USER_MANAGE,),
        "cases.search": (P.CASE_LIST,),
        "cases.access_reason": (P.CASE_VIEW_INVOLVED, P.CASE_VIEW_ANY),
        "data_protection.subject_access": (P.SUBJECT_ACCESS,),
        "data_protection.subject_access_download": (P.SUBJECT_ACCESS,),
        "data_protection.legal_hold": (P.LEGAL_HOLD,),
        # Notifications
        "notification_preferences.edit": (),
        "notifications_admin.index": (P.NOTIFICATION_MANAGE,),
        "notifications_admin.retry": (P.NOTIFICATION_MANAGE,),
    }.items()
}


def works_with_figures_only(user: User) -> bool:
    """Whether the user sees the partnership's figures and no case at all (analysts):
    their home page is the figures."""
    return can(user, P.REPORTS_VIEW) and not (can(user, P.CASE_VIEW_INVOLVED) or can(user, P.CASE_VIEW_ANY))


def may_reach(user: User, endpoint: str) -> bool:
    """Whether the user's role may open this page at all (before the record is checked)."""
    needed = ENDPOINT_PERMISSIONS[endpoint]
    return user.active and (not needed or not needed.isdisjoint(ROLE_PERMISSIONS[user.role]))


def authorize_endpoint(user: User, endpoint: str) -> None:
    if not may_reach(user, endpoint):
        raise PermissionDenied(min(ENDPOINT_PERMISSIONS[endpoint]))


# Roles whose accounts can change who sees what: always a second factor at sign-in.
SECOND_FACTOR_ROLES = frozenset({Role.ADMIN, Role.MANAGER})


def needs_second_factor(user: User, require_for_all: bool) -> bool:
    """Whether signing in takes a TOTP code as well as the password (ASVS 6.3.3).

    Administrators and managers always; every role when the deployment requires it;
    anyone who has set one up keeps using it (say, after moving to another role).
    Never the demo accounts, whose password is published with the code."""
    if user.mfa_exempt:
        return False
    return require_for_all or user.role in SECOND_FACTOR_ROLES or user.totp_enrolled_at is not None


def can(user: User, permission: Permission) -> bool:
    return user.active and permission in ROLE_PERMISSIONS[user.role]


def authorize(user: User, permission: Permission) -> None:
    if not can(user, permission):
        raise PermissionDenied(permission)


def clauses_key(user: User) -> tuple[object, ...]:
    """Everything the SQL clauses below read of a user: a statement built from them for
    one user is right for any user with the same key, so callers may keep it."""
    return (user.id, user.agency_id, user.role, user.active)


# --- Cases -------------------------------------------------------------------------


def involved_clause(
    user: User, case_id: sa.SQLColumnExpression[int] = Case.id, *, per_row: bool = False
) -> ColumnElement[bool]:
    """True for cases the user's agency is involved in; ``case_id`` correlates it to
    another table's case (a note's), so a query over that table probes each of its rows
    instead of joining every case first.

    ``per_row`` for a list that stops after a few rows: PostgreSQL may otherwise answer
    the EXISTS by hashing every case the agency is involved in first (50,000 at county
    scale), which pays only when most rows are read. It does not rewrite an EXISTS whose
    query has an OFFSET, so each row is probed in the index on (case_id, agency_id)."""
    involved = select(CaseAgency.id).where(CaseAgency.case_id == case_id, CaseAgency.agency_id == user.agency_id)
    return probed(involved, per_row=per_row).exists()


def probed(query: Select[T], *, per_row: bool) -> Select[T]:
    """``query`` (for an EXISTS) as PostgreSQL probes per row: see involved_clause."""
    return query.offset(0) if per_row else query


def works_on_clause(user: User, *, per_row: bool = False) -> ColumnElement[bool]:
    """SQL truth of 'this user works on the case': their agency is involved in it, or
    their role reads every case. Changing a case needs this, not only the full view.
    ``per_row`` as for involved_clause."""
    if can(user, P.CASE_VIEW_ANY):
        return sa.true()
    if can(user, P.CASE_VIEW_INVOLVED):
        return involved_clause(user, per_row=per_row)
    return sa.false()


def full_view_clause(user: User, *, per_row: bool = False) -> ColumnElement[bool]:
    """SQL truth of 'this user sees the whole case': they work on it, or they chair an
    open PSG meeting with it on the agenda. ``per_row`` as for involved_clause."""
    if can(user, P.CASE_VIEW_ANY):
        return sa.true()
    return sa.or_(works_on_clause(user, per_row=per_row), chaired_agenda_clause(user))


def full_view_is_involvement(user: User) -> bool:
    """Whether the cases this user sees in full are exactly those their agency is
    involved in (full_view_clause is involved_clause alone): no role that reads every
    case, and no meetings to chair. Counts kept per agency hold for such a user."""
    return (
        can(user, P.CASE_LIST)
        and can(user, P.CASE_VIEW_INVOLVED)
        and not can(user, P.CASE_VIEW_ANY)
        and not can(user, P.MEETING_RUN)
    )


def listable_clause(user: User) -> ColumnElement[bool]:
    """SQL truth of 'this user sees at least the stub of this case'."""
    if can(user, P.CASE_VIEW_ANY) or can(user, P.CASE_VIEW_STUB):
        return sa.true()
    return full_view_clause(user)


def visible_cases(user: User) -> Select[Case, bool]:
    """Every case read starts here: (case, full_view) for the cases the user may list."""
    if not can(user, P.CASE_LIST):
        return select(Case, sa.false()).where(sa.false())
    full_view = full_view_clause(user).label("full_view")
    return select(Case, full_view).where(listable_clause(user))


def stub_safe(
    user: User, condition: ColumnElement[bool], *, shown_on_stub: bool, per_row: bool = False
) -> ColumnElement[bool]:
    """A list filter that cannot be used to learn what a stub hides.

    A filter on something the stub shows (case type) may match ordinary stubs but not
    restricted ones; a filter on something no stub shows (status, area, title) only
    matches cases the user sees in full. ``per_row`` as for involved_clause.
    """
    full_view = full_view_clause(user, per_row=per_row)
    if shown_on_stub:  # the column first: most cases are not restricted, and need no probe
        return sa.and_(condition, sa.or_(Case.restricted.is_(False), full_view))
    return sa.and_(condition, full_view)


def seen_on_case(user: User, column: sa.SQLColumnExpression[T], *, shown_on_stub: bool) -> ColumnElement[T | None]:
    """A column of a case (or of someone on it) as this user may see it, NULL otherwise:
    the full view shows everything; a stub shows what stubs show, unless restricted."""
    if shown_on_stub:
        return sa.case((sa.or_(full_view_clause(user), Case.restricted.is_(False)), column))
    return sa.case((full_view_clause(user), column))


def case_type_as_seen(user: User) -> ColumnElement[object]:
    """The case type as this user may see it, for sorting: blank on a restricted stub,
    so the order of the list does not give the hidden type away."""
    hidden = sa.and_(Case.restricted.is_(True), sa.not_(full_view_clause(user)))
    return sa.case((hidden, ""), else_=Case.case_type)


def case_permission_check(user: User, permission: Permission, case: Case, *, full_view: bool, works_on: bool) -> None:
    """Raise unless the user may do this to this case.

    Every change to a case needs the full view, and all but what a PSG meeting needs
    (MEETING_CHAIR_MAY) need the user to work on it (works_on_clause); closing a case
    another agency leads also needs CASE_CLOSE_ANY; sharing follows share_check.
    """
    if not full_view:
        raise NotFound("case", case.reference)
    if permission is P.CASE_SHARE:
        share_check(user, case, works_on=works_on)
        return
    authorize(user, permission)
    if not works_on and permission not in MEETING_CHAIR_MAY:
        raise PermissionDenied(permission)
    if permission is P.CASE_CLOSE and case.lead_agency_id != user.agency_id:
        authorize(user, P.CASE_CLOSE_ANY)


def may_on_case(user: User, permission: Permission, case: Case, *, full_view: bool, works_on: bool) -> bool:
    """The same decision as case_permission_check, for showing or hiding buttons."""
    try:
        case_permission_check(user, permission, case, full_view=full_view, works_on=works_on)
    except (NotFound, PermissionDenied):
        return False
    return True


# --- A case on the agenda of a PSG meeting --------------------------------------------

# What the chair of an open PSG meeting may do on a case seen only through its agenda:
# the meeting's own work (actions from its decisions, and bringing in the agency that
# is to do one). The case's record itself stays with the agencies working on it.
MEETING_CHAIR_MAY = frozenset({P.ACTION_CREATE, P.CASE_ADD_AGENCY})


def open_agendas_chaired(user: User) -> Select[int]:
    """Correlated to Case: the PSG meetings not yet finished that this user chairs and
    that have the case on their agenda."""
    return (
        select(Meeting.id)
        .join(AgendaItem, AgendaItem.meeting_id == Meeting.id)
        .where(
            AgendaItem.case_id == Case.id,
            Meeting.kind == MeetingKind.PSG_MEETING,
            Meeting.chair_id == user.id,
            Meeting.finished_at.is_(None),
        )
    )


def chaired_agenda_clause(user: User) -> ColumnElement[bool]:
    """SQL truth of 'this user chairs an open PSG meeting with the case on its agenda'.

    The chair sees such a case in full while the meeting is open, to minute it; a
    restricted case only where the chair's agency is involved (works_on_clause), so
    restricted cases never pass here."""
    if not (can(user, P.MEETING_RUN) and can(user, P.CASE_LIST)):
        return sa.false()
    return sa.and_(Case.restricted.is_(False), open_agendas_chaired(user).exists())


# --- Sharing a case with another agency ----------------------------------------------


def share_check(user: User, case: Case, *, works_on: bool) -> None:
    """Raise unless the user may share this case (seen in full) with another agency.

    A PSG member or chair of an agency working on it may share an ordinary case
    (CASE_SHARE); so may a chair or manager who sees it in full (CASE_ADD_AGENCY, a
    meeting's chair included). A restricted case only by the lead agency's chair or a
    manager."""
    if case.restricted:
        authorize(user, P.CASE_ADD_AGENCY)
        if not (can(user, P.CASE_VIEW_ANY) or (works_on and case.lead_agency_id == user.agency_id)):
            raise PermissionDenied(P.CASE_ADD_AGENCY)
        return
    if can(user, P.CASE_ADD_AGENCY) or (works_on and can(user, P.CASE_SHARE)):
        return
    raise PermissionDenied(P.CASE_SHARE)


def decides_access_request_clause(user: User) -> ColumnElement[bool]:
    """SQL truth of 'this user may see and decide this request for access' (correlated
    to AccessRequest): managers, for every case in the partnership; PSG chairs, for the
    cases their agency leads. Both may share any such case, restricted ones included
    (share_check), so whoever sees a request can grant it."""
    if not can(user, P.ACCESS_REQUEST_DECIDE):
        return sa.false()
    if can(user, P.CASE_VIEW_ANY):
        return sa.true()
    if user.agency_id is None:
        return sa.false()
    # The case's lead agency is kept on the request, so a chair's queue is one index range.
    return AccessRequest.lead_agency_id == user.agency_id


def access_request_deciders(case: Case) -> Select[User]:
    """The active users who may decide a request for access to this case (the same rule
    as decides_access_request_clause): told when someone asks."""
    roles = [role for role, granted in ROLE_PERMISSIONS.items() if P.ACCESS_REQUEST_DECIDE in granted]
    everywhere = [role for role in roles if P.CASE_VIEW_ANY in ROLE_PERMISSIONS[role]]
    return select(User).where(
        User.active.is_(True),
        User.role.in_(roles),
        sa.or_(User.role.in_(everywhere), User.agency_id == case.lead_agency_id),
    )


def needs_access_reason(case: Case, *, full_view: bool) -> bool:
    """Whether opening this case needs a stated reason first (DPA 2018 s.62: consultation
    of the most sensitive cases is logged with its justification). Only restricted cases
    seen in full: a stub shows nothing to justify."""
    return full_view and case.restricted


# --- Lifting a case's restriction ---------------------------------------------------


def may_lift_restriction(user: User, case: Case, *, full_view: bool) -> bool:
    """Whether the user may un-restrict this case, which shows its subject's name to every
    chair and member in the partnership: only the lead agency's chair, or a manager, on a
    case they may edit. Restricting is open to whoever may edit the case."""
    # A restricted case is seen in full only by those who work on it (never through a
    # meeting's agenda), so the full view is the working one here.
    if not may_on_case(user, P.CASE_EDIT, case, full_view=full_view, works_on=full_view):
        return False
    if can(user, P.CASE_UNRESTRICT_ANY):
        return True
    return can(user, P.CASE_UNRESTRICT) and case.lead_agency_id == user.agency_id


# --- People ------------------------------------------------------------------------


def visible_people(user: User) -> Select[Person]:
    """People on at least one case the user sees in full."""
    if can(user, P.CASE_VIEW_ANY):
        return select(Person)
    on_visible_case = (
        select(CaseParty.id)
        .join(Case, Case.id == CaseParty.case_id)
        .where(CaseParty.person_id == Person.id, full_view_clause(user))
        .exists()
    )
    return select(Person).where(on_visible_case)


# --- Licensed premises ---------------------------------------------------------------


def visible_premises(user: User, *, per_row: bool = False) -> Select[Premises]:
    """Premises are partnership-wide for those with PREMISES_VIEW; anyone else sees a
    premises only through a case linked to it that they see in full (need to know).
    ``per_row`` as for involved_clause."""
    if can(user, P.PREMISES_VIEW):
        return select(Premises)
    if not can(user, P.CASE_LIST):
        return select(Premises).where(sa.false())
    linked = select(Case.id).where(Case.premises_id == Premises.id, full_view_clause(user, per_row=per_row))
    return select(Premises).where(probed(linked, per_row=per_row).exists())


def sees_premises_in_full(user: User) -> bool:
    """Whether a premises' page shows its whole record. Those who work on the register do;
    anyone else sees a premises only through a case linked to it (visible_premises), and
    then without the free text written about its incidents, visits and decisions: the
    colour, deadlines and dates are what working the case needs."""
    return can(user, P.PREMISES_VIEW)


def sees_premises_case_links(user: User) -> bool:
    """Whether a premises' page lists who linked which case to it, and when. A link opens
    the premises to the case's agencies, so the licensing officers who keep the register
    see who has used one."""
    return can(user, P.PREMISES_EDIT)


# --- Actions, meetings, referrals ---------------------------------------------------


def action_subject_visible_clause(user: User) -> ColumnElement[bool]:
    """SQL truth of 'this user sees the action's subject in full'. Correlated, so each
    action costs one index probe rather than a list of every case the user sees.

    A premises' actions are seen in full by those who see the premises in full; someone
    who sees it only through a linked case sees their agency, dates and status on its
    page (action_timeline.subject_actions), not what they say.
    A meeting's action that came from a decision on a referral item is the referral's
    business: it is seen through its subject only by those who see the referral (its
    title and detail are the decision's words). An action from a case item is about
    the case, so the case's full view decides."""
    return sa.or_(
        select(Case.id).where(Case.id == Action.case_id, full_view_clause(user)).exists()
        if can(user, P.CASE_LIST)
        else sa.false(),
        # Through a linked case a premises is seen without its free text: its actions too.
        Action.premises_id.is_not(None) if sees_premises_in_full(user) else sa.false(),
        sa.and_(Action.meeting_id.is_not(None), action_origin_visible_clause(user))
        if can(user, P.MEETING_VIEW)
        else sa.false(),
        sa.and_(Action.plan_action_id.is_not(None), sa.true() if can(user, P.PLAN_VIEW) else sa.false()),
    )


def action_origin_visible_clause(user: User) -> ColumnElement[bool]:
    """SQL truth of 'the action came from no referral, or from one this user sees'."""
    seen = visible_referrals(user).with_only_columns(Referral.id).where(Referral.id == Action.referral_id)
    return sa.or_(Action.referral_id.is_(None), seen.exists())


def owes_action_clause(user: User, assigned: QueryableAttribute[int] | None = None) -> ColumnElement[bool]:
    """SQL truth of 'the action is owed by the user's agency' (their inbox); ``assigned``
    for a table that counts actions by agency (actions.models.LiveActionCount)."""
    if not can(user, P.ACTION_INBOX):
        return sa.false()
    return (Action.assigned_agency_id if assigned is None else assigned) == user.agency_id


def visible_actions(user: User) -> Select[Action]:
    """Actions the user sees: those their agency owes, and those on subjects they see in full."""
    return select(Action).where(sa.or_(owes_action_clause(user), action_subject_visible_clause(user)))


def assignable_users_clause() -> ColumnElement[bool]:
    """SQL truth of 'this user may be named on an action': active, in a role that works
    through an agency's inbox of actions."""
    roles = [role for role, granted in ROLE_PERMISSIONS.items() if P.ACTION_INBOX in granted]
    return sa.and_(User.active.is_(True), User.role.in_(roles))


def may_update_action(user: User, action: Action) -> bool:
    """The assigned agency's users (partners included) update an action's status and progress."""
    return can(user, P.ACTION_INBOX) and action.assigned_agency_id == user.agency_id


# --- Who is told of an event, and what a notification shows ---------------------------


def holders_clause(permission: Permission) -> ColumnElement[bool]:
    """SQL truth of 'this user is active, in a role that holds the permission': who
    may be told of something only that permission lets them open."""
    roles = [role for role, granted in ROLE_PERMISSIONS.items() if permission in granted]
    return sa.and_(User.active.is_(True), User.role.in_(roles))


def owes_actions_of_clause(agency_id: int) -> ColumnElement[bool]:
    """SQL truth of 'this user works the agency's inbox of actions' (owes_action_clause
    turned round: the users who see an action because their agency owes it)."""
    return sa.and_(assignable_users_clause(), User.agency_id == agency_id)


def notification_shown_clause(user: User) -> ColumnElement[bool]:
    """SQL truth of 'the user still sees the notification's case in full, and its
    premises': otherwise the row shows only its kind, without reference or link.
    Worked out for the rows of a page, so each row's case is probed on its own."""
    case_seen = (
        probed(
            select(Case.id).where(Case.id == Notification.case_id, full_view_clause(user, per_row=True)), per_row=True
        ).exists()
        if can(user, P.CASE_LIST)
        else sa.false()
    )
    premises_seen = (
        visible_premises(user, per_row=True)
        .with_only_columns(Premises.id)
        .where(Premises.id == Notification.premises_id)
    )
    return sa.and_(
        sa.or_(Notification.case_id.is_(None), case_seen),
        sa.or_(Notification.premises_id.is_(None), probed(premises_seen, per_row=True).exists()),
    )


def visible_referrals(user: User) -> Select[Referral]:
    """The chair, and managers (who refer and read the whole casebook), see every
    referral; anyone else who may refer sees their own agency's referrals and what was
    decided. Roles that neither refer nor decide (administrators, analysts) see none:
    administrators manage users and agencies and have no need to read referrals."""
    if can(user, P.REFERRAL_DECIDE):
        return select(Referral)
    if not can(user, P.REFERRAL_MAKE):
        return select(Referral).where(sa.false())
    if can(user, P.CASE_VIEW_ANY):
        return select(Referral)
    return select(Referral).where(Referral.referring_agency_id == user.agency_id)


def shows_contact_details(user: User, party_roles: Iterable[PartyRole]) -> bool:
    """Partners never see the address, phone, e-mail or date of birth of victims and witnesses."""
    if can(user, P.CONTACT_DETAILS_VIEW):
        return True
    return PROTECTED_PARTY_ROLES.isdisjoint(party_roles)


def permissions_of(user: User) -> frozenset[Permission]:
    """For templates deciding which links to offer; services still check each action."""
    return ROLE_PERMISSIONS[user.role] if user.active else frozenset()


# --- My work --------------------------------------------------------------------------


class WorkPanel(StrEnum):
    """What My work can show: what a role acts on, each read through the permission
    (and the clauses above) that the list it links to needs."""

    VICTIM_CLOCKS = "victim_clocks"  # my agency's victims with clocks overdue or due soon
    AGENCY_ACTIONS = "agency_actions"  # the actions my agency owes
    UNDECIDED_REFERRALS = "undecided_referrals"
    ACCESS_REQUESTS = "access_requests"  # requests for access that I answer
    NEXT_MEETING = "next_meeting"
    PARTNERSHIP_CLOCKS = "partnership_clocks"  # overdue clocks across the partnership
    OVERDUE_ACTIONS_BY_AGENCY = "overdue_actions_by_agency"
    PREMISES_DEADLINES = "premises_deadlines"
    ACCOUNTS = "accounts"  # temporary passwords and failed sign-ins


WORK_PANEL_NEEDS: dict[WorkPanel, Permission] = {
    WorkPanel.VICTIM_CLOCKS: P.RISK_ASSESS,
    WorkPanel.AGENCY_ACTIONS: P.ACTION_INBOX,
    WorkPanel.UNDECIDED_REFERRALS: P.REFERRAL_DECIDE,
    WorkPanel.ACCESS_REQUESTS: P.ACCESS_REQUEST_DECIDE,
    WorkPanel.NEXT_MEETING: P.MEETING_RUN,
    WorkPanel.PARTNERSHIP_CLOCKS: P.SLA_VIEW_FIGURES,
    WorkPanel.OVERDUE_ACTIONS_BY_AGENCY: P.ACTION_VIEW_OVERDUE,
    WorkPanel.PREMISES_DEADLINES: P.PREMISES_EDIT,
    WorkPanel.ACCOUNTS: P.USER_MANAGE,
}

# Which panels each role's My work carries: what that role acts on today (docs/access.md,
# "My work"). A role may read more than its panels show (an administrator may open the
# SLA dashboard); the page keeps to what the role is there to do.
_W = WorkPanel
WORK_PANELS: dict[Role, frozenset[WorkPanel]] = {
    Role.PSG_MEMBER: frozenset({_W.VICTIM_CLOCKS, _W.AGENCY_ACTIONS}),
    Role.PSG_CHAIR: frozenset(
        {_W.VICTIM_CLOCKS, _W.AGENCY_ACTIONS, _W.UNDECIDED_REFERRALS, _W.ACCESS_REQUESTS, _W.NEXT_MEETING}
    ),
    Role.LICENSING_OFFICER: frozenset({_W.PREMISES_DEADLINES, _W.AGENCY_ACTIONS}),
    Role.MANAGER: frozenset({_W.PARTNERSHIP_CLOCKS, _W.ACCESS_REQUESTS, _W.OVERDUE_ACTIONS_BY_AGENCY}),
    Role.PARTNER: frozenset({_W.AGENCY_ACTIONS}),
    Role.ANALYST: frozenset(),  # their home page is the partnership's figures
    Role.ADMIN: frozenset({_W.ACCOUNTS}),
}


def work_panels(user: User) -> frozenset[WorkPanel]:
    """The panels of the user's My work, each only where the role holds what it needs."""
    return frozenset(panel for panel in WORK_PANELS[user.role] if can(user, WORK_PANEL_NEEDS[panel]))
