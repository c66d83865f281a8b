from flask import Blueprint, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from casework import db
from casework.cases import services as cases
from casework.cases.models import PartyRole
from casework.exceptions import InvalidInput
from casework.people import services as people
from casework.people.forms import AddExistingPersonForm, FindPersonForm, NewPersonForm
from casework.people.services import SimilarPeopleExist
from casework.permissions import Permission
from casework.ui.forms import show_error
from casework.web import actor, writes_on_get

bp = Blueprint("people", __name__, template_folder="templates")


@bp.route("/cases/<reference>/people/new", methods=["GET", "POST"])
def new(reference: str) -> Response | str:
    user = actor()
    case = cases.get_case(user, reference, Permission.CASE_ADD_PERSON)
    form = NewPersonForm()
    similar = []
    if form.validate_on_submit():
        try:
            party = people.add_new_person(
                user,
                reference,
                role=PartyRole(form.role.data),
                first_name=form.first_name.data,
                last_name=form.last_name.data,
                date_of_birth=form.date_of_birth.data,
                address=form.address.data or "",
                postcode=form.postcode.data or "",
                phone=form.phone.data or "",
                email=form.email.data or "",
                vulnerabilities=form.vulnerabilities.data or "",
                confirmed_new=form.confirmed_new.data == "yes",
            )
        except SimilarPeopleExist as found:
            similar = found.matches
            form.confirmed_new.data = "yes"  # sending the form again means "none of these"
        except InvalidInput as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(f"{form.first_name.data} {form.last_name.data} added as {party.role.label.lower()}.", "success")
            return redirect(url_for("cases.detail", reference=case.reference))
    return render_template(
        "people/new.html", case=case, form=form, similar=similar, add_form=AddExistingPersonForm(role=form.role.data)
    )


@bp.route("/cases/<reference>/people/find", methods=["GET", "POST"])
def find(reference: str) -> str:
    """Search by POST, so names never appear in URLs or access logs."""
    user = actor()
    case = cases.get_case(user, reference, Permission.CASE_ADD_PERSON)
    form = FindPersonForm()
    results = None
    if form.validate_on_submit():
        results = people.search_people(user, reference, name=form.name.data)
    return render_template("people/find.html", case=case, form=form, results=results, add_form=AddExistingPersonForm())


@bp.post("/cases/<reference>/people/add")
def add_existing(reference: str) -> Response | tuple[str, int]:
    user = actor()
    case = cases.get_case(user, reference, Permission.CASE_ADD_PERSON)
    form = AddExistingPersonForm()
    if form.validate_on_submit():
        try:
            party = people.add_existing_person(
                user, reference, person_id=form.person_id.data, role=PartyRole(form.role.data)
            )
        except InvalidInput as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(f"Person added as {party.role.label.lower()}.", "success")
            return redirect(url_for("cases.detail", reference=case.reference))
    return render_template("people/add_failed.html", case=case, form=form), 400


@bp.get("/people/<int:person_id>")
@writes_on_get
def detail(person_id: int) -> str:
    data = people.person_page(actor(), person_id)
    page = render_template("people/detail.html", data=data)
    db.session.commit()  # the audit record of this view
    return page
