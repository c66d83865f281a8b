from collections.abc import Callable

from flask import Blueprint, current_app, render_template, request
from werkzeug.wrappers import Response

from casework.clock import local_date, utcnow
from casework.home.services import figures, victim_clocks
from casework.home.services.my_work import my_work
from casework.paging import page_number
from casework.policy import WorkPanel, works_with_figures_only
from casework.premises.services.tls_rules import TlsRules
from casework.victims.services import sla_reports
from casework.web import actor, writes_on_get

bp = Blueprint("main", __name__, template_folder="templates")


@bp.get("/")
def home() -> str:
    user = actor()
    if works_with_figures_only(user):
        return render_template("main/figures.html", figures=figures.partnership_figures(user, utcnow()), home=True)
    work = my_work(user, TlsRules.from_config(current_app.config))
    return render_template("main/home.html", work=work, Panel=WorkPanel)


@bp.get("/victims-needing-action")
@writes_on_get  # the audit record of the victims shown
def victims_needing_action() -> str:
    """The whole of My work's "Victims needing action", a page at a time."""
    user = actor()
    page = victim_clocks.page_of(
        user, utcnow(), page=page_number(request.args.get("page")), per_page=victim_clocks.PER_PAGE
    )
    victim_clocks.record_list_view(user, page.items)
    return render_template("main/victims_needing_action.html", page=page)


@bp.get("/figures", endpoint="figures")
def figures_page() -> str:
    return render_template("main/figures.html", figures=figures.partnership_figures(actor(), utcnow()), home=False)


def _csv(name: str, rows: Callable[[], list[tuple[str, ...]]]) -> Response:
    body = sla_reports.to_csv(rows())
    return Response(
        "\ufeff" + body,  # a byte order mark, so spreadsheet programs read the file as UTF-8
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}-{local_date(utcnow()).isoformat()}.csv"'},
    )


@bp.get("/figures/sla/export")
@writes_on_get  # the audit record of the download
def sla_figures() -> Response:
    return _csv("sla-figures", lambda: figures.sla_rows(actor(), utcnow()))


@bp.get("/figures/premises/export")
@writes_on_get
def premises_figures() -> Response:
    target = int(current_app.config.get("TLS_RED_TO_AMBER_TARGET_PERCENT", 80))
    rules = TlsRules.from_config(current_app.config)
    return _csv("premises-figures", lambda: figures.premises_rows(actor(), utcnow(), rules, target))


@bp.get("/figures/actions/export")
@writes_on_get
def actions_figures() -> Response:
    return _csv("actions-by-agency", lambda: figures.actions_rows(actor(), utcnow()))


@bp.get("/figures/cases/export")
@writes_on_get
def cases_figures() -> Response:
    return _csv("cases-by-quarter", lambda: figures.cases_rows(actor(), utcnow()))
