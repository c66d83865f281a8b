"""Throwaway PostgreSQL clusters for the test suite.

Every test run gets its own brand-new cluster in a temporary directory,
listening only on 127.0.0.1 on a free port, instead of relying on a server
that happens to be installed and running (such as the distribution's
``postgresql`` service).  That keeps runs independent of the machine's state,
lets several runs (or pytest workers) proceed side by side, and leaves
nothing behind.

Only the standard library is used, so this module can be imported to decide
whether PostgreSQL tests can run at all (see :func:`find_postgres_bin_dir`).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = [
    "DEFAULT_DATABASE",
    "PostgresCommandError",
    "PostgresUnavailable",
    "find_postgres_bin_dir",
    "kept_postgres",
    "throwaway_postgres",
]

DEFAULT_DATABASE = "casework_test"
SUPERUSER = "postgres"

# Programs the cluster is built with; they must all come from one installation.
_REQUIRED_PROGRAMS = ("initdb", "pg_ctl", "createdb")

# initdb and postgres refuse to run as root; when we are root, they run as
# this system user (created by Debian's postgresql-common), or else as our
# own system user, created on demand.
_DEBIAN_USER = "postgres"
_FALLBACK_USER = "casework-pg"

# Durability is pointless for a database that is deleted after the run.
_SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}

_COMMAND_TIMEOUT = 120  # seconds, for any one initdb/pg_ctl/createdb call
_START_ATTEMPTS = 3  # another process may grab the free port before we do


class PostgresUnavailable(RuntimeError):
    """PostgreSQL server programs (initdb, pg_ctl) could not be found."""


class PostgresCommandError(RuntimeError):
    """initdb, pg_ctl or createdb failed; the message includes its output."""


def find_postgres_bin_dir() -> Path | None:
    """Return the directory holding initdb, pg_ctl and createdb, or None.

    Debian keeps the server programs off PATH, in
    ``/usr/lib/postgresql/<version>/bin``; the highest version there wins.
    Otherwise PATH is searched (other distributions, Homebrew, ...).  The
    test suite uses a ``None`` result to skip PostgreSQL tests, or to fail
    them when running under CI.
    """
    debian_dirs = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda bin_dir: _version_key(bin_dir.parent.name),
        reverse=True,
    )
    for bin_dir in debian_dirs:
        if _has_required_programs(bin_dir):
            return bin_dir

    initdb = shutil.which("initdb")
    if initdb is None:
        return None
    # PATH may hold symlinks (e.g. /usr/local/bin/initdb); prefer the real
    # installation directory, which also holds pg_isready, psql, ...
    for bin_dir in (Path(initdb).resolve().parent, Path(initdb).parent):
        if _has_required_programs(bin_dir):
            return bin_dir
    return None


@contextlib.contextmanager
def throwaway_postgres(database: str = DEFAULT_DATABASE) -> Iterator[str]:
    """Run a brand-new PostgreSQL cluster for the duration of the block.

    Yields a SQLAlchemy URL (``postgresql+psycopg://postgres@127.0.0.1:<port>/
    <database>``) for a freshly created, empty database.  The superuser is
    ``postgres`` with trust authentication, reachable only from 127.0.0.1.
    On exit, even on error, the server is stopped (immediately: nothing needs
    to be flushed) and its temporary directory deleted.

    Raises PostgresUnavailable if the server programs are not installed.
    """
    bin_dir = find_postgres_bin_dir()
    if bin_dir is None:
        raise PostgresUnavailable(
            "PostgreSQL server programs (initdb, pg_ctl) not found in "
            "/usr/lib/postgresql/*/bin or on PATH; install the 'postgresql' "
            "package (see .ci/system-packages)"
        )

    run_as = _server_user() if os.geteuid() == 0 else None
    base_dir = Path(tempfile.mkdtemp(prefix="casework-pg-"))
    data_dir = base_dir / "data"
    log_file = base_dir / "server.log"
    try:
        if run_as is not None:
            os.chown(base_dir, run_as.pw_uid, run_as.pw_gid)
        cluster = _Cluster(bin_dir, base_dir, data_dir, log_file, run_as)
        cluster.initdb()
        try:
            port = cluster.start()
            cluster.createdb(port, database)
            yield f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{port}/{database}"
        finally:
            cluster.stop()
    finally:
        shutil.rmtree(base_dir, ignore_errors=True)


@contextlib.contextmanager
def kept_postgres(base_dir: Path) -> Iterator[str]:
    """Run a PostgreSQL cluster kept in ``base_dir`` between runs (made on first use),
    for the benchmark's cached datasets. Yields the URL of its ``postgres`` database
    (create others from it); the server is stopped cleanly on exit, so the data lasts.

    Raises PostgresUnavailable if the server programs are not installed.
    """
    bin_dir = find_postgres_bin_dir()
    if bin_dir is None:
        raise PostgresUnavailable("PostgreSQL server programs (initdb, pg_ctl) not found; see .ci/system-packages")
    run_as = _server_user() if os.geteuid() == 0 else None
    base_dir.mkdir(parents=True, exist_ok=True)
    if run_as is not None:
        os.chown(base_dir, run_as.pw_uid, run_as.pw_gid)
    cluster = _Cluster(bin_dir, base_dir, base_dir / "data", base_dir / "server.log", run_as)
    if not (cluster.data_dir / "PG_VERSION").exists():
        shutil.rmtree(cluster.data_dir, ignore_errors=True)
        cluster.initdb()
    cluster.stop()  # a server left running by an interrupted run
    try:
        port = cluster.start()
        yield f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{port}/postgres"
    finally:
        cluster.stop(mode="fast")


class _Cluster:
    """The commands run against one temporary cluster."""

    def __init__(
        self,
        bin_dir: Path,
        base_dir: Path,
        data_dir: Path,
        log_file: Path,
        run_as: pwd.struct_passwd | None,
    ) -> None:
        self.bin_dir = bin_dir
        self.base_dir = base_dir
        self.data_dir = data_dir
        self.log_file = log_file
        self.run_as = run_as

    def initdb(self) -> None:
        self._run(
            "initdb",
            f"--pgdata={self.data_dir}",
            f"--username={SUPERUSER}",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        settings = {
            **_SERVER_SETTINGS,
            # Sockets go into our own directory, not /var/run/postgresql
            # (which may not exist or belong to another server).
            "unix_socket_directories": str(self.base_dir),
        }
        with (self.data_dir / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write("\n# Added by tests/support/postgres.py\n")
            for name, value in settings.items():
                conf.write(f"{name} = {_quote_setting(value)}\n")

    def start(self) -> int:
        """Start the server on a free port; return it once connections work."""
        for attempt in range(1, _START_ATTEMPTS + 1):
            port = _free_port()
            try:
                # -w: pg_ctl itself waits until the server accepts connections.
                self._run(
                    "pg_ctl",
                    "start",
                    f"--pgdata={self.data_dir}",
                    f"--log={self.log_file}",
                    f"--options=-p {port}",
                    "--wait",
                    "--timeout=60",
                )
            except PostgresCommandError as error:
                log = self._log_tail()
                if attempt < _START_ATTEMPTS and "could not bind" in log:
                    self.stop()
                    continue
                raise PostgresCommandError(f"{error}\nserver log:\n{log}") from None
            return port
        raise AssertionError("unreachable")

    def createdb(self, port: int, database: str) -> None:
        self._run(
            "createdb",
            f"--host={self.base_dir}",
            f"--port={port}",
            f"--username={SUPERUSER}",
            database,
        )

    def stop(self, mode: str = "immediate") -> None:
        """Stop the server if it is (or may be) running; never raises."""
        if not (self.data_dir / "postmaster.pid").exists():
            return
        with contextlib.suppress(RuntimeError, subprocess.SubprocessError, OSError):
            self._run(
                "pg_ctl",
                "stop",
                f"--pgdata={self.data_dir}",
                f"--mode={mode}",
                "--wait",
            )

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin_dir / program), *args]
        if self.run_as is not None:
            command = ["runuser", "-u", self.run_as.pw_name, "--", *command]
        result = subprocess.run(
            command,
            cwd=self.base_dir,
            env=_clean_environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=_COMMAND_TIMEOUT,
            check=False,
        )
        if result.returncode != 0:
            raise PostgresCommandError(
                f"{' '.join(command)} exited with status {result.returncode}:\n{result.stdout.strip()}"
            )

    def _log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])


def _has_required_programs(bin_dir: Path) -> bool:
    return all(os.access(bin_dir / name, os.X_OK) for name in _REQUIRED_PROGRAMS)


def _version_key(name: str) -> tuple[int, ...]:
    """'15' -> (15,), '9.6' -> (9, 6); anything else sorts last."""
    if re.fullmatch(r"\d+(\.\d+)*", name):
        return tuple(int(part) for part in name.split("."))
    return (-1,)


def _free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the kernel's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _quote_setting(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def _clean_environment() -> dict[str, str]:
    """The current environment without PG* variables, in the C locale.

    Variables such as PGHOST, PGPORT or PGDATA must not redirect our
    commands to another server; the C locale keeps messages in English and
    avoids warnings about locales that are not installed.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    env["LC_ALL"] = "C"
    env.pop("LANGUAGE", None)
    return env


def _server_user() -> pwd.struct_passwd:
    """The unprivileged user to run the server as when we are root."""
    for name in (_DEBIAN_USER, _FALLBACK_USER):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    # Another process may be creating the user at the same time; whoever
    # loses that race just looks the user up again.
    subprocess.run(
        [
            "useradd",
            "--system",
            "--user-group",
            "--no-create-home",
            "--home-dir=/nonexistent",
            "--shell=/usr/sbin/nologin",
            _FALLBACK_USER,
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=False,
    )
    try:
        return pwd.getpwnam(_FALLBACK_USER)
    except KeyError:
        raise RuntimeError(
            f"running as root, and neither the '{_DEBIAN_USER}' user exists "
            f"nor could the '{_FALLBACK_USER}' system user be created; "
            "initdb and postgres refuse to run as root"
        ) from None
