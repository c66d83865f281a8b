"""Alembic owns the schema: one head, a working downgrade, and models that match.

Each backend gets a fresh, empty database of its own, so these tests neither depend on
nor disturb the one the rest of the suite runs in.
"""

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from casework import db, schema
from casework.accounts.models import User
from casework.agencies.models import Agency, AgencyKind
from casework.cases.models import Case, CaseCount, CaseStatus, CaseType, Note, NoteKind
from casework.clock import utcnow
from casework.permissions import Role
from tests.conftest import ROOT, alembic_config
from tests.support.databases import fresh_database

pytestmark = pytest.mark.both_databases

VERSIONS = ROOT / "migrations" / "versions"
FILE_NAME = re.compile(r"^(?P<date>\d{8})_(?P<time>\d{4})_(?P<revision>[0-9a-f]+)_(?P<slug>[a-z0-9_]+)\.py$")


def _migration_files() -> list[Path]:
    return sorted(path for path in VERSIONS.glob("*.py") if path.name != "__init__.py")


@pytest.fixture
def empty_database(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A brand-new empty database on the same backend as ``database_url``."""
    with fresh_database(database_url, tmp_path, prefix="casework_migrations") as url:
        yield url


def _tables(url: str) -> set[str]:
    engine = db.make_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_there_is_one_head():
    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    assert len(heads) == 1, heads


def test_history_is_one_unbroken_line():
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    revisions = list(script.walk_revisions())
    assert revisions[-1].down_revision is None
    assert all(not revision.is_merge_point for revision in revisions)
    assert len(revisions) == len(_migration_files())


def test_upgrade_downgrade_and_upgrade_again(empty_database):
    migrations = alembic_config(empty_database)
    model_tables = set(db.Base.metadata.tables)
    assert schema.FEATURE_MODELS  # every feature's tables are in the metadata, however the test is run

    command.upgrade(migrations, "head")
    assert _tables(empty_database) == model_tables | {"alembic_version"}

    command.downgrade(migrations, "base")
    assert _tables(empty_database) <= {"alembic_version"}

    command.upgrade(migrations, "head")
    assert _tables(empty_database) == model_tables | {"alembic_version"}


def test_models_match_the_migrated_schema(empty_database):
    """What `alembic check` does: autogenerate finds nothing to write."""
    migrations = alembic_config(empty_database)
    command.upgrade(migrations, "head")
    engine = db.make_engine(empty_database)
    try:
        with engine.connect() as connection:
            opts = {"compare_type": True, "include_object": db.not_made_by_ddl}
            context = MigrationContext.configure(connection, opts=opts)
            differences = compare_metadata(context, db.Base.metadata)
    finally:
        engine.dispose()
    assert differences == []
    command.check(migrations)  # the same through the project's env.py


def test_each_step_downgrades_and_upgrades_on_its_own(empty_database):
    """Walk up one revision at a time, stepping back and forth at each."""
    migrations = alembic_config(empty_database)
    script = ScriptDirectory.from_config(migrations)
    for revision in reversed(list(script.walk_revisions())):
        command.upgrade(migrations, revision.revision)
        command.downgrade(migrations, "-1")
        command.upgrade(migrations, revision.revision)
    assert _tables(empty_database) == set(db.Base.metadata.tables) | {"alembic_version"}


@pytest.mark.parametrize("path", _migration_files(), ids=lambda path: path.name)
def test_migration_file_is_date_prefixed_and_named_after_its_revision(path):
    match = FILE_NAME.match(path.name)
    assert match, f"{path.name} should look like YYYYMMDD_HHMM_<revision>_<slug>.py"
    module = ast.parse(path.read_text())
    revision = next(
        node.value.value
        for node in module.body
        if isinstance(node, (ast.Assign, ast.AnnAssign))
        and getattr(node.targets[0] if isinstance(node, ast.Assign) else node.target, "id", None) == "revision"
    )
    assert match["revision"] == revision


def _does_something(function: ast.FunctionDef) -> bool:
    """More than a docstring and `pass`."""
    body = [
        statement
        for statement in function.body
        if not isinstance(statement, ast.Pass)
        and not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant))
    ]
    return bool(body)


@pytest.mark.parametrize("path", _migration_files(), ids=lambda path: path.name)
def test_every_migration_has_an_upgrade_and_a_real_downgrade(path):
    functions = {node.name: node for node in ast.parse(path.read_text()).body if isinstance(node, ast.FunctionDef)}
    assert {"upgrade", "downgrade"} <= set(functions)
    assert _does_something(functions["upgrade"])
    assert _does_something(functions["downgrade"]), f"{path.name} has an empty downgrade"


@pytest.mark.parametrize("path", _migration_files(), ids=lambda path: path.name)
def test_migrations_never_import_app_code(path):
    """A migration must keep working after the models it was written against change."""
    imports = [
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    ]
    assert not [name for name in imports if name and name.split(".")[0] in ("casework", "config")]


def test_a_database_in_use_upgrades_with_its_rows_kept(empty_database):
    """Batch mode on SQLite copies a table and drops the old one; rows elsewhere that
    point at it (a case's notes) must neither block that nor be left pointing nowhere."""
    migrations = alembic_config(empty_database)
    command.upgrade(migrations, "b2b6cfc57b8c")  # before the migrations that copy `cases`
    now = utcnow()
    engine = db.make_engine(empty_database)
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.insert(Agency.__table__),
                [
                    {
                        "id": 1,
                        "name": "Police",
                        "kind": AgencyKind.POLICE,
                        "statutory": True,
                        "active": True,
                        "created_at": now,
                    }
                ],
            )
            connection.execute(
                sa.insert(users_table_then()),
                [
                    {
                        "id": 1,
                        "email": "o@example.test",
                        "name": "O",
                        "agency_id": 1,
                        "role": Role.PSG_MEMBER,
                        "password_hash": "x",
                        "active": True,
                        "session_token": "t",
                        "created_at": now,
                        "version": 1,
                    }
                ],
            )
            # The columns `cases` had then, so none added later is written.
            cases = sa.table(
                "cases",
                *[
                    sa.column(name, Case.__table__.c[name].type)
                    for name in (
                        "id",
                        "reference",
                        "case_type",
                        "title",
                        "summary",
                        "status",
                        "lead_agency_id",
                        "district",
                        "town",
                        "ward",
                        "restricted",
                        "opened_at",
                        "opened_by_id",
                        "version",
                    )
                ],
            )
            connection.execute(
                sa.insert(cases),
                [
                    {
                        "id": 1,
                        "reference": "ASB-2026-00001",
                        "case_type": CaseType.VICTIM,
                        "title": "Noise",
                        "summary": "",
                        "status": CaseStatus.OPEN,
                        "lead_agency_id": 1,
                        "district": "",
                        "town": "",
                        "ward": "",
                        "restricted": False,
                        "opened_at": now,
                        "opened_by_id": 1,
                        "version": 1,
                    }
                ],
            )
            connection.execute(
                sa.insert(Note.__table__),
                [{"case_id": 1, "author_id": 1, "kind": NoteKind.NOTE, "body": "First visit", "created_at": now}],
            )
        command.upgrade(migrations, "head")
        with engine.connect() as connection:
            assert connection.execute(sa.select(Case.reference, Case.psg_review, Case.premises_id)).all() == [
                ("ASB-2026-00001", False, None)
            ]
            assert connection.execute(sa.select(Note.body, Note.case_id)).all() == [("First visit", 1)]
            # The migration case_counts counted the case that was already there.
            assert connection.execute(sa.select(CaseCount.case_type, CaseCount.status, CaseCount.tally)).all() == [
                (CaseType.VICTIM, CaseStatus.OPEN, 1)
            ]
    finally:
        engine.dispose()


def users_table_then():
    """The columns `users` had at that revision, so none added later is written."""
    names = (
        "id",
        "email",
        "name",
        "agency_id",
        "role",
        "password_hash",
        "active",
        "session_token",
        "created_at",
        "version",
    )
    return sa.table("users", *[sa.column(name, User.__table__.c[name].type) for name in names])
