"""The role by permission matrix. A change to ROLE_PERMISSIONS must change this table too."""

from pathlib import Path

import pytest

from casework.accounts.models import User
from casework.cases.models import PartyRole
from casework.permissions import Permission as P
from casework.permissions import Role
from casework.policy import ROLE_PERMISSIONS, can, shows_contact_details

MEMBER = {
    P.CASE_LIST, P.CASE_VIEW_INVOLVED, P.CASE_VIEW_STUB, P.CASE_REQUEST_ACCESS, P.CASE_OPEN,
    P.CASE_EDIT, P.CASE_NOTE, P.CASE_ADD_PERSON, P.CASE_CLOSE, P.CASE_REMOVE_PERSON, P.CASE_SHARE,
    P.RISK_ASSESS, P.CONFERENCE_RECORD, P.CONTACT_DETAILS_VIEW,
    P.ACTION_CREATE, P.ACTION_INBOX, P.MEETING_VIEW, P.REFERRAL_MAKE, P.PLAN_VIEW,
}  # fmt: skip

SLA_ALL = {P.SLA_VIEW, P.SLA_VIEW_FIGURES, P.SLA_EXPORT}
PREMISES_ALL = {P.PREMISES_VIEW, P.PREMISES_EDIT, P.PREMISES_REPORT, P.PREMISES_EXPORT}

EXPECTED = {
    Role.PSG_MEMBER: MEMBER,
    Role.PSG_CHAIR: MEMBER
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
    },  # fmt: skip
    Role.LICENSING_OFFICER: {
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
    },  # fmt: skip
    Role.MANAGER: {
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
        P.REPORTS_VIEW,
    }
    | SLA_ALL,  # fmt: skip
    Role.PARTNER: {P.CASE_LIST, P.CASE_VIEW_INVOLVED, P.ACTION_INBOX, P.REFERRAL_MAKE, P.PLAN_VIEW},
    Role.ANALYST: {P.SLA_VIEW_FIGURES, P.PREMISES_REPORT, P.REPORTS_VIEW},
    Role.ADMIN: {
        P.CASE_LIST,
        P.CASE_VIEW_ANY,
        P.CONTACT_DETAILS_VIEW,
        P.AUDIT_VIEW,
        P.USER_MANAGE,
        P.AGENCY_MANAGE,
        P.NOTIFICATION_MANAGE,
        P.ACTION_VIEW_OVERDUE,
        P.MEETING_VIEW,
        P.PLAN_VIEW,
        P.PLAN_EXPORT,
        P.SUBJECT_ACCESS,
        P.LEGAL_HOLD,
        P.REPORTS_VIEW,
    }
    | SLA_ALL
    | PREMISES_ALL,  # fmt: skip
}


def test_every_role_has_a_row():
    assert set(ROLE_PERMISSIONS) == set(Role)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("permission", list(P))
def test_role_permission_matrix(role, permission):
    user = User(role=role, active=True)
    assert can(user, permission) == (permission in EXPECTED[role])


@pytest.mark.parametrize("role", list(Role))
def test_a_deactivated_user_may_do_nothing(role):
    user = User(role=role, active=False)
    assert not any(can(user, permission) for permission in P)


@pytest.mark.parametrize("party_role", list(PartyRole))
def test_partners_never_see_contact_details_of_victims_and_witnesses(party_role):
    partner = User(role=Role.PARTNER, active=True)
    protected = party_role in (PartyRole.VICTIM, PartyRole.WITNESS)
    assert shows_contact_details(partner, {party_role}) is not protected
    # A perpetrator here who is a victim on another case stays protected.
    assert not shows_contact_details(partner, {party_role, PartyRole.VICTIM})


@pytest.mark.parametrize("role", [role for role in Role if role not in (Role.PARTNER, Role.ANALYST)])
def test_other_case_roles_see_contact_details(role):
    assert shows_contact_details(User(role=role, active=True), {PartyRole.VICTIM})


# --- docs/access.md's premises table, against the table above --------------------------

ACCESS_DOC = Path(__file__).resolve().parent.parent / "docs" / "access.md"
DOC_ROLES = {
    "Licensing officer": [Role.LICENSING_OFFICER],
    "Administrator": [Role.ADMIN],
    "Manager": [Role.MANAGER],
    "PSG chair": [Role.PSG_CHAIR],
    "PSG member, partner": [Role.PSG_MEMBER, Role.PARTNER],
    "Analyst": [Role.ANALYST],
}


def _premises_table() -> dict[Role, list[str]]:
    """The rows of the table under "Licensed premises", by role: its cells after the first."""
    text = ACCESS_DOC.read_text().split("## Licensed premises", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip().strip("|").split("|") for line in text.splitlines() if line.startswith("| ")]
    table: dict[Role, list[str]] = {}
    for cells in rows[2:]:  # after the header and its rule
        name, *rest = (cell.strip() for cell in cells)
        for role in DOC_ROLES[name]:
            table[role] = rest
    return table


def test_the_premises_table_of_the_docs_names_every_role():
    assert set(_premises_table()) == set(Role)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_has_the_premises_permissions_docs_access_md_gives_it(role):
    pages, report, export, changes = _premises_table()[role]
    granted = EXPECTED[role]
    assert (P.PREMISES_VIEW in granted) is (pages == "every premises")
    assert (P.PREMISES_REPORT in granted) is (report != "no")
    assert (P.PREMISES_EXPORT in granted) is (export == "yes")
    assert (P.PREMISES_EDIT in granted) is (changes != "nothing")
