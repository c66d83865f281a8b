import secrets
from collections.abc import Hashable
from typing import Any
from urllib.parse import quote

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user, user_logged_out
from markupsafe import Markup, escape
from werkzeug.wrappers import Response
from wtforms import Field

from casework.agencies import services as agencies
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
from casework.cases.models import SHARE_REASON_MAX, Case, CaseStatus
from casework.cases.services import commands, lookup, pages
from casework.cases.services.pages import CaseFilter
from casework.clock import local_now
from casework.paging import page_number
from casework.permissions import Permission
from casework.policy import authorize, can, may_lift_restriction
from casework.ui.flow import Page, Saved, submit
from casework.ui.tables import linked_row
from casework.ui.templating import local_date
from casework.ui.widgets import previous_next, tag
from casework.web import ACCESS_REASONS_KEY, actor, given_reasons, local_path, writes_on_get

bp = Blueprint("cases", __name__, template_folder="../templates", url_prefix="/cases")

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
        case = pages.case_needing_reason(actor(), args["reference"])
        needing = [case] if case is not None else []
    elif request.endpoint == "people.detail" and isinstance(args.get("person_id"), int):
        needing = pages.restricted_cases_of_person(actor(), args["person_id"])
    elif isinstance(args.get("action_id"), int):  # an action's page shows its case's work
        needing = pages.restricted_case_of_action(actor(), args["action_id"])
    elif request.endpoint == "actions.new" and request.args.get("case"):
        case = pages.case_needing_reason(actor(), request.args["case"])
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


def _valid(field: Field) -> Any:
    """A filter's value, or None if it failed validation: a mangled link is ignored."""
    return None if field.errors else field.data


def _case_filter(form: CaseFilterForm | CaseSearchForm) -> CaseFilter:
    """The filter the form describes."""
    form.validate()
    sort, _, direction = (_valid(form.sort) or "opened-desc").rpartition("-")
    return CaseFilter(
        scope=_valid(form.scope) or "mine",
        status=form.status.data if not form.status.errors else None,
        case_type=form.case_type.data if not form.case_type.errors else None,
        lead_agency_id=_valid(form.lead_agency),
        town=_valid(form.town) or "",
        text=_valid(form.text) or "",
        sort=sort,
        descending=direction == "desc",
        after=request.args.get("after", ""),
        before=request.args.get("before", ""),
        page=page_number(request.args.get("page")),
    )


def _filter_choices(form: CaseFilterForm | CaseSearchForm) -> None:
    form.lead_agency.choices = _agency_choices("Any agency")
    form.town.choices = [("", "Any area")] + [(town, town) for town in pages.known_towns(actor())]


_LABEL = {"label": {"classes": "govuk-label--s"}}
_SCOPE = {
    "classes": "govuk-radios--small",
    "fieldset": {"legend": {"text": "Show", "classes": "govuk-fieldset__legend--s"}},
}

# The filter fields as drawn, by what they depend on: the fields' values and choices,
# and whether "Show" is offered. Every member of an agency sees the same default list's
# form, and WTForms with the GOV.UK widgets' mapping took a tenth of the list's CPU.
# A form with typed text (or text in its URL) or an error is drawn each time, never kept.
_DRAWN_FILTERS: dict[Hashable, Markup] = {}
_DRAWN_FILTERS_MAX = 500


def _filter_fields(form: CaseFilterForm | CaseSearchForm, show_scope: bool) -> Markup:
    fields = (form.scope, form.text, form.status, form.case_type, form.lead_agency, form.town, form.sort)
    if form.text.data or form.text.raw_data or any(field.errors for field in fields):
        return _draw_filter_fields(form, show_scope)
    key = (type(form), show_scope) + tuple(
        (field.data, tuple(field.raw_data or ()), tuple(getattr(field, "choices", None) or ())) for field in fields
    )
    drawn = _DRAWN_FILTERS.get(key)
    if drawn is None:
        if len(_DRAWN_FILTERS) >= _DRAWN_FILTERS_MAX:
            _DRAWN_FILTERS.clear()
        drawn = _DRAWN_FILTERS[key] = _draw_filter_fields(form, show_scope)
    return drawn


