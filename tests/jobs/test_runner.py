"""The one runner and reaper, for every kind of job: failures, cancel, lost workers, heartbeat."""

import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone

from apps.jobs.progress import JobProgress, job_progress_response
from apps.jobs.registry import job_model, job_models
from apps.jobs.runner import job_run
from apps.jobs.services import CRASHED_MESSAGE, job_cancel, jobs_reap
from apps.transcripts.models import Transcript

pytestmark = pytest.mark.django_db(transaction=True)


def test_every_long_task_is_a_registered_kind_of_job(kinds):
    assert {m.job_kind() for m in job_models()} == set(kinds)
    assert job_model("speech.generation").queue_name == "speech"
    with pytest.raises(LookupError):
        job_model("accounts.nothing")


def test_an_unexpected_error_fails_the_job_with_a_reason_and_polling_stops(any_job, monkeypatch):
    model = type(any_job)

    def broken(self, run):
        raise RuntimeError("a bug")

    monkeypatch.setattr(model, "execute", broken)
    job_run(model=model, job_id=any_job.pk)
    job = model.objects.get(pk=any_job.pk)
    assert job.status == "failed" and job.error == model.internal_error
    assert job.error_kind == "internal" and job.error_retryable
    assert job.worker_id == "" and job.finished_at and job.attempts == 1
    progress = JobProgress(job=job, poll_url="/poll/", label="Progress")
    response = job_progress_response(RequestFactory().get("/poll/"), progress)
    assert response.status_code == 286 and 'hx-get="/poll/"' not in response.content.decode()
    assert model.internal_error in response.content.decode()


def test_a_queued_job_of_any_kind_is_cancelled_at_once_and_never_runs(any_job, monkeypatch):
    model = type(any_job)
    ran = []
    monkeypatch.setattr(model, "execute", lambda self, run: ran.append(self.pk))
    job_cancel(job=any_job)
    job_run(model=model, job_id=any_job.pk)  # a worker picking the task up later does nothing
    assert model.objects.get(pk=any_job.pk).status == "cancelled" and not ran


def _dead_worker() -> str:
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    return f"{socket.gethostname()}:{finished.pid}"


def test_a_job_whose_worker_died_is_resumed_or_failed_with_a_reason(any_job):
    model = type(any_job)
    model.objects.filter(pk=any_job.pk).update(
        status="running", worker_id=_dead_worker(), attempts=1, heartbeat_at=timezone.now()
    )
    assert jobs_reap() == [f"{model.job_kind()}:{any_job.pk}"]
    job = model.objects.get(pk=any_job.pk)
    if model.resumable:
        assert job.status == "queued" and job.worker_id == ""
    else:  # a listener has gone: tried again by the user, not behind their back
        assert job.status == "failed" and "stopped" in job.error and job.error_retryable
    assert jobs_reap() == []


def test_a_job_that_keeps_killing_its_worker_is_not_started_again(alice, make_transcript, queued):
    t = make_transcript(alice)
    Transcript.objects.filter(pk=t.pk).update(
        status="running", worker_id=_dead_worker(), attempts=3
    )
    assert jobs_reap() == [f"transcripts.transcript:{t.pk}"]
    t.refresh_from_db()
    assert t.status == "failed" and t.error == CRASHED_MESSAGE.format(n=3)


def test_a_worker_elsewhere_that_stopped_reporting_loses_its_job(alice, make_transcript, queued):
    t, fresh = make_transcript(alice), make_transcript(alice)
    now = timezone.now()
    Transcript.objects.filter(pk=t.pk).update(
        status="running", worker_id="elsewhere:1", heartbeat_at=now - timedelta(seconds=301)
    )
    Transcript.objects.filter(pk=fresh.pk).update(
        status="running", worker_id="elsewhere:2", heartbeat_at=now
    )
    assert jobs_reap(stale_after=300) == [f"transcripts.transcript:{t.pk}"]
    assert Transcript.objects.get(pk=fresh.pk).status == "running"


def test_a_long_engine_call_keeps_its_heartbeat_fresh_and_runs_once(
    alice, make_transcript, queued, settings
):
    # Each fake segment takes longer than the stale limit: only the heartbeat thread can keep
    # the job from looking dead between two segments.
    settings.SPEECH_TO_TEXT = {
        **settings.SPEECH_TO_TEXT,
        "fake": {"BACKEND": "apps.engines.stt.fake.FakeSpeechToText", "OPTIONS": {"delay": 1.2}},
    }
    settings.VOICEPORTAL_JOB_HEARTBEAT_SECONDS = 0.2
    t = make_transcript(alice)
    runner = threading.Thread(target=job_run, kwargs={"model": Transcript, "job_id": t.pk})
    runner.start()
    reaped, beats = [], set()
    deadline = time.monotonic() + 4.0
    while time.monotonic() < deadline and runner.is_alive():
        reaped += jobs_reap(stale_after=0.8)
        beats.add(Transcript.objects.get(pk=t.pk).heartbeat_at)
        time.sleep(0.1)
    Transcript.objects.filter(pk=t.pk).update(cancel_requested=True)
    runner.join(timeout=10)
    t.refresh_from_db()
    assert reaped == [] and t.attempts == 1 and t.status == "cancelled"
    assert len(beats) >= 8  # fresh several times a second, also mid-segment


@pytest.mark.parametrize("attempts", [1, 3])  # queued again; failed for good
def test_the_task_row_of_a_reaped_job_is_not_left_running(
    alice, make_transcript, settings, attempts
):
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "speech"]}
    }
    t, other = make_transcript(alice), make_transcript(alice)
    # What a worker killed mid-job leaves: its task row claimed, the job running under it.
    DBTaskResult.objects.update(status=TaskResultStatus.RUNNING, started_at=timezone.now())
    Transcript.objects.filter(pk=t.pk).update(
        status="running", worker_id=_dead_worker(), attempts=attempts
    )
    assert jobs_reap() == [f"transcripts.transcript:{t.pk}"]
    rows = {(r.args_kwargs["args"][1], r.status) for r in DBTaskResult.objects.all()}
    expected = {(str(t.pk), "FAILED"), (str(other.pk), "RUNNING")}  # the other's worker lives
    if attempts == 1:
        expected.add((str(t.pk), "READY"))
    assert rows == expected


def test_jobs_left_queued_without_a_task_can_be_queued_again(alice, make_transcript, queued):
    from django.core.management import call_command
    from django_tasks import default_task_backend

    t = make_transcript(alice)  # queued, its task kept by the dummy backend only
    fresh = make_transcript(alice)
    Transcript.objects.filter(pk=t.pk).update(created_at=timezone.now() - timedelta(hours=1))

    def tasks_of(job):
        return [r for r in default_task_backend.results if r.args[1] == str(job.pk)]

    call_command("jobs_requeue", older_than=60)
    assert len(tasks_of(t)) == 2 and len(tasks_of(fresh)) == 1  # a recent one is left alone
    job_run(model=Transcript, job_id=t.pk)
    job_run(model=Transcript, job_id=t.pk)  # the task queued before does nothing
    t.refresh_from_db()
    assert t.status == "done" and t.attempts == 1
