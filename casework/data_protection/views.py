"""Data protection: subject access exports and legal holds."""

import json
from datetime import date, datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from casework import db
from casework.cases import services as cases
from casework.data_protection.forms import LegalHoldForm
from casework.data_protection.services import retention
from casework.data_protection.services.subject_access import export_person
from casework.exceptions import InvalidInput
from casework.permissions import Permission
from casework.ui.forms import show_error
from casework.ui.templating import local_date, local_datetime
from casework.web import actor, writes_on_get

bp = Blueprint("data_protection", __name__, template_folder="templates")


def _when(value: str | None) -> str:
    """An export's ISO date or time, as the rest of the service shows it."""
    if not value:
        return ""
    if "T" in value:
        return local_datetime(datetime.fromisoformat(value))
    return local_date(date.fromisoformat(value))


@bp.get("/people/<int:person_id>/subject-access")
@writes_on_get
def subject_access(person_id: int) -> str:
    export = export_person(actor(), person_id, file_format="html")
    db.session.commit()  # the audit record of the export
    return render_template("data_protection/subject_access.html", export=export, data=export.data, when=_when)


@bp.get("/people/<int:person_id>/subject-access/download")
@writes_on_get
def subject_access_download(person_id: int) -> Response:
    export = export_person(actor(), person_id, file_format="json")
    db.session.commit()
    return Response(
        json.dumps(export.data, indent=2, ensure_ascii=False),
        mimetype="application/json",
        # The person's id, not their name: file names end up in logs and download folders.
        headers={"Content-Disposition": f'attachment; filename="subject-access-person-{person_id}.json"'},
    )


@bp.route("/cases/<reference>/legal-hold", methods=["GET", "POST"])
def legal_hold(reference: str) -> Response | str:
    user = actor()
    case = cases.get_case(user, reference, Permission.LEGAL_HOLD)
    form = LegalHoldForm()
    if request.method == "GET":
        form.version.data = case.version
    placing = not case.legal_hold
    if form.validate_on_submit():
        try:
            retention.set_legal_hold(user, reference, hold=placing, reason=form.reason.data, version=form.version.data)
        except InvalidInput as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash("Legal hold placed." if placing else "Legal hold lifted.", "success")
            return redirect(url_for("cases.detail", reference=case.reference))
    return render_template("data_protection/legal_hold.html", case=case, form=form, placing=placing)
