"""What a load balancer asks: is the database there."""

from sqlalchemy import text

from casework import db


def check_database() -> None:
    """Raises if the database cannot be reached."""
    db.session.execute(text("SELECT 1"))
