from flask import Blueprint

from casework.health.services import check_database

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[str, int, dict[str, str]]:
    """For load balancers: the app answers and can reach its database."""
    check_database()
    return "ok", 200, {"Content-Type": "text/plain"}
