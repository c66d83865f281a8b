"""/premises/report, the traffic light report for licensing officers, managers, chairs,
admins and analysts (figures only), and its CSV export for managers and admins."""

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from casework.clock import parse_quarter, previous_quarters, quarter_of, utcnow
from casework.exceptions import InvalidInput
from casework.permissions import Permission
from casework.policy import authorize
from casework.premises.services import tls_reports
from casework.premises.services.tls_rules import TlsRules
from casework.ui.forms import chosen_quarter
from casework.victims.services import sla_reports
from casework.web import actor, writes_on_get

bp = Blueprint("tls_report", __name__, template_folder="../templates", url_prefix="/premises/report")

ACTIVITY_QUARTERS = 4
QUARTERS_OFFERED = 8


@bp.before_request
def report_at_least() -> None:
    authorize(actor(), Permission.PREMISES_REPORT)


def _rules() -> TlsRules:
    return TlsRules.from_config(current_app.config)


@bp.get("")
def index() -> str:
    user, now = actor(), utcnow()
    form, quarter = chosen_quarter(now, QUARTERS_OFFERED)
    target = int(current_app.config.get("TLS_RED_TO_AMBER_TARGET_PERCENT", 80))
    report = tls_reports.report(user, quarter, previous_quarters(quarter, ACTIVITY_QUARTERS), now, _rules(), target)
    return render_template("premises/report.html", form=form, report=report)


@bp.get("/export")
@writes_on_get  # the audit record of the export
def export() -> Response:
    user, now = actor(), utcnow()
    authorize(user, Permission.PREMISES_EXPORT)
    key = request.args.get("quarter", "")
    try:
        quarter = parse_quarter(key, now) if key else quarter_of(now)
    except InvalidInput:
        return redirect(url_for("tls_report.index", quarter=key))  # the report explains what is wrong
    body = sla_reports.to_csv(tls_reports.export_rows(user, quarter, _rules()))
    return Response(
        "\ufeff" + body,  # a byte order mark, so spreadsheet programs read the file as UTF-8
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="premises-changes-{quarter.key}.csv"'},
    )
