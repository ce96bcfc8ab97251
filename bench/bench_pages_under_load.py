"""Benchmark: how fast pages answer while transcriptions run (issue 20).

Prints figures; asserts nothing. Starts what `make run` starts on a fresh data folder (daphne,
a speech worker and one transcription worker per core, niced as they are in production), logs
a user in over HTTP, queues 0, 4 and 16 transcriptions of a corpus recording with the local
engine, and while they are in flight times GET /transcripts/ (the list, which shows each job's
progress) and GET /speech/: p50 and p95 over --requests requests each.

    .venv/bin/python bench/bench_pages_under_load.py
    .venv/bin/python bench/bench_pages_under_load.py --counts 0,16 --requests 200
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_speech_http import ROOT, Stack, manage

CORPUS = ROOT.parent / "shared" / "corpus"
RECORDING = CORPUS / "ami_trn04.wav"  # one minute of a meeting: long enough to stay in flight
PAGES = ("/transcripts/", "/speech/")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", default="0,4,16", help="transcriptions in flight")
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="vp-bench-pages-"))
    env = dict(os.environ) | {
        "VOICEPORTAL_DATA_DIR": str(workdir / "data"),
        "DJANGO_SETTINGS_MODULE": "voiceportal.settings",
        "VOICEPORTAL_LOG_LEVEL": "INFO",  # the stack waits for the worker's "Loaded" line
    }
    for name in ("VOICEPORTAL_SQLITE_PATH", "VOICEPORTAL_MEDIA_ROOT", "VOICEPORTAL_TASKS_BACKEND"):
        env.pop(name, None)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    stack = Stack(env, workdir, default_workers=os.cpu_count() or 1)
    try:
        stack.start()
        client = logged_in(stack)
        print(f"{os.cpu_count()} cores; {args.requests} requests per page and count")
        for count in (int(c) for c in args.counts.split(",")):
            queue_transcriptions(count)
            time.sleep(2)  # the workers have picked theirs up
            line = [f"  {count:>2} in flight:"]
            for page in PAGES:
                p50, p95 = timed(client, page, args.requests)
                line.append(f"{page} p50 {p50:5.0f} ms, p95 {p95:5.0f} ms;")
            print(" ".join(line), f"still in flight {in_flight()}, load {os.getloadavg()[0]:.1f}")
            cancel_all()
    finally:
        stack.stop()
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)


def logged_in(stack: Stack):
    import httpx

    manage(stack.env, "shell", "-c", _SET_PASSWORD)
    client = httpx.Client(base_url=stack.url, timeout=30)
    client.get("/account/login/")
    token = client.cookies["csrftoken"]
    answer = client.post(
        "/account/login/",
        data={"username": "bench", "password": "bench-password-1", "csrfmiddlewaretoken": token},
        headers={"Referer": f"{stack.url}/account/login/"},
    )
    if "sessionid" not in client.cookies:
        sys.exit(f"could not log in: {answer.status_code}")
    return client


_SET_PASSWORD = (
    "from django.contrib.auth.models import User; u = User.objects.get(username='bench'); "
    "u.set_password('bench-password-1'); u.save()"
)


def queue_transcriptions(count: int) -> None:
    from django.contrib.auth.models import User
    from django.core.files.uploadedfile import SimpleUploadedFile

    from apps.transcripts.options import options_validate
    from apps.transcripts.services import transcript_create

    owner = User.objects.get(username="bench")
    data = RECORDING.read_bytes()
    for _ in range(count):
        upload = SimpleUploadedFile(RECORDING.name, data)
        transcript_create(owner=owner, upload=upload, options=options_validate(engine="local"))


def in_flight() -> int:
    from apps.transcripts.models import Transcript

    return Transcript.objects.filter(status__in=["queued", "running"]).count()


def cancel_all() -> None:
    from apps.transcripts.models import Transcript
    from apps.transcripts.services import transcript_cancel

    for t in Transcript.objects.filter(status__in=["queued", "running"]):
        transcript_cancel(transcript=t)
    while in_flight():
        time.sleep(0.2)


def timed(client, page: str, requests: int) -> tuple[float, float]:
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        answer = client.get(page)
        times.append((time.perf_counter() - started) * 1000)
        if answer.status_code != 200:
            sys.exit(f"{page} answered {answer.status_code}")
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


if __name__ == "__main__":
    main()
