"""Jobs of two users through two worker processes on PostgreSQL and the Redis queue, and a
worker killed in the middle of a job."""

import signal

import pytest

from apps.core.storage import local_path, media_exists
from apps.transcripts.models import Transcript
from tests.scale.conftest import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.scale]


def test_two_workers_run_the_jobs_of_two_users(workers, make_user, make_transcript):
    alice, bob = make_user("alice"), make_user("bob")
    pool = workers.alive()
    jobs = [make_transcript(owner) for owner in (alice, bob, alice, bob)]
    # Both processes take work at once: the queue is shared, not one worker's.
    running = wait_until(
        lambda: len(ids := set(_running(jobs).values_list("worker_id", flat=True))) == 2 and ids,
        workers=workers,
        what="two jobs running side by side",
    )
    assert {int(w.rpartition(":")[2]) for w in running} <= {w.pid for w in pool}
    wait_until(
        lambda: Transcript.objects.filter(pk__in=[t.pk for t in jobs], status="done").count() == 4,
        workers=workers,
        what="four transcripts",
    )
    done = Transcript.objects.filter(pk__in=[t.pk for t in jobs])
    assert {t.owner_id for t in done} == {alice.pk, bob.pk}
    assert all(t.text and t.segments.count() == 6 and t.attempts == 1 for t in done)
    # Read by the workers from the store every process shares, with no local path to it.
    assert all(local_path(t.media) is None and media_exists(t.media) for t in done)


def _running(jobs):
    return Transcript.objects.filter(pk__in=[t.pk for t in jobs], status="running")


def test_a_job_whose_worker_is_killed_is_finished_by_another(workers, make_user, make_transcript):
    alice = make_user("alice")
    t = make_transcript(alice, "sample.wav")  # 30 s: 15 segments, 3 s of work at least
    wait_until(lambda: t.segments.count() >= 2, workers=workers, what="two segments")
    victim = workers.of(t)
    kept = set(t.segments.values_list("pk", flat=True))
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    workers.start("default")  # for the tests after this one; the survivor goes on meanwhile
    wait_until(
        lambda: Transcript.objects.get(pk=t.pk).status == "done",
        workers=workers,
        what="the resumed job",
    )
    t.refresh_from_db()
    assert t.attempts == 2 and t.text
    assert list(t.segments.values_list("index", flat=True)) == list(range(15))
    assert kept <= set(t.segments.values_list("pk", flat=True))  # nothing done twice


def test_the_database_queue_works_on_postgresql_too(workers, make_user, make_transcript, settings):
    """REDIS_URL set only for the channel layer: the database queue stays the task queue."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "speech"]}
    }
    alice = make_user("alice")
    (db_worker,) = workers.start(
        "default", VOICEPORTAL_TASKS_BACKEND="django_tasks_db.DatabaseBackend"
    )
    jobs = [make_transcript(alice) for _ in range(2)]
    done = Transcript.objects.filter(pk__in=[t.pk for t in jobs], status="done")
    wait_until(lambda: done.count() == 2, workers=workers, what="the database queue's jobs")
    db_worker.kill()
    db_worker.wait()
