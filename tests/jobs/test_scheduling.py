"""Which job a free worker takes: users in turn, a user at their limit waiting, interactive
work first."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.jobs.management.commands.run_worker import queues_by_priority
from apps.jobs.models import UserQuota
from apps.jobs.runner import job_run
from apps.jobs.scheduling import job_claim_next
from apps.jobs.tasks import run_job
from apps.speech.services import generation_create
from apps.transcripts.models import Transcript

pytestmark = pytest.mark.django_db


def _queue(owner, make_transcript, n: int, *, minutes_ago: int) -> list[Transcript]:
    made = [make_transcript(owner) for _ in range(n)]
    for i, t in enumerate(made):  # in this order, before whatever comes later
        at = timezone.now() - timedelta(minutes=minutes_ago) + timedelta(seconds=i)
        Transcript.objects.filter(pk=t.pk).update(created_at=at)
    return made


def _claim() -> str:
    model, pk = job_claim_next(queue="default")
    return str(pk)


def test_a_second_user_goes_before_the_rest_of_a_first_users_batch(
    alice, bob, make_transcript, queued
):
    batch = _queue(alice, make_transcript, 3, minutes_ago=10)
    (single,) = _queue(bob, make_transcript, 1, minutes_ago=5)
    order = [_claim() for _ in range(4)]
    assert order == [str(batch[0].pk), str(single.pk), str(batch[1].pk), str(batch[2].pk)]
    assert job_claim_next(queue="default") is None


def test_users_take_turns_the_one_served_least_recently_first(alice, bob, make_transcript, queued):
    a = _queue(alice, make_transcript, 2, minutes_ago=10)
    b = _queue(bob, make_transcript, 2, minutes_ago=5)
    Transcript.objects.filter(pk__in=[a[0].pk, b[0].pk]).update(status="done")
    Transcript.objects.filter(pk=a[0].pk).update(started_at=timezone.now())
    Transcript.objects.filter(pk=b[0].pk).update(started_at=timezone.now() - timedelta(hours=1))
    assert _claim() == str(b[1].pk)  # alice was served last: bob's turn, though hers is older


def test_a_user_at_their_limit_waits_and_is_woken_when_a_job_ends(
    alice, bob, make_transcript, queued, django_capture_on_commit_callbacks
):
    from django_tasks import default_task_backend

    UserQuota.objects.create(user=alice, concurrent_jobs=1)
    first, second = _queue(alice, make_transcript, 2, minutes_ago=10)
    assert _claim() == str(first.pk)
    assert job_claim_next(queue="default") is None  # the second waits, still queued
    assert Transcript.objects.get(pk=second.pk).status == "queued"
    (other,) = _queue(bob, make_transcript, 1, minutes_ago=1)
    assert _claim() == str(other.pk)  # others are not held up by alice's limit
    # The first ends: a task for alice's next one is queued, and it runs.
    Transcript.objects.filter(pk=first.pk).update(status="queued")
    tasks = len(default_task_backend.results)
    with django_capture_on_commit_callbacks(execute=True):
        job_run(model=Transcript, job_id=first.pk)
    woken = default_task_backend.results[tasks:]
    assert [r.args for r in woken] == [["transcripts.transcript", str(second.pk)]]
    run_job.call(*woken[0].args)
    assert Transcript.objects.get(pk=second.pk).status == "done"


def test_the_default_limit_comes_from_settings_and_a_user_may_have_none(
    alice, make_transcript, queued, settings
):
    settings.VOICEPORTAL_QUOTA_CONCURRENT_JOBS = 1
    _queue(alice, make_transcript, 2, minutes_ago=10)
    _claim()
    assert job_claim_next(queue="default") is None
    UserQuota.objects.create(user=alice, concurrent_jobs=0)  # staff lifted it
    assert job_claim_next(queue="default") is not None


def test_interactive_work_goes_first(alice, queued, django_capture_on_commit_callbacks):
    from django_tasks import default_task_backend

    with django_capture_on_commit_callbacks(execute=True):
        generation_create(owner=alice, text="Hello there.", voice_id="fake:low")
    assert default_task_backend.results[-1].task.priority > run_job.priority
    assert queues_by_priority(["default", "speech"]) == ["speech", "default"]
