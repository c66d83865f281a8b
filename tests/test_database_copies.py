"""The copy of a database the browser tests' second worker restores instead of loading
the demo again (tests/browser/conftest.py): the same schema, rows and sequences."""

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from casework.agencies.models import Agency, AgencyKind
from tests.conftest import alembic_config
from tests.support.databases import dump_database, fresh_database, restore_database

pytestmark = pytest.mark.postgresql_only


def _contents(url: str) -> dict[str, object]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            inspector = sa.inspect(connection)
            tables = sorted(inspector.get_table_names())
            return {
                "tables": {
                    table: sorted(map(tuple, connection.execute(sa.text(f'SELECT * FROM "{table}"'))))
                    for table in tables
                },
                "columns": {table: [column["name"] for column in inspector.get_columns(table)] for table in tables},
                "sequences": sorted(connection.execute(sa.text("SELECT sequencename, last_value FROM pg_sequences"))),
                "triggers": sorted(
                    connection.execute(sa.text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")).scalars()
                ),
            }
    finally:
        engine.dispose()


def test_a_restored_copy_has_the_schema_rows_and_sequences_of_the_original(database_url: str, tmp_path: Path) -> None:
    with (
        fresh_database(database_url, tmp_path, prefix="original") as original,
        fresh_database(database_url, tmp_path, prefix="copy") as copy,
    ):
        command.upgrade(alembic_config(original), "head")
        engine = sa.create_engine(original)
        with engine.begin() as connection:
            for name in ("Fenland District Council", "Cambridgeshire Constabulary"):
                connection.execute(sa.insert(Agency.__table__).values(name=name, kind=AgencyKind.POLICE))
        engine.dispose()
        dump_database(original, tmp_path / "original.dump")

        restore_database(copy, tmp_path / "original.dump")

        copied = _contents(copy)
        assert copied == _contents(original)
        assert len(copied["tables"]["agencies"]) == 2  # type: ignore[index]
        assert ("agencies_id_seq", 2) in copied["sequences"]  # type: ignore[operator]
