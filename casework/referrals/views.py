"""Referrals: making one, the list, the referral page and the chair's decision."""

from typing import Any

from flask import Blueprint, current_app, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import Field

from casework.agencies import services as agencies
from casework.paging import page_number
from casework.permissions import Permission
from casework.policy import authorize
from casework.referrals import services as referrals
from casework.referrals.forms import (
    NEW_PERSON,
    AcceptPersonReferralForm,
    AcceptReferralForm,
    DeclineReferralForm,
    MakeReferralForm,
    ReferralFilterForm,
)
from casework.referrals.models import Referral, ReferralSubject
from casework.referrals.services import NewCase, ReferredPerson, SimilarPerson
from casework.ui.flow import Page, Saved, submit
from casework.ui.templating import local_date
from casework.web import actor, writes_on_get

bp = Blueprint("referrals", __name__, template_folder="templates", url_prefix="/referrals")

PER_PAGE = 25


@bp.get("")
def index() -> str:
    user = actor()
    form = ReferralFilterForm(request.args)
    form.validate()
    status = None if form.status.errors else form.status.data
    page = referrals.list_referrals(user, status=status, page=page_number(request.args.get("page")), per_page=PER_PAGE)
    return render_template("referrals/index.html", form=form, page=page, status=status)


@bp.route("/new", methods=["GET", "POST"])
def new() -> Page:
    user = actor()
    authorize(user, Permission.REFERRAL_MAKE)
    form = MakeReferralForm()

    def readable(field: Field) -> Any:
        return None if field.errors else field.data

    return submit(
        form,
        lambda: referrals.make_referral(
            user,
            subject=form.subject.chosen,
            first_name=form.first_name.data or "",
            last_name=form.last_name.data or "",
            date_of_birth=form.date_of_birth.data,
            address=form.address.data or "",
            postcode=form.postcode.data or "",
            place=form.place.data or "",
            what_is_happening=form.what_is_happening.data or "",
            risks=form.risks.data or "",
            consent=form.consent.chosen,
            consent_reason=form.consent_reason.data or "",
        ),
        saved=lambda referral: Saved(
            "Referral sent to the PSG chair.", url_for("referrals.detail", referral_id=referral.id)
        ),
        page=lambda: render_template("referrals/new.html", form=form),
        check=lambda: referrals.check_referral(
            user,
            subject=readable(form.subject),
            first_name=readable(form.first_name),
            last_name=readable(form.last_name),
            date_of_birth=readable(form.date_of_birth),
            postcode=readable(form.postcode),
            place=readable(form.place),
            what_is_happening=readable(form.what_is_happening),
            consent=readable(form.consent),
            consent_reason=readable(form.consent_reason),
        ),
    )


def _person_label(similar: SimilarPerson) -> str:
    person = similar.person
    details = [f"born {local_date(person.date_of_birth)}" if person.date_of_birth else "", person.postcode]
    return ", ".join([person.full_name] + [detail for detail in details if detail])


def _accept_form(referral: Referral, similar: list[SimilarPerson], *, submitted: bool) -> AcceptReferralForm:
    """The accept form, bound to the request only when it is the form that was sent."""
    form_class = AcceptPersonReferralForm if referral.subject is ReferralSubject.PERSON else AcceptReferralForm
    form = form_class(prefix="accept", formdata=request.form if submitted else None)
    form.lead_agency_id.choices = [("", "Select an agency")] + [
        (agency.id, agency.name) for agency in agencies.active_agencies()
    ]
    if isinstance(form, AcceptPersonReferralForm):
        form.person_id.choices = [(str(match.person.id), _person_label(match)) for match in similar] + [
            (NEW_PERSON, "A new person record, from the referral's details")
        ]
        if not similar and not submitted:
            form.person_id.data = NEW_PERSON
    if not submitted:
        form.version.data = referral.version
    return form


def _decline_form(referral: Referral, *, submitted: bool) -> DeclineReferralForm:
    form = DeclineReferralForm(prefix="decline", formdata=request.form if submitted else None)
    if not submitted:
        form.version.data = referral.version
    return form


def _render(
    referral_id: int,
    *,
    accept_form: AcceptReferralForm | None = None,
    decline_form: DeclineReferralForm | None = None,
) -> str:
    data = referrals.referral_page(actor(), referral_id)
    sent: FlaskForm | None = accept_form if accept_form is not None else decline_form
    if data.may_decide:
        if accept_form is None:
            accept_form = _accept_form(data.referral, data.similar, submitted=False)
        if decline_form is None:
            decline_form = _decline_form(data.referral, submitted=False)
    return render_template(
        "referrals/detail.html",
        data=data,
        referral=data.referral,
        accept_form=accept_form,
        decline_form=decline_form,
        sent_form=sent,
    )


@bp.get("/<int:referral_id>")
@writes_on_get  # the audit record of this view
def detail(referral_id: int) -> str:
    return _render(referral_id)


def _detail_url(referral_id: int) -> str:
    return url_for("referrals.detail", referral_id=referral_id)


@bp.post("/<int:referral_id>/accept")
def accept(referral_id: int) -> Page:
    user = actor()
    referral = referrals.decidable_referral(user, referral_id)  # 404, 403 or 409 before the form
    similar = referrals.similar_people(user, referral)
    form = _accept_form(referral, similar, submitted=True)

    def accept_referral() -> referrals.Acceptance:
        person = None
        if isinstance(form, AcceptPersonReferralForm):
            chosen = form.person_id.data
            person = ReferredPerson(
                role=form.role.chosen, existing_person_id=None if chosen == NEW_PERSON else int(chosen)
            )
        into_new = form.into.data == "new"
        return referrals.accept_referral(
            user,
            referral_id,
            version=form.version.data or 0,
            reference_prefix=current_app.config["CASE_REFERENCE_PREFIX"],
            existing_case=None if into_new else form.case_reference.data or "",
            new_case=NewCase(
                case_type=form.case_type.chosen,
                title=form.title.data or "",
                lead_agency_id=form.lead_agency_id.data,
                restricted=form.restricted.data,
            )
            if into_new
            else None,
            person=person,
        )

    return submit(
        form,
        accept_referral,
        saved=lambda accepted: Saved(
            " ".join(filter(None, [f"Referral accepted into case {accepted.case.reference}.", accepted.already_there])),
            _detail_url(referral_id),
        ),
        page=lambda: _render(referral_id, accept_form=form),  # with the audit record of this view
        check=lambda: referrals.check_acceptance(
            user,
            referral_id,
            into=None if form.into.errors else form.into.data,
            existing_case=None if form.case_reference.errors else form.case_reference.data or "",
        ),
    )


@bp.post("/<int:referral_id>/decline")
def decline(referral_id: int) -> Page:
    user = actor()
    referral = referrals.decidable_referral(user, referral_id)
    form = _decline_form(referral, submitted=True)
    return submit(
        form,
        lambda: referrals.decline_referral(
            user, referral_id, version=form.version.data or 0, reason=form.reason.data or ""
        ),
        saved=lambda _referral: Saved(
            "Referral declined. The referring agency can see your reason.", _detail_url(referral_id)
        ),
        page=lambda: _render(referral_id, decline_form=form),
    )
