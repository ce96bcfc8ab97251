"""Jobs: progress, cancel, failure and retry, resume, and a worker killed mid-job."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from apps.core.media import decode_all
from apps.engines.stt.fake import FakeSpeechToText
from apps.engines.stt.overlap import overlapped
from apps.jobs.runner import JobRun, job_run
from apps.jobs.services import jobs_reap
from apps.transcripts import services
from apps.transcripts.models import Transcript
from tests import media_factory

pytestmark = pytest.mark.django_db(transaction=True)
REPO = Path(__file__).resolve().parents[2]


def fake_engine(settings, **options):
    settings.SPEECH_TO_TEXT = {
        **django_settings.SPEECH_TO_TEXT,
        "fake": {"BACKEND": "apps.engines.stt.fake.FakeSpeechToText", "OPTIONS": options},
    }


@pytest.fixture
def queued(settings):
    """Jobs stay queued (no inline run) so each test drives the worker side itself."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def wait_until(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


def test_it_saves_segments_and_progress_as_it_goes(alice, make_transcript, settings, queued):
    fake_engine(settings, delay=0.2)
    t = make_transcript(alice)
    seen = []
    runner = threading.Thread(target=job_run, kwargs={"model": Transcript, "job_id": t.pk})
    runner.start()
    while runner.is_alive():
        row = Transcript.objects.get(pk=t.pk)
        seen.append((row.status, row.progress_done, row.segments.count()))
        time.sleep(0.05)
    runner.join()
    running = [s for s in seen if s[0] == "running"]
    assert any(0 < p < 11 for _, p, _ in running), "progress was visible mid-job"
    assert max(n for _, _, n in running) >= 2
    t.refresh_from_db()
    assert t.status == "done" and t.progress_done == 11.0 and t.segments.count() == 6


def test_it_cancels_a_running_job_and_keeps_what_was_done(alice, make_transcript, settings, queued):
    fake_engine(settings, delay=0.3)
    t = make_transcript(alice)
    runner = threading.Thread(target=job_run, kwargs={"model": Transcript, "job_id": t.pk})
    runner.start()
    wait_until(lambda: t.segments.count() >= 2)
    services.transcript_cancel(transcript=t)
    runner.join(timeout=10)
    t.refresh_from_db()
    assert t.status == "cancelled"
    assert 2 <= t.segments.count() < 6
    assert t.text.startswith("Segment 0. Segment 1.")


def test_it_cancels_a_queued_job_at_once(alice, make_transcript, queued):
    t = make_transcript(alice)
    services.transcript_cancel(transcript=t)
    assert t.status == "cancelled"
    job_run(model=Transcript, job_id=t.pk)  # a worker picking it up later does nothing
    assert Transcript.objects.get(pk=t.pk).segments.count() == 0


def test_it_says_why_a_job_failed_and_resumes_on_retry(alice, make_transcript, settings, queued):
    fake_engine(settings, fail_with="rate_limited")
    t = make_transcript(alice)
    job_run(model=Transcript, job_id=t.pk)
    t.refresh_from_db()
    assert t.status == "failed" and t.error_retryable
    assert "fake engine failed (rate_limited)" in t.error
    kept = list(t.segments.values_list("pk", "index"))
    assert [i for _, i in kept] == [0]

    fake_engine(settings)
    services.transcript_retry(transcript=t)
    assert t.status == "queued"
    job_run(model=Transcript, job_id=t.pk)
    t.refresh_from_db()
    assert t.status == "done" and t.error == "" and t.attempts == 2
    assert list(t.segments.values_list("index", flat=True)) == [0, 1, 2, 3, 4, 5]
    assert t.segments.get(index=0).pk == kept[0][0], "the finished part was kept, not redone"


def test_it_marks_bad_input_as_not_worth_retrying(alice, make_transcript, settings, queued):
    fake_engine(settings, fail_with="invalid_input")
    t = make_transcript(alice)
    job_run(model=Transcript, job_id=t.pk)
    t.refresh_from_db()
    assert t.status == "failed" and not t.error_retryable


def test_it_stops_when_the_transcript_is_deleted_mid_job(alice, make_transcript, settings, queued):
    fake_engine(settings, delay=0.3)
    t = make_transcript(alice)
    runner = threading.Thread(target=job_run, kwargs={"model": Transcript, "job_id": t.pk})
    runner.start()
    wait_until(lambda: t.segments.count() >= 1)
    services.transcript_delete(transcript=Transcript.objects.get(pk=t.pk))
    runner.join(timeout=10)
    assert not runner.is_alive()
    assert not Transcript.objects.exists()


