"""One real PostgreSQL and one real Redis, started once for tests/scale (and stopped after
it); the worker and web processes these tests start talk to them as a deployment would
(DATABASE_URL, REDIS_URL), with media in a store without local paths that every process
shares (tests/fakes/object_storage.py, as machines share an S3 bucket). The test process
itself uses the same PostgreSQL as its default database for these tests only, so it makes jobs
through the portal's own services and reads what the workers wrote. Without PostgreSQL or
Redis the tests fail, saying which is missing."""

import contextlib
import json
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


@pytest.fixture(scope="package")
def services():
    try:
        started = Services().start()
    except ServiceError as exc:
        pytest.fail(f"The scale-out tests need PostgreSQL and Redis: {exc}", pytrace=False)
    yield started
    started.stop()


@pytest.fixture(scope="package")
def stack(services, tmp_path_factory, django_db_blocker):
    """PostgreSQL (migrated), the Redis task queue and channel layer, in this process too;
    returns the environment every process started by the tests gets: a deployment's."""
    import psycopg
    from django.conf import settings
    from django.core.management import call_command

    from voiceportal.env import env_database, redis_channel_layer

    with psycopg.connect(services.postgres.url(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",  # on DATABASE_URL when it is set
        "DATABASE_URL": services.postgres.url(DB_NAME),
        "REDIS_URL": services.redis.url,
        "VOICEPORTAL_TASKS_BACKEND": "django_tasks_rq.RQBackend",
        "VOICEPORTAL_MEDIA_ROOT": str(tmp_path_factory.mktemp("media")),
        # Media in a store without paths shared by every process, as machines share a bucket.
        "VOICEPORTAL_MEDIA_STORAGE": "tests.fakes.object_storage.ObjectStorage",
        "VOICEPORTAL_MEDIA_STORAGE_OPTIONS": json.dumps(
            {"location": str(tmp_path_factory.mktemp("objects"))}
        ),
        "VOICEPORTAL_WARM_UP": "0",
        "VOICEPORTAL_JOB_REAP_SECONDS": "0.5",
        "VOICEPORTAL_FAKE_DELAY": "0.2",
        # A dead live inference worker is noticed after 4 s rather than 10 (test_live.py).
        "VOICEPORTAL_LIVE_WORKER_TIMEOUT": "4",
    }
    os.environ["DATABASE_URL"] = env["DATABASE_URL"]
    try:
        conf = env_database("DATABASE_URL", pool_size=4)
    finally:
        del os.environ["DATABASE_URL"]
    url = env["REDIS_URL"]
    redis_settings = override_settings(
        TASKS={"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": QUEUES}},
        RQ_QUEUES={q: {"URL": url, "DEFAULT_TIMEOUT": -1} for q in QUEUES},
        CHANNEL_LAYERS={"default": redis_channel_layer(url)},
        MEDIA_ROOT=Path(env["VOICEPORTAL_MEDIA_ROOT"]),
        STORAGES={
            **settings.STORAGES,
            "default": {
                "BACKEND": env["VOICEPORTAL_MEDIA_STORAGE"],
                "OPTIONS": json.loads(env["VOICEPORTAL_MEDIA_STORAGE_OPTIONS"]),
            },
        },
    )
    with django_db_blocker.unblock(), _default_database(conf), redis_settings:
        call_command("migrate", verbosity=0)
        yield env


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


