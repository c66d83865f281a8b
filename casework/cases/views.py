import secrets

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, user_logged_out
from werkzeug.wrappers import Response
from wtforms import Field

from casework import db
from casework.agencies import services as agencies
from casework.cases import services as cases
from casework.cases.forms import (
    AccessReasonForm,
    AddAgencyForm,
    CaseFilterForm,
    CaseSearchForm,
    ChangeStatusForm,
    EditCaseForm,
    NoteForm,
    OpenCaseForm,
    PsgReviewForm,
    RequestAccessForm,
)
from casework.cases.models import CaseStatus, CaseType, NoteKind
from casework.cases.services import CaseFilter
from casework.clock import local_now
from casework.exceptions import EditConflict, InvalidInput
from casework.permissions import Permission
from casework.policy import authorize
from casework.ui.forms import show_error
from casework.web import ACCESS_REASONS_KEY, actor, given_reasons, local_path, writes_on_get

bp = Blueprint("cases", __name__, template_folder="templates", url_prefix="/cases")

EDIT_CONFLICT = (
    "Someone else saved changes to this case after you opened it. Your changes are below "
    "and have not been saved yet: compare them with the saved details, then save again."
)

PSG_REVIEW_CONFLICT = (
    "Someone else changed this case after you opened it, so the PSG review flag was not changed. "
    "Check the case below, then use the button again if it is still needed."
)

SEARCHES_KEY = "case_searches"
SEARCHES_KEPT = 5
FILTERS = ("scope", "status", "case_type", "lead_agency", "town", "sort")


def _forget_on_sign_out(_app: object, **_extra: object) -> None:
    session.pop(ACCESS_REASONS_KEY, None)
    session.pop(SEARCHES_KEY, None)


user_logged_out.connect(_forget_on_sign_out)


def _given_reason(case_id: int) -> dict[str, str] | None:
    reason: dict[str, str] | None = session.get(ACCESS_REASONS_KEY, {}).get(str(case_id))
    return reason


@bp.before_app_request
def _ask_why_before_restricted_case() -> Response | None:
    """Every page of a restricted case, and a person's or an action's page showing one,
    waits for a reason, given once per case per session."""
    if not current_user.is_authenticated or request.endpoint == "cases.access_reason":
        return None
    args = request.view_args or {}
    if isinstance(args.get("reference"), str):
        case = cases.case_needing_reason(actor(), args["reference"])
        needing = [case] if case is not None else []
    elif request.endpoint == "people.detail" and isinstance(args.get("person_id"), int):
        needing = cases.restricted_cases_of_person(actor(), args["person_id"])
    elif isinstance(args.get("action_id"), int):  # an action's page shows its case's work
        needing = cases.restricted_case_of_action(actor(), args["action_id"])
    elif request.endpoint == "actions.new" and request.args.get("case"):
        case = cases.case_needing_reason(actor(), request.args["case"])
        needing = [case] if case is not None else []
    else:
        return None
    for case in needing:
        if _given_reason(case.id) is None:
            wanted = request.full_path.rstrip("?") if request.method == "GET" else None
            back = wanted or url_for("cases.detail", reference=case.reference)
            return redirect(url_for("cases.access_reason", reference=case.reference, next=back))
    return None


def _agency_choices(placeholder: str) -> list[tuple[object, str]]:
    return [("", placeholder)] + [(agency.id, agency.name) for agency in agencies.active_agencies()]


def _valid(field: Field) -> object:
    """A filter's value, or None if it failed validation: a mangled link is ignored."""
    return None if field.errors else field.data


def _case_filter(form: CaseFilterForm | CaseSearchForm) -> CaseFilter:
    """The filter the form describes."""
    form.validate()
    sort, _, direction = (_valid(form.sort) or "opened-desc").rpartition("-")
    page = request.args.get("page", "1")
    return CaseFilter(
        scope=_valid(form.scope) or "mine",
        status=CaseStatus(form.status.data) if _valid(form.status) else None,
        case_type=CaseType(form.case_type.data) if _valid(form.case_type) else None,
        lead_agency_id=_valid(form.lead_agency),
        town=_valid(form.town) or "",
        text=_valid(form.text) or "",
        sort=sort,
        descending=direction == "desc",
        page=int(page) if page.isdigit() else 1,
    )


def _filter_choices(form: CaseFilterForm | CaseSearchForm) -> None:
    form.lead_agency.choices = _agency_choices("Any agency")
    form.town.choices = [("", "Any area")] + [(town, town) for town in cases.known_towns(actor())]


def _render_list(form: CaseFilterForm | CaseSearchForm, *, expired: bool = False, status: int = 200) -> tuple[str, int]:
    criteria = _case_filter(form)
    page = cases.list_cases(actor(), criteria, per_page=current_app.config["CASES_PER_PAGE"])
    return render_template("cases/index.html", form=form, page=page, criteria=criteria, expired=expired), status


