"""`make run` (scripts/run.sh) for real: a worker killed with -9 is started again while the web
server goes on answering, and Ctrl-C still stops everything."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.speech.stack import free_port

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[1]


def children(pid: int) -> dict[int, str]:
    """pid -> command line of each child of `pid`."""
    found = {}
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        cmdline = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        found[int(child)] = cmdline
    return found


def wait_until(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


def healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def portal(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "PY": sys.executable,
        "PORT": str(port),
        "DJANGO_SETTINGS_MODULE": "tests.speech.stack_settings",
        "VOICEPORTAL_SQLITE_PATH": str(tmp_path / "db.sqlite3"),
        "VOICEPORTAL_MEDIA_ROOT": str(tmp_path / "media"),
        "VOICEPORTAL_TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
    }
    log = open(tmp_path / "run.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        ["scripts/run.sh"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: healthy(url) or process.poll() is not None, timeout=120)
        assert process.poll() is None, (tmp_path / "run.log").read_text()[-3000:]
        yield process, url, tmp_path / "run.log"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_a_killed_worker_is_started_again_while_the_web_server_answers(portal):
    supervisor, url, log = portal
    workers = {p for p, cmd in children(supervisor.pid).items() if "--queue-name default" in cmd}
    (victim,) = workers
    os.kill(victim, signal.SIGKILL)

    def restarted():
        assert healthy(url), "the web server stopped answering"
        now = {p for p, c in children(supervisor.pid).items() if "--queue-name default" in c}
        return now and victim not in now

    wait_until(restarted, timeout=30)
    assert f"(pid {victim}) exited with -9" in log.read_text()
    assert healthy(url)


def test_ctrl_c_stops_everything(portal):
    supervisor, url, _ = portal
    started = set(children(supervisor.pid))
    os.killpg(supervisor.pid, signal.SIGINT)  # what the terminal sends on Ctrl-C
    assert supervisor.wait(timeout=30) == 0
    assert not any(Path(f"/proc/{pid}").exists() for pid in started)
    assert not healthy(url)