class Workers:
    """Worker processes (`manage.py run_worker`), each its own process as in production; their
    output goes to a log file (a pipe nobody reads would fill and stop them)."""

    def __init__(self, env: dict[str, str], logs: Path):
        self.env = env
        self.logs = logs
        self.started: dict[int, subprocess.Popen] = {}

    def start(self, queues: str = "default", count: int = 1, **env) -> list[subprocess.Popen]:
        new = []
        for _ in range(count):
            with open(self.logs / f"worker-{len(self.started) + len(new)}.log", "wb") as log:
                new.append(
                    subprocess.Popen(
                        [sys.executable, "manage.py", "run_worker", "--queue-name", queues],
                        cwd=REPO,
                        env={**self.env, **env},
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
        self.started.update((w.pid, w) for w in new)
        return new

    def report(self) -> str:
        """What the workers said, for a failure's message."""
        return "\n".join(
            f"--- {log.name}:\n{log.read_text(errors='replace')[-1500:]}"
            for log in sorted(self.logs.glob("worker-*.log"))
        )

    def of(self, job) -> subprocess.Popen | None:
        """The worker process that holds the job now."""
        job.refresh_from_db(fields=["worker_id"])
        pid = job.worker_id.rpartition(":")[2]
        return self.started.get(int(pid)) if pid.isdigit() else None

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Until every live worker listens on Redis (RQ registers each by its name)."""
        import django_rq
        from rq import Worker

        redis = django_rq.get_connection("default")
        names = {f":{w.pid}" for w in self.alive()}

        def ready():
            listening = {w.name.rpartition(":")[1:] for w in Worker.all(connection=redis)}
            return names <= {"".join(n) for n in listening}

        wait_until(ready, timeout, what="the workers to start")

    def alive(self) -> list[subprocess.Popen]:
        return [w for w in self.started.values() if w.poll() is None]

    def stop(self) -> None:
        for worker in self.started.values():
            worker.kill()
            worker.wait()


@pytest.fixture(scope="package")
def processes(stack, tmp_path_factory):
    """Two workers on the default queue and a web server (Daphne), started once and side by
    side: starting Django processes is the slowest part of these tests."""
    from tests.live.server import Daphne

    logs = tmp_path_factory.mktemp("logs")
    pool = Workers(stack, logs)
    # Its pages never poll: what they show of a job was pushed over their socket.
    web = Daphne(db_path="", media_root=stack["VOICEPORTAL_MEDIA_ROOT"], log=logs / "web.log",
                 **{**stack, "VOICEPORTAL_STT_DEFAULT": "fake",
                    "VOICEPORTAL_JOB_POLL_FALLBACK": "false"})  # fmt: skip
    pool.start("default", count=2)
    with web:  # waits until it answers, while the workers start too
        pool.wait_ready()
        yield pool, web
    pool.stop()


class LiveWorker:
    """The live inference worker (`manage.py run_live_worker`), a process of its own."""

    def __init__(self, env: dict[str, str], log: Path):
        self.log = log
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "run_live_worker"],
                cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip

    def __enter__(self) -> "LiveWorker":
        wait_until(lambda: "listening" in self.said() or self.process.poll() is not None,
                   timeout=120, what="the live inference worker")  # fmt: skip
        if self.process.poll() is not None:
            raise RuntimeError(f"The live inference worker stopped:\n{self.said()[-3000:]}")
        return self

    def __exit__(self, *exc) -> None:
        self.process.kill()
        self.process.wait()

    def said(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture(scope="package")
def live_workers(stack, tmp_path_factory):
    """Two live inference workers, started side by side by the first test that needs them (so
    they do not slow the others' start). A test may kill one: they are the package's last."""
    logs = tmp_path_factory.mktemp("live")
    pool = [LiveWorker(stack, logs / f"live-worker-{i}.log") for i in range(2)]
    with contextlib.ExitStack() as started:
        for worker in pool:
            started.enter_context(worker)
        yield pool


@pytest.fixture(scope="package")
def worker_pool(processes):
    return processes[0]


@pytest.fixture
def web(processes):
    """A Daphne on the same PostgreSQL and Redis, the fake engine its default."""
    return processes[1]


@pytest.fixture
def workers(worker_pool):
    """The pool, each test leaving no job behind for the next."""
    yield worker_pool
    _drain()


def _drain() -> None:
    import django_rq

    from apps.jobs.registry import job_models

    for model in job_models():
        model.objects.filter(status__in=["queued", "running"]).update(
            status="cancelled", cancel_requested=True
        )
    for queue in QUEUES:
        django_rq.get_queue(queue).empty()


def wait_until(predicate, timeout: float = 90.0, what: str = "the condition", workers=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.05)
    said = workers.report() if workers else ""
    raise AssertionError(f"timed out waiting for {what}\n{said}")


_users = iter(range(10**6))


@pytest.fixture
def make_user(stack):
    """A new user in the PostgreSQL database (names never repeat across the session)."""
    from django.contrib.auth import get_user_model

    def make(name: str):
        return get_user_model().objects.create_user(f"{name}-{next(_users)}", password="pw-123456")

    return make
