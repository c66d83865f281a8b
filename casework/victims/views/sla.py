from dataclasses import dataclass

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from casework.clock import parse_quarter, previous_quarters, quarter_of, utcnow
from casework.exceptions import InvalidInput
from casework.paging import page_number
from casework.permissions import Permission
from casework.policy import authorize
from casework.ui.forms import chosen_quarter
from casework.victims.models import ClockKind
from casework.victims.services import sla, sla_reports
from casework.web import actor, writes_on_get

bp = Blueprint("sla", __name__, template_folder="../templates", url_prefix="/sla")

TREND_QUARTERS = 4
QUARTERS_OFFERED = 8


@bp.before_request
def figures_at_least() -> None:
    """Partners, licensing officers and PSG members do not see the dashboard at all."""
    authorize(actor(), Permission.SLA_VIEW_FIGURES)


@bp.get("")
def index() -> str:
    user, now = actor(), utcnow()
    form, quarter = chosen_quarter(now, QUARTERS_OFFERED)
    figures, trend = sla_reports.figures_and_trend(user, quarter, previous_quarters(quarter, TREND_QUARTERS), now)
    return render_template(
        "sla/index.html",
        form=form,
        now=sla_reports.now_view(user, now),
        figures=figures,
        trend=trend,
        chart=trend_chart(trend, sla.rules().target_percent),
    )


@bp.get("/due-now")
@writes_on_get  # the audit record of this view
def due_now() -> str:
    """Every clock overdue or due soon, a page at a time: the dashboard lists the first."""
    listed = sla_reports.due_now_list(actor(), utcnow(), page=page_number(request.args.get("page")))
    return render_template("sla/due_now.html", listed=listed)


@bp.get("/export")
@writes_on_get  # the audit record of the export
def export() -> Response:
    user, now = actor(), utcnow()
    authorize(user, Permission.SLA_EXPORT)
    key = request.args.get("quarter", "")
    try:
        quarter = parse_quarter(key, now) if key else quarter_of(now)
    except InvalidInput:
        return redirect(url_for("sla.index", quarter=key))  # the dashboard explains what is wrong
    body = sla_reports.to_csv(sla_reports.export_rows(user, quarter, now))
    return Response(
        "\ufeff" + body,  # a byte order mark, so spreadsheet programs read the file as UTF-8
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="sla-clocks-{quarter.key}.csv"'},
    )


# --- The trend chart: an inline SVG drawn on the server --------------------------------

# GOV.UK dark and light blue: far apart in lightness, so the two kinds stay distinct
# without colour vision, and each at least 3:1 against white (WCAG 1.4.11).
BAR_COLOURS = {ClockKind.CONFERENCE_72H: "#003078", ClockKind.REDUCE_7D: "#5694ca"}


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    height: float
    colour: str
    label: str  # the value written above the bar


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    bar_width: int
    bars: list[Bar]
    groups: list[tuple[float, str]]  # (centre x, quarter label)
    gridlines: list[tuple[float, str]]  # (y, percent label)
    target_y: float
    target: int
    colours: dict[ClockKind, str]


def trend_chart(points: list[sla_reports.TrendPoint], target: int) -> Chart:
    """Where each bar goes: the rate of each kind in each quarter, 0 to 100 percent."""
    # The target's label sits right of the plot, where no bar's value can run into it.
    width, height, left, right, top, bottom = 690, 285, 48, 624, 40, 250
    bar_width, gap = 40, 6
    slot = (right - left) / max(len(points), 1)

    def y(percent: float) -> float:
        return round(bottom - (bottom - top) * percent / 100, 1)

    bars, groups = [], []
    for index, point in enumerate(points):
        centre = left + slot * (index + 0.5)
        groups.append((round(centre, 1), point.quarter.label))
        for x, kind in zip((centre - gap / 2 - bar_width, centre + gap / 2), ClockKind, strict=True):
            figures = point.kinds[kind]
            rate = figures.rate
            top_y = y(rate) if rate is not None else bottom
            bars.append(
                Bar(
                    round(x, 1),
                    top_y,
                    round(bottom - top_y, 1),
                    BAR_COLOURS[kind],
                    f"{figures.percent}%" if rate is not None else "–",
                )
            )
    return Chart(
        width,
        height,
        left,
        right,
        top,
        bottom,
        bar_width,
        bars,
        groups,
        gridlines=[(y(p), f"{p}%") for p in (0, 25, 50, 75, 100)],
        target_y=y(target),
        target=target,
        colours=BAR_COLOURS,
    )
