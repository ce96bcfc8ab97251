"""Daphne serving the portal in a subprocess, on the test database and media folder, for clients
that need a real socket (the openai SDK, a browser)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.speech.stack import free_port

REPO = Path(__file__).resolve().parents[2]


class Daphne:
    def __init__(self, *, db_path: str, media_root: str, log: Path, **env):
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "VOICEPORTAL_SQLITE_PATH": db_path,
            "VOICEPORTAL_MEDIA_ROOT": media_root,
            "VOICEPORTAL_WARM_UP": "0",
            **env,
        }
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log

    def __enter__(self) -> "Daphne":
        args = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port),
                "voiceportal.asgi:application"]  # fmt: skip
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                args, cwd=REPO, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        self._wait_until_up()
        return self

    def __exit__(self, *exc) -> None:
        self.process.kill()
        self.process.wait()

    def _wait_until_up(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(self.log.read_text()[-3000:])
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("daphne did not start:\n" + self.log.read_text()[-3000:])