def test_it_requeues_jobs_of_dead_workers(alice, make_transcript, queued):
    t = make_transcript(alice)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    import socket

    Transcript.objects.filter(pk=t.pk).update(
        status="running", worker_id=f"{socket.gethostname()}:{dead.pid}"
    )
    alive = make_transcript(alice)
    Transcript.objects.filter(pk=alive.pk).update(
        status="running", worker_id=f"{socket.gethostname()}:{os.getpid()}"
    )
    assert jobs_reap() == [f"transcripts.transcript:{t.pk}"]
    assert Transcript.objects.get(pk=t.pk).status == "queued"
    assert Transcript.objects.get(pk=alive.pk).status == "running"


def _start_worker(db_path: str, media_root) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "VOICEPORTAL_SQLITE_PATH": db_path,
        "VOICEPORTAL_MEDIA_ROOT": str(media_root),
        "VOICEPORTAL_FAKE_DELAY": "0.4",
        "VOICEPORTAL_TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_worker", "--interval", "0.2"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@pytest.mark.slow
def test_a_killed_worker_leaves_no_job_stuck(alice, make_transcript, settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    db_path = settings.DATABASES["default"]["NAME"]
    t = make_transcript(alice)
    worker = _start_worker(db_path, settings.MEDIA_ROOT)
    try:
        wait_until(lambda: t.segments.count() >= 2 or worker.poll() is not None, timeout=60)
        assert worker.poll() is None, worker.stderr.read().decode()[-3000:]
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        t.refresh_from_db()
        assert t.status == "running", "the dead worker's job looks running until recovered"
        done_before = list(t.segments.values_list("pk", flat=True))
        worker = _start_worker(db_path, settings.MEDIA_ROOT)
        wait_until(lambda: Transcript.objects.get(pk=t.pk).status == "done", timeout=60)
    finally:
        worker.kill()
        worker.wait()
    t.refresh_from_db()
    assert t.attempts == 2
    assert list(t.segments.values_list("index", flat=True)) == [0, 1, 2, 3, 4, 5]
    assert set(done_before) <= set(t.segments.values_list("pk", flat=True))


def test_the_progress_bar_never_steps_back_for_a_mark_inside_a_segment(
    alice, make_transcript, queued
):
    """A mark within a segment may be stored after it (an engine's marks come in time order
    only between segments); the bar stays at the furthest audio heard."""
    from apps.engines.stt.base import Segment as EngineSegment
    from apps.jobs.runner import JobRun
    from apps.jobs.services import job_claim

    t = make_transcript(alice)
    assert job_claim(Transcript, t.pk)
    t.refresh_from_db()
    job = services._Transcription(t, JobRun(t))
    job._save_segment(EngineSegment(0.0, 8.0, "Hello there, and welcome."))
    job._save_segment(EngineSegment(3.0, 4.5, "", untranscribed=True, gap="faint"))
    t.refresh_from_db()
    assert t.progress_done == 8.0
    assert t.gaps.get().start == 3.0


class RequestsSeen(FakeSpeechToText):
    """The fake engine, keeping the requests it was given."""

    requests: list = []

    def transcribe(self, request):
        self.requests.append(request)
        return super().transcribe(request)


def test_a_job_shares_the_cores_while_another_job_runs_on_this_machine(
    alice, make_transcript, settings, queued
):
    settings.SPEECH_TO_TEXT = {
        **django_settings.SPEECH_TO_TEXT,
        "fake": {"BACKEND": f"{__name__}.RequestsSeen", "OPTIONS": {}},
    }

    def shares_cores() -> bool:
        t = make_transcript(alice)
        job_run(model=Transcript, job_id=t.pk)
        return RequestsSeen.requests[-1].shares_cores

    assert not shares_cores()
    other = make_transcript(alice)
    running = Transcript.objects.filter(pk=other.pk)
    running.update(status="running", worker_id=f"{socket.gethostname()}.elsewhere:1")
    assert not shares_cores()  # a job on another machine takes none of these cores
    running.update(worker_id=f"{socket.gethostname()}:{os.getpid()}")
    assert shares_cores()


def two_lanes(settings):
    """The local engine decodes two parts of a recording at once (tiny.en)."""
    local = django_settings.SPEECH_TO_TEXT["local"]
    options = {**local["OPTIONS"], "lanes": 2, "default_model": "tiny.en"}
    settings.SPEECH_TO_TEXT = {
        **django_settings.SPEECH_TO_TEXT,
        "local": {**local, "OPTIONS": options},
    }


class _Killed(Exception):
    """The worker dies here (its process gone: what it did not store is lost)."""


def test_a_worker_killed_between_the_pieces_of_a_split_segment_resumes_without_a_word_twice(
    alice, make_transcript, settings, queued, monkeypatch, corpus, tmp_path
):
    # Two lanes, the segment split at the silence in the second part: its first piece " This"
    # was stored alone, the worker died before the next one, and the retried job resumed from
    # the piece's end and wrote the word again ("This This is what"). The pieces of one
    # segment are stored together.
    two_lanes(settings)
    path = media_factory.split_sentence_in_second_half(tmp_path / "pieces.wav", corpus)
    t = make_transcript(alice, path=path, engine="local", model="tiny.en")
    progress = JobRun.progress

    def dies_past_the_silence(run, done, *args, **kwargs):
        # The silence runs from 40.6 to 48.6 s; the first part (to 34 s) is stored by then.
        if done > 45.0 and t.segments.filter(text__contains="begins").exists():
            raise _Killed
        return progress(run, done, *args, **kwargs)

    monkeypatch.setattr(JobRun, "progress", dies_past_the_silence)
    job_run(model=Transcript, job_id=t.pk)
    t.refresh_from_db()
    assert t.status == "failed"
    stored = t.segments.order_by("index")
    assert "And so it begins" in "".join(s.text for s in stored)
    monkeypatch.setattr(JobRun, "progress", progress)
    services.transcript_retry(transcript=t)
    job_run(model=Transcript, job_id=t.pk)
    t.refresh_from_db()

    assert t.status == "done"
    assert t.text.count("This") == 1, t.text
    assert "is what a crocodile sounds like" in t.text


# How long each of the first part's progress steps waits in the two-lane bar test.
_LAGGING_LANE_SECONDS = 0.5


def test_a_two_lane_job_moves_its_bar_with_both_parts(
    alice, make_transcript, settings, queued, monkeypatch, corpus, tmp_path
):
    # The second part's segments are stored once the first part is done, and the bar moved only
    # as segments were stored: it stood in the first part's seconds while both parts were
    # decoded, then jumped. The engine now says how much both have decoded (Decoded).
    two_lanes(settings)
    path = media_factory.split_sentence_in_second_half(tmp_path / "pieces.wav", corpus)
    t = make_transcript(alice, path=path, engine="local", model="tiny.en")
    cut = 34.0  # where the parts meet (the second of silence after 33.2 s)
    moved = []  # the bar moved with nothing stored, and nothing after the cut stored yet
    progress = JobRun.progress

    def watched(run, done, *args, **kwargs):
        if not connection.in_atomic_block and not t.segments.filter(start__gt=cut).exists():
            moved.append(done)
            if max(moved) <= cut:
                # The first part's storing held back a little, so that the second part (its own
                # thread) has decoded something by the time the first ends, however busy the
                # machine: a loaded CI run let the first part finish before the second began.
                time.sleep(_LAGGING_LANE_SECONDS)
        return progress(run, done, *args, **kwargs)

    monkeypatch.setattr(JobRun, "progress", watched)
    job_run(model=Transcript, job_id=t.pk)
    t.refresh_from_db()

    assert t.status == "done" and "crocodile" in t.text
    assert max(moved) > cut, "past the first part before the second part's text was stored"


def test_a_worker_killed_after_the_segment_under_two_voices_keeps_their_mark_once(
    alice, make_transcript, settings, queued, monkeypatch, corpus, tmp_path
):
    # The overlap mark came after the segment that reaches its end, stored on its own: the
    # worker died before it, and the retried job resumed from the segment's end, past the
    # mark, which was lost. A mark is stored with that segment now.
    path = media_factory.two_people_at_once(tmp_path / "two.wav", corpus)
    [(_, both_end)] = overlapped(decode_all(path))
    t = make_transcript(alice, path=path, engine="local", model="tiny.en")
    progress = JobRun.progress

    def dies_after_the_segment_under_two_voices(run, done, *args, **kwargs):
        if t.segments.filter(end__gte=both_end - 0.2).exists():
            raise _Killed
        return progress(run, done, *args, **kwargs)

    monkeypatch.setattr(JobRun, "progress", dies_after_the_segment_under_two_voices)
    job_run(model=Transcript, job_id=t.pk)
    t.refresh_from_db()
    assert t.status == "failed"
    monkeypatch.setattr(JobRun, "progress", progress)
    services.transcript_retry(transcript=t)
    job_run(model=Transcript, job_id=t.pk)
    t.refresh_from_db()

    assert t.status == "done"
    [mark] = t.gaps.filter(reason="overlap")
    assert abs(mark.end - both_end) < 0.5
