"""Data protection: subject access exports and legal holds."""

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from flask import Blueprint, render_template, request, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from casework.cases.services import lookup as cases
from casework.cases.services import pages as case_pages
from casework.data_protection.forms import LegalHoldForm
from casework.data_protection.services import retention
from casework.data_protection.services.subject_access import export_person
from casework.permissions import Permission
from casework.ui.flow import Page, Saved, submit
from casework.ui.tables import drawn_row
from casework.ui.templating import local_date, local_datetime
from casework.web import actor, given_reasons, writes_on_get

bp = Blueprint("data_protection", __name__, template_folder="templates")


def _when(value: str | None) -> str:
    """An export's ISO date or time, as the rest of the service shows it."""
    if not value:
        return ""
    if "T" in value:
        return local_datetime(datetime.fromisoformat(value))
    return local_date(date.fromisoformat(value))


def _note_rows(notes: list[dict[str, Any]]) -> list[Markup]:
    """The export's two long lists, notes and the audit trail (thousands of rows for a
    long history), drawn in one pass here rather than cell by cell in the template."""
    return [
        drawn_row(_when(note["at"]), note["kind"], note["author"], note["text"], last_classes="casework-preserve-lines")
        for note in notes
    ]


def _audit_rows(events: list[dict[str, Any]]) -> list[Markup]:
    return [
        drawn_row(_when(event["at"]), event["who"], event["action"], event["case"], event["reason"]) for event in events
    ]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """An export of a long history makes thousands of records and a hundred thousand
    values at once, and each burst set off full collections of the whole heap: a third
    of the export's time (docs/performance.md). Nothing it makes outlives the request,
    so the collector waits until it is done, then runs as usual."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


@bp.get("/people/<int:person_id>/subject-access")
@writes_on_get  # the audit record of the export
def subject_access(person_id: int) -> str:
    with _collector_paused():
        export = export_person(actor(), person_id, file_format="html")
        return render_template(
            "data_protection/subject_access.html",
            export=export,
            data=export.data,
            when=_when,
            note_rows=_note_rows,
            audit_rows=_audit_rows,
        )


@bp.get("/people/<int:person_id>/subject-access/download")
@writes_on_get  # the audit record of the export
def subject_access_download(person_id: int) -> Response:
    with _collector_paused():
        export = export_person(actor(), person_id, file_format="json")
        body = json.dumps(export.data, indent=2, ensure_ascii=False)
    return Response(
        body,
        mimetype="application/json",
        # The person's id, not their name: file names end up in logs and download folders.
        headers={"Content-Disposition": f'attachment; filename="subject-access-person-{person_id}.json"'},
    )


@bp.route("/cases/<reference>/legal-hold", methods=["GET", "POST"])
@writes_on_get  # the audit record of this view
def legal_hold(reference: str) -> Page:
    user = actor()
    case = cases.get_case(user, reference, Permission.LEGAL_HOLD)
    form = LegalHoldForm()
    if request.method == "GET":
        form.version.data = case.version
        case_pages.record_view(user, case, page="legal hold", access_reasons=given_reasons())
    placing = not case.legal_hold
    return submit(
        form,
        lambda: retention.set_legal_hold(
            user, reference, hold=placing, reason=form.reason.data or "", version=form.version.data or 0
        ),
        saved=lambda _case: Saved(
            "Legal hold placed." if placing else "Legal hold lifted.",
            url_for("cases.detail", reference=case.reference),
        ),
        page=lambda: render_template("data_protection/legal_hold.html", case=case, form=form, placing=placing),
    )
