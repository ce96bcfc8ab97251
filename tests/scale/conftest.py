"""One real PostgreSQL and one real Redis for the whole session; worker and web processes
started by the tests talk to them as a deployment would (DATABASE_URL, REDIS_URL). The test
process itself uses the same PostgreSQL as its default database for these tests only, so it
makes jobs through the portal's own services and reads what the workers wrote."""

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.test import override_settings

from tests.scale.services import ServiceError, Services

REPO = Path(__file__).resolve().parents[2]
DB_NAME = "voiceportal"
QUEUES = ["default", "speech"]


@pytest.fixture(scope="session")
def services():
    try:
        started = Services().start()
    except ServiceError as exc:
        pytest.fail(f"The scale-out tests need PostgreSQL and Redis: {exc}", pytrace=False)
    yield started
    started.stop()


@pytest.fixture(scope="session")
def stack_env(services, tmp_path_factory) -> dict[str, str]:
    """The environment of every process the tests start: the deployment's variables."""
    import psycopg

    with psycopg.connect(services.postgres.url(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.scale.stack_settings",
        "DATABASE_URL": services.postgres.url(DB_NAME),
        "REDIS_URL": services.redis.url,
        "VOICEPORTAL_TASKS_BACKEND": "django_tasks_rq.RQBackend",
        "VOICEPORTAL_MEDIA_ROOT": str(tmp_path_factory.mktemp("media")),
        "VOICEPORTAL_WARM_UP": "0",
        "VOICEPORTAL_JOB_REAP_SECONDS": "0.5",
        "VOICEPORTAL_FAKE_DELAY": "0.2",
    }
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    if migrate.returncode:
        pytest.fail(f"migrate on PostgreSQL failed: {migrate.stderr[-3000:]}", pytrace=False)
    return env


@contextmanager
def _default_database(conf: dict):
    """The test process's `default` alias points at `conf` for a while."""
    from django.db import connections

    old = connections.settings["default"]
    connections["default"].close()
    connections.settings["default"] = connections.configure_settings({"default": conf})["default"]
    del connections["default"]
    try:
        yield
    finally:
        conn = connections["default"]
        conn.close()
        if hasattr(conn, "close_pool"):
            conn.close_pool()
        connections.settings["default"] = old
        del connections["default"]


@pytest.fixture(scope="module")
def stack(stack_env, django_db_blocker):
    """PostgreSQL, the Redis task queue and channel layer, in this process too."""
    from voiceportal.env import env_database

    os.environ["DATABASE_URL"] = stack_env["DATABASE_URL"]
    try:
        conf = env_database("DATABASE_URL", pool_size=4)
    finally:
        del os.environ["DATABASE_URL"]
    url = stack_env["REDIS_URL"]
    redis_settings = override_settings(
        TASKS={"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": QUEUES}},
        RQ_QUEUES={q: {"URL": url, "DEFAULT_TIMEOUT": -1} for q in QUEUES},
        CHANNEL_LAYERS={
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {"hosts": [url]},
            }
        },
        MEDIA_ROOT=Path(stack_env["VOICEPORTAL_MEDIA_ROOT"]),
    )
    with django_db_blocker.unblock(), _default_database(conf), redis_settings:
        yield stack_env


class Workers:
    """Worker processes (`manage.py run_worker`), each its own process as in production."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.started: dict[int, subprocess.Popen] = {}

    def start(self, queues: str = "default", count: int = 1, **env) -> list[subprocess.Popen]:
        new = [
            subprocess.Popen(
                [sys.executable, "manage.py", "run_worker", "--queue-name", queues],
                cwd=REPO,
                env={**self.env, **env},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            for _ in range(count)
        ]
        self.started.update((w.pid, w) for w in new)
        return new

    def of(self, job) -> subprocess.Popen | None:
        """The worker process that holds the job now."""
        job.refresh_from_db(fields=["worker_id"])
        pid = job.worker_id.rpartition(":")[2]
        return self.started.get(int(pid)) if pid.isdigit() else None

    def stop(self) -> None:
        for worker in self.started.values():
            worker.kill()
            worker.wait()


@pytest.fixture
def workers(stack):
    running = Workers(stack)
    yield running
    running.stop()
    _drain()


def _drain() -> None:
    """Nothing a test left queued reaches the next one."""
    import django_rq

    for queue in QUEUES:
        django_rq.get_queue(queue).empty()


def wait_until(predicate, timeout: float = 30.0, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


_users = iter(range(10**6))


@pytest.fixture
def make_user(stack):
    """A new user in the PostgreSQL database (names never repeat across the session)."""
    from django.contrib.auth import get_user_model

    def make(name: str):
        return get_user_model().objects.create_user(f"{name}-{next(_users)}", password="pw-123456")

    return make
