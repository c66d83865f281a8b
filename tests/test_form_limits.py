"""Every form's length limits, held against the columns its fields are saved in.

A form never lets in more than its column holds: a ``String`` column's declared length,
or the limit a ``Text`` column carries in its ``info`` (``db.limited``). A reason that
is also kept on the stopped SLA clocks, after a prefix, leaves room for the prefix.
The limits are read from every form class in casework/, so a form added later is held
to the same rule: a limited field must be saved in a column this test finds, or be
named below as one that is not.
"""

import pytest
import sqlalchemy as sa
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.fields.core import UnboundField
from wtforms.validators import Length

from casework.accounts.models import User
from casework.actions.models import Action, ActionUpdate
from casework.agencies.models import Agency
from casework.cases.models import AccessRequest, Case, CaseParty
from casework.db import Base, max_length_of
from casework.meetings.models import Meeting, MeetingAmendment, MeetingDecision
from casework.people.models import Person
from casework.premises.models import Premises
from casework.referrals.models import Referral
from casework.victims.models import SlaStop
from tests.support.forms import FIELDS, declared_by

Column = sa.orm.InstrumentedAttribute[str]

# Fields saved under another name, in another feature's table, or in more than one
# column; a reason kept on the stopped clocks comes with the prefix put before it.
SAVED_IN: dict[tuple[str, str], list[Column | tuple[Column, str]]] = {
    ("AcceptReferralForm", "title"): [Case.title],
    ("AcceptReferralForm", "case_reference"): [Case.reference],
    ("MakeReferralForm", "first_name"): [Referral.first_name, Person.first_name],
    ("MakeReferralForm", "last_name"): [Referral.last_name, Person.last_name],
    ("MakeReferralForm", "address"): [Referral.address, Person.address],
    ("MakeReferralForm", "postcode"): [Referral.postcode, Person.postcode],
    ("DeclineReferralForm", "reason"): [Referral.decline_reason],
    ("ChangeStatusForm", "reason"): [(SlaStop.reason, "Case closed: ")],
    ("RemovePartyForm", "reason"): [CaseParty.removal_reason, (SlaStop.reason, "Victim removed from the case: ")],
    ("RecordConferenceForm", "outcome"): [Meeting.outcome],
    ("_CaseDetailsForm", "premises_licence"): [Premises.licence_number],
    ("UpdateActionForm", "note"): [ActionUpdate.note, Action.completion_note],
    ("DecisionForm", "title"): [Action.title],
    ("DecisionForm", "text"): [MeetingDecision.text],
    ("AmendmentForm", "text"): [MeetingAmendment.text],
    ("AddItemForm", "case_reference"): [Case.reference],
    ("LegalHoldForm", "reason"): [Case.legal_hold_reason],
    ("_UserDetailsForm", "name"): [User.name],
    ("_UserDetailsForm", "email"): [User.email],
    ("AgencyForm", "name"): [Agency.name],
    ("AuditFilterForm", "case"): [Case.reference],
    ("RequestAccessForm", "reason"): [AccessRequest.reason],
    ("DeclineAccessForm", "reason"): [AccessRequest.decline_reason],
}

# Limited fields that are saved in no column of their own, and where they go instead.
NOT_A_COLUMN = {
    ("_CaseFilterFields", "text"): "a search",
    ("FindPersonForm", "name"): "a search",
    ("AccessReasonForm", "details"): "the audit record of the view",
    ("EditCaseForm", "lift_reason"): "the audit record of lifting the restriction",
    ("PlanActionForm", "milestones"): "one row a line, each held to MILESTONE_MAX_LENGTH by the parser",
    ("SignInForm", "password"): "checked against a hash",
    ("ChangePasswordForm", "current_password"): "checked against a hash",
    ("ChangePasswordForm", "password"): "hashed",
    ("RegenerateRecoveryCodesForm", "password"): "checked against a hash",
    ("CreateUserForm", "password"): "hashed",
    ("TemporaryPasswordForm", "password"): "hashed",
    ("ResetPasswordForm", "password"): "hashed",
    ("ResetPasswordForm", "password_again"): "compared with the password",
    ("TwoFactorForm", "code"): "checked against the secret or a hash",
    ("TwoFactorSetupForm", "code"): "checked against the secret",
}


def maximum(field: UnboundField) -> int | None:
    limits = [v.max for v in field.kwargs.get("validators") or () if isinstance(v, Length) and v.max != -1]
    return min(limits) if limits else None


def columns_by_name(form: type[FlaskForm], name: str) -> list[Column]:
    """Text columns of the form's own feature with the field's name."""
    feature = form.__module__.split(".")[1]
    found = []
    for mapper in Base.registry.mappers:
        if mapper.class_.__module__ == f"casework.{feature}.models" and name in mapper.columns:
            column = mapper.columns[name]
            if isinstance(column.type, sa.String):
                found.append(getattr(mapper.class_, name))
    return found


def room_in(saved: Column | tuple[Column, str]) -> tuple[str, int | None]:
    column, prefix = saved if isinstance(saved, tuple) else (saved, "")
    limit = max_length_of(column.property.columns[0])
    return f"{column}", None if limit is None else limit - len(prefix)


def limited() -> list[tuple[type[FlaskForm], str, int]]:
    found = []
    for form, name in FIELDS:
        most = maximum(getattr(form, name))
        if most is not None:
            found.append((form, name, most))
    return found


@pytest.mark.parametrize(
    ("form", "name", "most"), limited(), ids=lambda value: value.__name__ if isinstance(value, type) else str(value)
)
def test_no_form_lets_in_more_than_its_column_holds(form, name, most):
    key = (declared_by(form, name), name)
    if key in NOT_A_COLUMN:
        return
    saved = SAVED_IN.get(key) or columns_by_name(form, name)
    assert saved, f"{key} has a length limit but is saved in no column this test knows"
    for column in saved:
        where, room = room_in(column)
        assert room is not None, f"{where} has no limit: declare its length or give it db.limited()"
        assert most <= room, f"{key[0]}.{name} lets in {most} characters; {where} holds {room}"


def test_every_text_field_saved_in_a_limited_column_has_a_limit():
    unlimited = [
        (form.__name__, name)
        for form, name in FIELDS
        if issubclass(getattr(form, name).field_class, StringField | TextAreaField)
        and maximum(getattr(form, name)) is None
        and any(room_in(column)[1] is not None for column in columns_by_name(form, name))
    ]
    assert unlimited == []


def test_the_lists_above_name_real_fields():
    known = {(declared_by(form, name), name) for form, name in FIELDS}
    assert set(SAVED_IN) <= known
    assert set(NOT_A_COLUMN) <= known
    assert len(limited()) > 60  # the scan found the forms


# Text columns no form writes into.
WRITTEN_BY_THE_APP = {"BrowserSession.data"}  # the server-side session's own data


def test_every_text_column_a_form_writes_carries_its_limit():
    """Every free text column says how much the forms let into it."""
    unlimited = sorted(
        f"{mapper.class_.__name__}.{column.key}"
        for mapper in Base.registry.mappers
        for column in mapper.columns
        if isinstance(column.type, sa.Text) and max_length_of(column) is None
    )
    unlimited = [name for name in unlimited if name not in WRITTEN_BY_THE_APP]
    assert unlimited == []
