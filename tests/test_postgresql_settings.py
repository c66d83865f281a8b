"""How the application's connections to PostgreSQL are set up."""

import pytest

from casework import db

pytestmark = pytest.mark.postgresql_only


def test_postgresql_compiles_no_statement_just_in_time(database_url):
    """JIT compiling cost 40 to 120 ms a statement on pages of a few milliseconds
    (docs/performance.md, "PostgreSQL's JIT")."""
    engine = db.make_engine(database_url)
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SHOW jit").scalar() == "off"
    finally:
        engine.dispose()