@bp.get("")
def index() -> tuple[str, int]:
    form = CaseFilterForm(request.args)
    _filter_choices(form)
    # Typed text is never read from the URL, only from the session by its token.
    form.text.data = ""
    expired = False
    if token := request.args.get("search"):
        text = session.get(SEARCHES_KEY, {}).get(token)
        expired = text is None
        form.text.data = text or ""
    return _render_list(form, expired=expired)


@bp.post("/search")
def search() -> Response | tuple[str, int]:
    """The list's filters, sent by POST so that typed text stays out of URLs, browser
    history and access logs: the session keeps the text and the list's URL carries only
    a random token for it."""
    form = CaseSearchForm()
    _filter_choices(form)
    form.validate()
    if form.text.errors:
        return _render_list(form, status=400)
    # A mangled choice is dropped, as on the list itself.
    args: dict[str, object] = {
        name: form[name].data for name in FILTERS if not form[name].errors and form[name].data not in (None, "")
    }
    if text := (form.text.data or "").strip():
        token = secrets.token_urlsafe(16)
        kept = dict(list(session.get(SEARCHES_KEY, {}).items())[-(SEARCHES_KEPT - 1) :])
        kept[token] = text
        session[SEARCHES_KEY] = kept
        args["search"] = token
    return redirect(url_for("cases.index", **args))


@bp.route("/new", methods=["GET", "POST"])
def new() -> Response | str:
    user = actor()
    authorize(user, Permission.CASE_OPEN)
    form = OpenCaseForm()
    if request.method == "GET":
        form.lead_agency_id.data = user.agency_id
    form.lead_agency_id.choices = _agency_choices("Select an agency")
    if form.validate_on_submit():
        try:
            case = cases.open_case(
                user,
                case_type=CaseType(form.case_type.data),
                title=form.title.data,
                summary=form.summary.data or "",
                lead_agency_id=form.lead_agency_id.data,
                district=form.district.data or "",
                town=form.town.data or "",
                ward=form.ward.data or "",
                restricted=form.restricted.data,
                reference_prefix=current_app.config["CASE_REFERENCE_PREFIX"],
                premises_licence=form.premises_licence.data or "",
            )
        except InvalidInput as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(f"Case {case.reference} opened.", "success")
            return redirect(url_for("cases.detail", reference=case.reference))
    return render_template("cases/new.html", form=form)


def _render_case(
    reference: str, note_form: NoteForm | None = None, status: int = 200, psg_form: PsgReviewForm | None = None
) -> tuple[str, int]:
    data = cases.case_page(actor(), reference, today=local_now().date(), access_reasons=given_reasons())
    page = render_template("cases/detail.html", data=data, note_form=note_form or NoteForm(), psg_form=psg_form)
    return page, status


@bp.get("/<reference>")
@writes_on_get
def detail(reference: str) -> tuple[str, int] | Response:
    if reference != reference.upper():
        return redirect(url_for("cases.detail", reference=reference.upper()))
    page = _render_case(reference)
    db.session.commit()  # the audit record of this view
    return page


@bp.post("/<reference>/notes")
def add_note(reference: str) -> Response | tuple[str, int]:
    cases.get_case(actor(), reference, Permission.CASE_NOTE)  # 404 before looking at the form
    form = NoteForm()
    if form.validate_on_submit():
        try:
            cases.add_note(actor(), reference, kind=NoteKind(form.kind.data), body=form.body.data)
        except InvalidInput as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash("Note added.", "success")
            return redirect(url_for("cases.detail", reference=reference, _anchor="timeline"))
    page = _render_case(reference, note_form=form, status=400)
    db.session.commit()
    return page


@bp.post("/<reference>/psg-review")
def psg_review(reference: str) -> Response | tuple[str, int]:
    user = actor()
    cases.get_case(user, reference, Permission.CASE_EDIT)  # 404 or 403 before looking at the form
    form = PsgReviewForm()
    status = 400
    if form.validate_on_submit():
        flagged = form.flagged.data == "yes"
        try:
            cases.set_psg_review(user, reference, flagged=flagged, version=form.version.data)
        except EditConflict:
            db.session.rollback()
            show_error(form, InvalidInput(PSG_REVIEW_CONFLICT))
            status = 409
        else:
            db.session.commit()
            flash("Case flagged for the next PSG meeting" if flagged else "Flag removed", "success")
            return redirect(url_for("cases.detail", reference=reference.upper()))
    page = _render_case(reference, psg_form=form, status=status)
    db.session.commit()  # the audit record of this view
    return page


