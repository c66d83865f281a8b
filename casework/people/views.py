from flask import Blueprint, render_template, request, url_for

from casework.cases.models import CaseParty
from casework.cases.services import lookup as cases
from casework.cases.services import pages as case_pages
from casework.people import services as people
from casework.people.forms import AddExistingPersonForm, FindPersonForm, NewPersonForm
from casework.people.models import Person
from casework.people.services import SimilarPeopleExist
from casework.permissions import Permission
from casework.ui.flow import AskFirst, Page, Saved, submit
from casework.web import actor, given_reasons, writes_on_get

bp = Blueprint("people", __name__, template_folder="templates")


@bp.route("/cases/<reference>/people/new", methods=["GET", "POST"])
@writes_on_get  # the audit record of this view
def new(reference: str) -> Page:
    user = actor()
    case = cases.get_case(user, reference, Permission.CASE_ADD_PERSON)
    form = NewPersonForm()
    if request.method == "GET":  # a form sent back shows what was typed, already audited
        case_pages.record_view(user, case, page="add person", access_reasons=given_reasons())
    similar: list[Person] = []
    on_this_case: dict[int, str] = {}

    def add() -> CaseParty:
        nonlocal similar, on_this_case
        try:
            return people.add_new_person(
                user,
                reference,
                role=form.role.chosen,
                first_name=form.first_name.data or "",
                last_name=form.last_name.data or "",
                date_of_birth=form.date_of_birth.data,
                address=form.address.data or "",
                postcode=form.postcode.data or "",
                phone=form.phone.data or "",
                email=form.email.data or "",
                vulnerabilities=form.vulnerabilities.data or "",
                confirmed_new=form.confirmed_new.data == "yes",
            )
        except SimilarPeopleExist as found:
            similar, on_this_case = found.matches, found.on_this_case
            form.confirmed_new.data = "yes"  # sending the form again means "none of these"
            raise AskFirst() from None

    return submit(
        form,
        add,
        saved=lambda party: Saved(
            f"{form.first_name.data} {form.last_name.data} added as {party.role.label.lower()}.",
            url_for("cases.detail", reference=case.reference),
        ),
        page=lambda: render_template(
            "people/new.html",
            case=case,
            form=form,
            similar=similar,
            on_this_case=on_this_case,
            add_form=AddExistingPersonForm(role=form.role.data),
        ),
    )


@bp.route("/cases/<reference>/people/find", methods=["GET", "POST"])
@writes_on_get  # the audit record of this view
def find(reference: str) -> str:
    """Search by POST, so names never appear in URLs or access logs."""
    user = actor()
    case = cases.get_case(user, reference, Permission.CASE_ADD_PERSON)
    form = FindPersonForm()
    if request.method == "GET":  # a search is a POST, as on the case list, and not audited
        case_pages.record_view(user, case, page="find person", access_reasons=given_reasons())
    results = None
    if form.validate_on_submit():
        results = people.search_people(user, reference, name=form.name.data or "")
    return render_template("people/find.html", case=case, form=form, results=results, add_form=AddExistingPersonForm())


@bp.post("/cases/<reference>/people/add")
def add_existing(reference: str) -> Page:
    user = actor()
    case = cases.get_case(user, reference, Permission.CASE_ADD_PERSON)
    form = AddExistingPersonForm()
    return submit(
        form,
        lambda: people.add_existing_person(user, reference, person_id=form.person_id.data or 0, role=form.role.chosen),
        saved=lambda party: Saved(
            f"Person added as {party.role.label.lower()}.", url_for("cases.detail", reference=case.reference)
        ),
        page=lambda: render_template("people/add_failed.html", case=case, form=form),
    )


@bp.get("/people/<int:person_id>")
@writes_on_get  # the audit record of this view
def detail(person_id: int) -> str:
    data = people.person_page(actor(), person_id, access_reasons=given_reasons())
    return render_template("people/detail.html", data=data)
