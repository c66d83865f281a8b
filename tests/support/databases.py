"""Databases of their own, for tests that cannot run inside the rolled-back transaction."""

import contextlib
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from tests.support.postgres import PostgresUnavailable, find_postgres_bin_dir


@contextlib.contextmanager
def fresh_database(database_url: str, directory: Path, *, prefix: str) -> Iterator[str]:
    """A new, empty database on the same backend (and server) as ``database_url``.

    SQLite: a new file in ``directory``. PostgreSQL: a new database on the same
    server, dropped afterwards even if connections are still open.
    """
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{directory / f'{prefix}.sqlite'}"
        return
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    server = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def dump_database(database_url: str, path: Path) -> None:
    """Write a PostgreSQL database, schema and rows, to ``path`` (pg_dump's custom format)."""
    written = path.with_name(path.name + ".partial")
    _run_client("pg_dump", "--format=custom", f"--file={written}", _libpq(database_url))
    written.rename(path)  # whoever reads it sees the whole dump or none


def restore_database(database_url: str, path: Path) -> None:
    """Fill an empty PostgreSQL database from a dump ``dump_database`` wrote."""
    _run_client("pg_restore", "--no-owner", "--exit-on-error", f"--dbname={_libpq(database_url)}", str(path))


def _libpq(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def _run_client(program: str, *args: str) -> None:
    bin_dir = find_postgres_bin_dir()
    if bin_dir is None:
        raise PostgresUnavailable(f"{program} not found")
    command = [str(bin_dir / program), *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{program} failed ({result.returncode}): {result.stderr}")