@bp.route("/<reference>/edit", methods=["GET", "POST"])
def edit(reference: str) -> Response | str | tuple[str, int]:
    user = actor()
    case = cases.get_case(user, reference, Permission.CASE_EDIT)
    form = EditCaseForm(obj=case if request.method == "GET" else None)
    if request.method == "GET":
        form.case_type.data = case.case_type.value
        form.premises_licence.data = cases.premises_licence_of(case)
    form.lead_officer_id.choices = [("", "No lead officer")] + [
        (officer.id, officer.name) for officer in cases.lead_officer_choices(user, reference)
    ]
    if form.validate_on_submit():
        try:
            cases.edit_case(
                user,
                reference,
                version=form.version.data,
                case_type=CaseType(form.case_type.data),
                title=form.title.data,
                summary=form.summary.data or "",
                district=form.district.data or "",
                town=form.town.data or "",
                ward=form.ward.data or "",
                restricted=form.restricted.data,
                lead_officer_id=form.lead_officer_id.data,
                premises_licence=form.premises_licence.data or "",
            )
        except InvalidInput as error:
            show_error(form, error)
        except EditConflict:
            # Nothing is lost: the form keeps what this user typed, the page shows what
            # is saved now, and saving again is checked against the current version.
            show_error(form, InvalidInput(EDIT_CONFLICT))
            form.version.data, form.version.raw_data = case.version, [str(case.version)]
            return render_template("cases/edit.html", case=case, form=form, conflict=True), 409
        else:
            db.session.commit()
            flash("Case details saved.", "success")
            return redirect(url_for("cases.detail", reference=case.reference))
    return render_template("cases/edit.html", case=case, form=form)


@bp.route("/<reference>/agencies/new", methods=["GET", "POST"])
def add_agency(reference: str) -> Response | str:
    user = actor()
    case = cases.get_case(user, reference, Permission.CASE_ADD_AGENCY)
    form = AddAgencyForm()
    form.agency_id.choices = [("", "Select an agency")] + [
        (agency.id, agency.name) for agency in cases.agencies_not_involved(user, reference)
    ]
    if form.validate_on_submit():
        try:
            cases.add_agency(user, reference, agency_id=form.agency_id.data)
        except InvalidInput as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash("Agency added to the case.", "success")
            return redirect(url_for("cases.detail", reference=case.reference))
    return render_template("cases/add_agency.html", case=case, form=form)


def _change_status(reference: str, *, closing: bool) -> Response | str:
    user = actor()
    case = cases.get_case(user, reference, Permission.CASE_CLOSE)
    form = ChangeStatusForm()
    if request.method == "GET":
        form.version.data = case.version
    if form.validate_on_submit():
        change = cases.close_case if closing else cases.reopen_case
        change(user, reference, version=form.version.data, reason=form.reason.data)
        db.session.commit()
        flash(f"Case {'closed' if closing else 'reopened'}.", "success")
        return redirect(url_for("cases.detail", reference=case.reference))
    return render_template("cases/change_status.html", case=case, form=form, closing=closing)


@bp.route("/<reference>/close", methods=["GET", "POST"])
def close(reference: str) -> Response | str:
    return _change_status(reference, closing=True)


@bp.route("/<reference>/reopen", methods=["GET", "POST"])
def reopen(reference: str) -> Response | str:
    return _change_status(reference, closing=False)


@bp.route("/<reference>/request-access", methods=["GET", "POST"])
@writes_on_get
def request_access(reference: str) -> Response | str:
    cases.may_request_access(actor(), reference)
    form = RequestAccessForm()
    if form.validate_on_submit():
        case = cases.request_access(actor(), reference, reason=form.reason.data)
        db.session.commit()
        flash("Your request has been sent to the lead agency's chair and managers.", "success")
        return redirect(url_for("cases.detail", reference=case.reference))
    data = cases.case_page(actor(), reference, access_reasons=given_reasons())
    db.session.commit()
    return render_template("cases/request_access.html", data=data, form=form)


@bp.route("/<reference>/access-reason", methods=["GET", "POST"])
def access_reason(reference: str) -> Response | tuple[str, int]:
    """Why this user is opening a restricted case: asked once per case per session, kept
    in the audit trail and with every view of the case (DPA 2018 s.62)."""
    user = actor()
    form = AccessReasonForm()
    wanted = request.args.get("next") if request.method == "GET" else form.next.data
    back = local_path(wanted) or url_for("cases.detail", reference=reference.upper())
    case = cases.case_asking_reason(user, reference)
    if case is None:  # nothing to justify
        return redirect(back)
    form.next.data = back
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate():
            try:
                given = cases.record_access_reason(
                    user, reference, reason=form.reason.data, details=form.details.data or ""
                )
            except InvalidInput as error:
                show_error(form, error)
            else:
                db.session.commit()
                session[ACCESS_REASONS_KEY] = {**session.get(ACCESS_REASONS_KEY, {}), str(case.id): given}
                return redirect(back)
    return render_template("cases/access_reason.html", case=case, form=form), status