def _draw_filter_fields(form: CaseFilterForm | CaseSearchForm, show_scope: bool) -> Markup:
    """The fields as the list's template drew them, one a line."""
    lines = [escape("  ") + form.scope(params=_SCOPE)] if show_scope else []
    lines += [
        form.text(params=_LABEL),
        form.status(params=_LABEL),
        form.case_type(params=_LABEL),
        form.lead_agency(params={**_LABEL, "classes": "govuk-!-width-full"}),
        form.town(params=_LABEL),
        form.sort(params=_LABEL),
    ]
    return escape("\n      ").join(lines)  # Markup's join escapes what is not markup


def _render_list(form: CaseFilterForm | CaseSearchForm, *, expired: bool = False, status: int = 200) -> tuple[str, int]:
    criteria = _case_filter(form)
    page = pages.list_cases(actor(), criteria, per_page=current_app.config["CASES_PER_PAGE"])
    links = _page_links(page)
    case_url = url_for("cases.detail", reference="-").removesuffix("-")
    rows = [_table_row(row, case_url) for row in page.items]
    filters = _filter_fields(form, can(actor(), Permission.CASE_VIEW_STUB))
    return render_template(
        "cases/index.html",
        form=form,
        filters=filters,
        page=page,
        rows=rows,
        links=links,
        criteria=criteria,
        expired=expired,
    ), status


# The row's tags, drawn once: a tag per row is a tenth of the row.
_RESTRICTED = tag("Restricted", "red")
_LIMITED = tag("Limited view", "grey")
_STATUS_TAGS = {status: tag(status.label, "green" if status is CaseStatus.OPEN else "grey") for status in CaseStatus}


def _table_row(row: pages.CaseRow, case_url: str) -> Markup:
    """A row of the list's table, drawn as ``table_row`` would draw its cells (a test
    compares the two): 25 rows of cell dicts, or of ``{% set %}`` blocks and tag macros,
    cost more to draw than the statements that read them. ``case_url`` is a case page's
    address without the reference, which is quoted as the router would (url_for is a
    tenth of the row)."""
    case = row.case
    href = case_url + quote(case.reference, safe="!$&'()*+,/:;=@")
    if not row.full_view:  # a stub: what DESIGN.md section 1 lets it show, no more
        shown = _RESTRICTED if case.restricted else _LIMITED
        case_type = "" if case.restricted else case.case_type.label
        return linked_row(
            href, case.reference, shown, case_type, case.lead_agency.name, "", "", "", first_classes="casework-nowrap"
        )
    title = (escape(case.title) + " " + _RESTRICTED) if case.restricted else case.title
    return linked_row(
        href,
        case.reference,
        title,
        case.case_type.label,
        case.lead_agency.name,
        case.town,
        _STATUS_TAGS[case.status],
        local_date(case.opened_at),
        first_classes="casework-nowrap",
    )


