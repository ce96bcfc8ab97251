"""Benchmark: jobs per hour with 1, 2 and 4 worker processes on PostgreSQL + Redis, and the
wait a second user sees while the first has a batch queued.

Prints figures; asserts nothing. PostgreSQL and Redis are real servers started here in a
temporary folder, on Unix sockets (as the scale-out tests do: tests/scale/services.py).

Each round: N fresh `manage.py run_worker --queue-name default` processes (the local engine,
--model, --threads CPU threads each, its model loaded before timing), on a database already
migrated. Alice queues --batch corpus clips (short English recordings in turn), then Bob
queues one. Printed per N: the wall time until all are done, jobs per hour, hours of audio per
hour, Bob's wait (queued → started) and the place his job started in, against Alice's median
wait. In the order of the queue Bob's job would start last (place batch+1).

    python bench/bench_scale.py [--workers 1,2,4] [--batch 12] [--model tiny.en] [--threads 1]
"""

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
CLIPS = ["jfk.flac", "libri_2412-153948-0000.flac", "libri_2412-153948-0001.flac", "cheetah_en.wav"]
sys.path.insert(0, str(REPO))

from tests.scale.services import Services  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--batch", type=int, default=12)
    parser.add_argument("--model", default="tiny.en", choices=["tiny.en", "base"])
    parser.add_argument("--threads", type=int, default=1, help="CPU threads per worker")
    args = parser.parse_args()

    services = Services().start()
    try:
        env = _environment(services, args)
        os.environ.update(env)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        machine = f"{platform.node()}: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}"
        per_worker = f"model {args.model}, {args.threads} thread(s) per worker"
        print(f"# {machine}; {per_worker}; batch {args.batch} + 1")
        print("workers  wall_s  jobs/h  audio_h/h  bob_wait_s  bob_place  alice_median_wait_s")
        for n in (int(w) for w in args.workers.split(",")):
            _round(n, args, env)
    finally:
        services.stop()


def _environment(services, args) -> dict[str, str]:
    import psycopg

    with psycopg.connect(services.postgres.url(), autocommit=True) as conn:
        conn.execute("CREATE DATABASE bench")
    data = tempfile.mkdtemp(prefix="vp-bench-scale-")
    return {
        "DJANGO_SETTINGS_MODULE": "voiceportal.settings",
        "DATABASE_URL": services.postgres.url("bench"),
        "REDIS_URL": services.redis.url,
        "VOICEPORTAL_DATA_DIR": data,
        "VOICEPORTAL_MODEL_CACHE": str(REPO / "var" / "models"),
        "VOICEPORTAL_LOCAL_MODEL": args.model,
        "VOICEPORTAL_CPU_THREADS": str(args.threads),
        "VOICEPORTAL_WORKER_NICE": "0",
        "VOICEPORTAL_LOG_LEVEL": "WARNING",
    }


def _round(n: int, args, env) -> None:
    from django.contrib.auth import get_user_model

    from apps.transcripts.models import Transcript

    workers = [
        subprocess.Popen(
            [sys.executable, "manage.py", "run_worker", "--queue-name", "default"],
            cwd=REPO,
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        for _ in range(n)
    ]
    try:
        _wait_ready(workers)
        users = get_user_model().objects
        alice = users.create_user(f"alice-{n}", password="x-123456")
        bob = users.create_user(f"bob-{n}", password="x-123456")
        start = time.monotonic()
        batch = [_queue(alice, CLIPS[i % len(CLIPS)], args.model) for i in range(args.batch)]
        single = _queue(bob, "jfk.flac", args.model)
        pks = [t.pk for t in [*batch, single]]
        jobs = Transcript.objects.filter(pk__in=pks)
        while jobs.filter(status__in=["queued", "running"]).exists():
            time.sleep(0.1)
        wall = time.monotonic() - start
        failed = jobs.exclude(status="done").count()
        single.refresh_from_db()
        order = list(jobs.order_by("started_at").values_list("pk", flat=True))
        waits = [(t.started_at - t.created_at).total_seconds() for t in jobs if t.pk != single.pk]
        audio = sum(t.duration for t in jobs)
        bob_wait = (single.started_at - single.created_at).total_seconds()
        place = f"{order.index(single.pk) + 1}/{len(pks)}"
        print(
            f"{n:7d}  {wall:6.1f}  {len(pks) / wall * 3600:6.0f}  {audio / wall:9.1f}  "
            f"{bob_wait:10.1f}  {place:>9}  {statistics.median(waits):19.1f}"
            + (f"  ({failed} failed)" if failed else "")
        )
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait()


def _queue(owner, clip: str, model: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from apps.transcripts.options import options_validate
    from apps.transcripts.services import transcript_create

    upload = SimpleUploadedFile(clip, (CORPUS / clip).read_bytes())
    options = options_validate(engine="local", model=model)
    return transcript_create(owner=owner, upload=upload, options=options)


def _wait_ready(workers, timeout: float = 300) -> None:
    """Until every worker listens (RQ registers it once its model is loaded)."""
    import django_rq
    from rq import Worker

    redis = django_rq.get_connection("default")
    pids = {str(w.pid) for w in workers}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        listening = {w.name.rpartition(":")[2] for w in Worker.all(connection=redis)}
        if pids <= listening:
            return
        if any(w.poll() is not None for w in workers):
            raise RuntimeError("a worker stopped while starting")
        time.sleep(0.2)
    raise RuntimeError("the workers did not start")


if __name__ == "__main__":
    main()
