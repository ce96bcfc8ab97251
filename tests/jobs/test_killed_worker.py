"""Real worker processes and a real kill -9: the workers still running notice the lost job by
themselves (their reaper runs while they work, not only when they start)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from apps.speech.models import Generation
from apps.speech.services import generation_create
from apps.transcripts.models import Transcript

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]
REAP_SECONDS = 0.5


def start_worker(settings, queue: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.speech.stack_settings",
        "VOICEPORTAL_SQLITE_PATH": settings.DATABASES["default"]["NAME"],
        "VOICEPORTAL_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "VOICEPORTAL_FAKE_DELAY": "0.5",
        "VOICEPORTAL_TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "VOICEPORTAL_JOB_REAP_SECONDS": str(REAP_SECONDS),
        "VOICEPORTAL_WARM_UP": "0",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_worker", "--queue-name", queue, "--interval", "0.1"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_until(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


@pytest.fixture
def workers(settings):
    from tests.speech import stack_settings

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "speech"]}
    }
    settings.TEXT_TO_SPEECH = stack_settings.TEXT_TO_SPEECH  # the workers' engines
    started = []

    def start(queue: str, count: int = 2) -> dict[int, subprocess.Popen]:
        started.extend(start_worker(settings, queue) for _ in range(count))
        return {w.pid: w for w in started}

    yield start
    for worker in started:
        worker.kill()
        worker.wait()


def claimed_by(model, pk, workers) -> subprocess.Popen | None:
    worker = model.objects.get(pk=pk).worker_id
    pid = int(worker.rpartition(":")[2]) if worker else 0
    return workers.get(pid)


def test_a_running_worker_resumes_the_transcription_of_a_killed_one(
    alice, make_transcript, workers
):
    running = workers("default")
    t = make_transcript(alice)
    wait_until(lambda: t.segments.count() >= 2)
    victim = claimed_by(Transcript, t.pk, running)
    kept = list(t.segments.values_list("pk", flat=True))
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    # Another worker's reaper sees the dead process, queues the job again and resumes it.
    wait_until(lambda: Transcript.objects.get(pk=t.pk).status == "done", timeout=30)
    t.refresh_from_db()
    survivor = next(w for w in running.values() if w is not victim)
    assert survivor.poll() is None, survivor.stderr.read().decode()[-2000:]
    assert t.attempts == 2 and t.text
    assert list(t.segments.values_list("index", flat=True)) == [0, 1, 2, 3, 4, 5]
    assert set(kept) <= set(t.segments.values_list("pk", flat=True))  # nothing done twice


def test_a_running_worker_fails_the_synthesis_of_a_killed_one_with_a_reason(alice, workers):
    running = workers("speech")
    text = "One is here. Two follows. Three is next. Four comes along. Five ends it."
    g = generation_create(owner=alice, text=text, voice_id="fake:low")
    wait_until(lambda: Generation.objects.get(pk=g.pk).progress_done >= 1)
    victim = claimed_by(Generation, g.pk, running)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    wait_until(lambda: Generation.objects.get(pk=g.pk).status == "failed", timeout=30)
    g.refresh_from_db()
    assert "stopped" in g.error and g.error_retryable and g.worker_id == ""