def _page_links(page: pages.CasePage) -> Markup:
    """Previous and next, as govukPagination draws them: the list's arguments (filters,
    sort, the search token) with the cursor of the row to start from."""
    args: dict[str, Any] = {
        name: value for name, value in request.args.items(multi=True) if name not in ("page", "after", "before")
    }
    return previous_next(
        url_for("cases.index", **args, before=page.previous) if page.previous else None,
        url_for("cases.index", **args, after=page.next) if page.next else None,
    )


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
    args: dict[str, Any] = {
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
def new() -> Page:
    user = actor()
    authorize(user, Permission.CASE_OPEN)
    form = OpenCaseForm()
    if request.method == "GET":
        form.lead_agency_id.data = user.agency_id
    form.lead_agency_id.choices = _agency_choices("Select an agency")

    def open_case() -> Case:
        return commands.open_case(
            user,
            **_case_details(form),
            lead_agency_id=form.lead_agency_id.data,
            reference_prefix=current_app.config["CASE_REFERENCE_PREFIX"],
        )

    return submit(
        form,
        open_case,
        saved=lambda case: Saved(f"Case {case.reference} opened.", _case_url(case.reference)),
        page=lambda: render_template("cases/new.html", form=form),
    )


def _case_details(form: OpenCaseForm | EditCaseForm) -> dict[str, Any]:
    """What opening a case and editing one have in common."""
    return {
        "case_type": form.case_type.chosen,
        "title": form.title.data or "",
        "summary": form.summary.data or "",
        "district": form.district.data or "",
        "town": form.town.data or "",
        "ward": form.ward.data or "",
        "restricted": form.restricted.data,
        "premises_licence": form.premises_licence.data or "",
    }


def _case_url(reference: str, anchor: str | None = None) -> str:
    return url_for("cases.detail", reference=reference.upper(), _anchor=anchor)


def _render_case(reference: str, note_form: NoteForm | None = None, psg_form: PsgReviewForm | None = None) -> str:
    data = pages.case_page(actor(), reference, today=local_now().date(), access_reasons=given_reasons())
    return render_template("cases/detail.html", data=data, note_form=note_form or NoteForm(), psg_form=psg_form)


@bp.get("/<reference>")
@writes_on_get  # the audit record of this view
def detail(reference: str) -> Response | str:
    if reference != reference.upper():
        return redirect(url_for("cases.detail", reference=reference.upper()))
    return _render_case(reference)


@bp.post("/<reference>/notes")
def add_note(reference: str) -> Page:
    user = actor()
    lookup.get_case(user, reference, Permission.CASE_NOTE)  # 404 before looking at the form
    form = NoteForm()
    return submit(
        form,
        lambda: commands.add_note(user, reference, kind=form.kind.chosen, body=form.body.data or ""),
        saved=lambda _note: Saved("Note added.", _case_url(reference, "timeline")),
        page=lambda: _render_case(reference, note_form=form),
    )


@bp.post("/<reference>/psg-review")
def psg_review(reference: str) -> Page:
    user = actor()
    lookup.get_case(user, reference, Permission.CASE_EDIT)  # 404 or 403 before looking at the form
    form = PsgReviewForm()
    flagged = form.flagged.data == "yes"
    return submit(
        form,
        lambda: commands.set_psg_review(user, reference, flagged=flagged, version=form.version.data or 0),
        saved=lambda _case: Saved(
            "Case flagged for the next PSG meeting" if flagged else "Flag removed", _case_url(reference)
        ),
        page=lambda: _render_case(reference, psg_form=form),
        conflict_message=PSG_REVIEW_CONFLICT,
    )


@bp.route("/<reference>/edit", methods=["GET", "POST"])
@writes_on_get  # the audit record of this view
def edit(reference: str) -> Page:
    user = actor()
    case = lookup.get_case(user, reference, Permission.CASE_EDIT)
    form = EditCaseForm(obj=case if request.method == "GET" else None)
    if request.method == "GET":
        form.premises_licence.data = pages.premises_licence_of(case)
        pages.record_view(user, case, page="edit", access_reasons=given_reasons())
    form.lead_officer_id.choices = [("", "No lead officer")] + [
        (officer.id, officer.name) for officer in pages.lead_officer_choices(user, reference)
    ]
    # A restriction only some may lift is shown read-only to the others, and left as it is.
    locked = case.restricted and not may_lift_restriction(user, case, full_view=True)
    restricted = None if locked else form.restricted.data

    def page(conflict: bool = False) -> str:
        return render_template(
            "cases/edit.html",
            case=case,
            form=form,
            conflict=conflict,
            restriction_locked=locked,
            who_may_lift=commands.WHO_MAY_LIFT_RESTRICTION,
        )

    return submit(
        form,
        lambda: commands.edit_case(
            user,
            reference,
            version=form.version.data or 0,
            **{**_case_details(form), "restricted": restricted},
            lead_officer_id=form.lead_officer_id.data,
            lift_reason=form.lift_reason.data or "",
        ),
        saved=lambda _case: Saved("Case details saved.", _case_url(case.reference)),
        page=page,
        check=lambda: commands.check_edit_case(
            user,
            reference,
            restricted=restricted,
            lift_reason=None if form.lift_reason.errors else form.lift_reason.data or "",
            lead_officer_id=None if form.lead_officer_id.errors else form.lead_officer_id.data,
            premises_licence=None if form.premises_licence.errors else form.premises_licence.data or "",
        ),
        # Nothing is lost: the form keeps what this user typed and the page shows what is saved now.
        current=lambda: lookup.get_case(user, reference, Permission.CASE_EDIT),
        conflict_page=lambda: page(conflict=True),
        conflict_message=EDIT_CONFLICT,
    )


@bp.route("/<reference>/agencies/new", methods=["GET", "POST"])
@writes_on_get  # the audit record of this view
def add_agency(reference: str) -> Page:
    """Share the case with another agency. Asked from the action form or a meeting's
    decision form, ``next`` leads back there once the agency can be chosen."""
    user = actor()
    case = lookup.get_case(user, reference, Permission.CASE_SHARE)
    form = AddAgencyForm()
    if request.method == "GET":  # a form sent back shows what was typed, already audited
        pages.record_view(user, case, page="add agency", access_reasons=given_reasons())
    agencies = {agency.id: agency.name for agency in pages.agencies_not_involved(user, reference)}
    form.agency_id.choices = [("", "Select an agency")] + list(agencies.items())
    wanted = request.args.get("next") if request.method == "GET" else form.next.data
    back = local_path(wanted) or _case_url(case.reference)
    form.next.data = back
    return submit(
        form,
        lambda: commands.add_agency(user, reference, agency_id=form.agency_id.data or 0, reason=form.reason.data or ""),
        saved=lambda involved: Saved(f"Case shared with {agencies[involved.agency_id]}.", back),
        page=lambda: render_template(
            "cases/add_agency.html", case=case, form=form, back=back, reason_max=SHARE_REASON_MAX
        ),
        check=lambda: commands.check_share(
            user,
            reference,
            agency_id=None if form.agency_id.errors else form.agency_id.data,
            reason=None if form.reason.errors else form.reason.data or "",
        ),
    )


def _change_status(reference: str, *, closing: bool) -> Page:
    user = actor()
    case = lookup.get_case(user, reference, Permission.CASE_CLOSE)
    form = ChangeStatusForm()
    if request.method == "GET":
        form.version.data = case.version
        pages.record_view(user, case, page="close" if closing else "reopen", access_reasons=given_reasons())
    change = commands.close_case if closing else commands.reopen_case
    return submit(
        form,
        lambda: change(user, reference, version=form.version.data or 0, reason=form.reason.data or ""),
        saved=lambda _case: Saved(f"Case {'closed' if closing else 'reopened'}.", _case_url(case.reference)),
        page=lambda: render_template("cases/change_status.html", case=case, form=form, closing=closing),
    )


@bp.route("/<reference>/close", methods=["GET", "POST"])
@writes_on_get  # the audit record of this view
def close(reference: str) -> Page:
    return _change_status(reference, closing=True)


@bp.route("/<reference>/reopen", methods=["GET", "POST"])
@writes_on_get  # the audit record of this view
def reopen(reference: str) -> Page:
    return _change_status(reference, closing=False)


@bp.route("/<reference>/request-access", methods=["GET", "POST"])
@writes_on_get  # the audit record of viewing what the case shows without access
def request_access(reference: str) -> Page:
    user = actor()
    lookup.may_request_access(user, reference)
    form = RequestAccessForm()
    return submit(
        form,
        lambda: commands.request_access(user, reference, reason=form.reason.data or ""),
        saved=lambda _request: Saved(
            "Your request for access has been recorded. The lead agency's PSG chairs and the community safety "
            "managers will be told, and you will be told their decision.",
            _case_url(reference),
        ),
        page=lambda: render_template(
            "cases/request_access.html",
            data=pages.case_page(user, reference, access_reasons=given_reasons()),
            form=form,
        ),
    )


@bp.route("/<reference>/access-reason", methods=["GET", "POST"])
def access_reason(reference: str) -> Page:
    """Why this user is opening a restricted case: asked once per case per session, kept
    in the audit trail and with every view of the case (DPA 2018 s.62)."""
    user = actor()
    form = AccessReasonForm()
    wanted = request.args.get("next") if request.method == "GET" else form.next.data
    back = local_path(wanted) or url_for("cases.detail", reference=reference.upper())
    case = lookup.case_asking_reason(user, reference)
    if case is None:  # nothing to justify
        return redirect(back)
    form.next.data = back

    def remember(given: dict[str, str]) -> Saved:
        session[ACCESS_REASONS_KEY] = {**session.get(ACCESS_REASONS_KEY, {}), str(case.id): given}
        return Saved(None, back)

    return submit(
        form,
        lambda: commands.record_access_reason(
            user, reference, reason=form.reason.data or "", details=form.details.data or ""
        ),
        saved=remember,
        page=lambda: render_template("cases/access_reason.html", case=case, form=form),
    )
