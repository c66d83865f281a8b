from flask import Blueprint
from sqlalchemy import text

from casework import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[str, int, dict[str, str]]:
    """For load balancers: the app answers and can reach its database."""
    db.session.execute(text("SELECT 1"))
    return "ok", 200, {"Content-Type": "text/plain"}
