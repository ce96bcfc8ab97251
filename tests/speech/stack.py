"""The real stack for streaming tests: daphne and a worker (of the speech queue unless told),
each a subprocess, on the test database and media folder."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    def __init__(self, *, db_path: str, media_root: str, logs: Path, queue: str = "speech"):
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.speech.stack_settings",
            "VOICEPORTAL_SQLITE_PATH": db_path,
            "VOICEPORTAL_MEDIA_ROOT": media_root,
            "VOICEPORTAL_TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        }
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.processes: list[subprocess.Popen] = []
        self.logs = logs
        self.queue = queue

    def __enter__(self) -> "Stack":
        py = sys.executable
        self._start([py, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port),
                     "voiceportal.asgi:application"])  # fmt: skip
        self._start([py, "manage.py", "run_worker", "--queue-name", self.queue,
                     "--interval", "0.05"])  # fmt: skip
        self._wait_until_up()
        return self

    def __exit__(self, *exc) -> None:
        for process in self.processes:
            process.kill()
            process.wait()

    def _start(self, args: list[str]) -> None:
        # To a file, not a pipe: nobody reads a pipe while the tests run, and a full one blocks.
        log = open(self.logs / f"{len(self.processes)}.log", "wb")  # noqa: SIM115
        self.processes.append(
            subprocess.Popen(args, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        )

    def log_tail(self) -> str:
        return "\n".join(p.read_text()[-2000:] for p in sorted(self.logs.glob("*.log")))

    def _wait_until_up(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for process in self.processes:
                if process.poll() is not None:
                    raise RuntimeError(self.log_tail())
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("the stack did not start")
