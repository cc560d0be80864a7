"""A PostgreSQL server of a test's own, to stop, freeze and resume without touching the shared one.

    with private_postgres() as postgres:
        url = postgres.create_database("flagpilot")
        postgres.stop()      # connections refused
        postgres.start()
        postgres.freeze()    # SIGSTOP: connections open, nothing answers
        postgres.thaw()

The cluster is made by `initdb` in a temporary directory on a free loopback port, with fsync off
(a throw-away cluster needs no durability). `initdb` refuses to run as root, so when the tests run
as root the cluster belongs to the `postgres` OS user and every server command runs as that user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import mkdtemp

import psycopg
import pytest

from tests.databases import create_database
from tests.e2e.server import free_port

OS_USER = "postgres"
START_SECONDS = 60


def postgres_bin() -> Path | None:
    """The newest PostgreSQL server binaries on this machine, if any."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _as_owner(command: Sequence[str]) -> list[str]:
    if os.geteuid() != 0:
        return list(command)
    return ["runuser", "-u", OS_USER, "--", *command]


@dataclass
class PrivatePostgres:
    """One throw-away PostgreSQL cluster and the controls a fault test needs."""

    bin: Path
    directory: Path
    port: int
    _frozen: list[int] = field(default_factory=list)

    @property
    def data(self) -> Path:
        """The cluster's data directory."""
        return self.directory / "data"

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of the maintenance database, as the superuser."""
        return f"postgresql+psycopg://{OS_USER}@127.0.0.1:{self.port}/postgres"

    def _pg_ctl(self, *args: str) -> None:
        subprocess.run(
            _as_owner([str(self.bin / "pg_ctl"), "-D", str(self.data), *args]),
            check=True,
            capture_output=True,
            timeout=START_SECONDS,
        )

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
        log = str(self.directory / "log")
        self._pg_ctl("start", "-w", "-t", str(START_SECONDS), "-l", log, "-o", options)

    def stop(self) -> None:
        """Stop at once (`-m immediate`): every connection is cut, new ones are refused."""
        self.thaw()
        self._pg_ctl("stop", "-m", "immediate", "-w")

    def postmaster_pid(self) -> int:
        """The server's main process."""
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def processes(self) -> list[int]:
        """The postmaster and every process it started (the backends included)."""
        root = self.postmaster_pid()
        children: dict[int, list[int]] = {}
        for stat in glob.glob("/proc/[0-9]*/stat"):
            try:
                text = Path(stat).read_text()
            except OSError:
                continue
            pid, parent = int(text.split()[0]), int(text.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(pid)
        found, queue = [], [root]
        while queue:
            pid = queue.pop()
            found.append(pid)
            queue.extend(children.get(pid, []))
        return found

    def freeze(self) -> None:
        """SIGSTOP the postmaster and its children: connections stay open, nothing answers."""
        for pid in self.processes():
            os.kill(pid, signal.SIGSTOP)
            self._frozen.append(pid)

    def thaw(self) -> None:
        """Resume what `freeze` stopped."""
        while self._frozen:
            pid = self._frozen.pop()
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)

    def create_database(self, name: str) -> str:
        """Create database `name`; its SQLAlchemy URL."""
        return create_database(self.url, name)

    def execute(self, database: str, statement: str) -> None:
        """Run one statement in `database` (autocommit)."""
        with psycopg.connect(
            f"postgresql://{OS_USER}@127.0.0.1:{self.port}/{database}", autocommit=True, connect_timeout=5
        ) as connection:
            connection.execute(statement)  # type: ignore[arg-type]


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """A started throw-away cluster (skips the test when PostgreSQL's binaries are missing)."""
    binaries = postgres_bin()
    if binaries is None:
        pytest.skip("PostgreSQL's server binaries (initdb, pg_ctl) are not installed")
    directory = Path(mkdtemp(prefix="flagpilot-pg-"))
    if os.geteuid() == 0:
        owner = pwd.getpwnam(OS_USER)
        os.chown(directory, owner.pw_uid, owner.pw_gid)
    server = PrivatePostgres(binaries, directory, free_port())
    try:
        subprocess.run(
            _as_owner(
                [str(binaries / "initdb"), "-D", str(server.data), "-U", OS_USER, "--auth=trust", "--no-sync"]
            ),
            check=True,
            capture_output=True,
        )
        with (server.data / "postgresql.conf").open("a") as conf:
            conf.write("fsync = off\nfull_page_writes = off\nmax_connections = 100\n")
        server.start()
        yield server
    finally:
        server.thaw()
        if (server.data / "postmaster.pid").exists():
            with suppress(subprocess.SubprocessError):
                server._pg_ctl("stop", "-m", "immediate", "-w")
        shutil.rmtree(directory, ignore_errors=True)
