"""Databases of their own, for tests that cannot run inside the rolled-back transaction."""

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url


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
