"""The queries every job needs, for every kind at once: enqueue, claim, cancel, retry, and the
reaper that finds jobs whose worker died."""

import logging
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.engines.errors import ErrorKind

from .events import job_announce
from .models import Job, JobStatus
from .registry import job_models
from .signals import job_finished
from .workers import worker_id, worker_is_gone

logger = logging.getLogger(__name__)

LOST_MESSAGE = "The worker running this job stopped; it can be tried again."
CRASHED_MESSAGE = (
    "The worker stopped {n} times while running this job (it may be too large for this "
    "machine); it was not started again."
)


def job_enqueue(job: Job) -> None:
    """Hand the job to its queue once the current transaction commits."""
    from .tasks import run_job  # the task imports the runner, which imports this module

    kind, pk, queue = job.job_kind(), str(job.pk), job.queue_name
    task = run_job.using(queue_name=queue, priority=job.priority)
    transaction.on_commit(lambda: task.enqueue(kind, pk))


def job_wake_waiting(model: type[Job], *, owner_id) -> None:
    """After one of a user's jobs ends: where a limit of jobs at once made others of theirs
    wait (their task ran and left them queued), queue a task to take the next."""
    from .quotas import quota_concurrent_jobs

    if owner_id is None or not quota_concurrent_jobs(owner_id):
        return
    waiting = [
        m.objects.filter(owner_id=owner_id, status=JobStatus.QUEUED).first()
        for m in job_models()
        if m.queue_name == model.queue_name
    ]
    if first := next((job for job in waiting if job is not None), None):
        job_enqueue(first)


def job_finished_announce(job: Job, status: str) -> None:
    """Tell the apps above (webhooks) that a job ended; nothing they do can change the job."""
    for receiver, result in job_finished.send_robust(sender=type(job), job=job, status=status):
        if isinstance(result, Exception):
            logger.error("A listener of %s %s failed: %s", job.job_kind(), job.pk, receiver,
                         exc_info=result)  # fmt: skip


def job_claim(model: type[Job], pk) -> bool:
    """Take a queued job for this process. Atomic: of two workers, one wins."""
    now = timezone.now()
    return bool(
        model.objects.filter(pk=pk, status=JobStatus.QUEUED).update(
            status=JobStatus.RUNNING,
            worker_id=worker_id(),
            heartbeat_at=now,
            started_at=now,
            finished_at=None,
            attempts=F("attempts") + 1,
            error="",
            error_kind="",
            error_retryable=False,
            cancel_requested=False,
        )
    )


def job_cancel(*, job: Job) -> None:
    """A waiting or queued job stops at once; a running one at its next check, keeping what
    it finished."""
    model = type(job)
    model.objects.filter(pk=job.pk, status__in=[JobStatus.WAITING, JobStatus.QUEUED]).update(
        status=JobStatus.CANCELLED, finished_at=timezone.now(), cancel_requested=True
    )
    model.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(cancel_requested=True)
    job.refresh_from_db()
    job_announce(job, status=job.status)  # other pages of the job: cancelled, or cancelling


def job_retry(*, job: Job, **reset) -> bool:
    """Queue a failed or cancelled job again (a resumable kind goes on where it stopped).
    `reset`: the kind's own fields to clear with it."""
    updated = (
        type(job)
        .objects.filter(pk=job.pk, status__in=[JobStatus.FAILED, JobStatus.CANCELLED])
        .update(
            status=JobStatus.QUEUED,
            error="",
            error_kind="",
            error_retryable=False,
            cancel_requested=False,
            finished_at=None,
            stage="",
            **reset,
        )
    )
    if updated:
        job_enqueue(job)
    job.refresh_from_db()
    if updated:
        job_announce(job, status=job.status)
    return bool(updated)


def jobs_reap(*, stale_after: float | None = None) -> list[str]:
    """Find running jobs whose worker died — its process gone from this host, or (on any host)
    no heartbeat for `stale_after` seconds — and queue them again, or fail them when their kind
    cannot resume or they have crashed their worker too often. Returns "kind:pk" of each."""
    reaped = []
    for model in job_models():
        for job in model.objects.filter(status=JobStatus.RUNNING).only(
            "pk", "worker_id", "heartbeat_at", "attempts"
        ):
            gone = worker_is_gone(job.worker_id, job.heartbeat_at, stale_after=stale_after)
            if gone and _reap(model, job):
                reaped.append(f"{model.job_kind()}:{job.pk}")
    return reaped


def _reap(model: type[Job], job: Job) -> bool:
    # Conditional on what was read: a worker that reported meanwhile keeps its job, and of two
    # reapers only one acts.
    row = model.objects.filter(
        pk=job.pk, status=JobStatus.RUNNING, worker_id=job.worker_id, heartbeat_at=job.heartbeat_at
    )
    if model.resumable and job.attempts < settings.VOICEPORTAL_JOB_MAX_ATTEMPTS:
        if row.update(status=JobStatus.QUEUED, worker_id=""):
            logger.warning("Re-queued %s %s: its worker %s stopped", model.job_kind(), job.pk,
                           job.worker_id)  # fmt: skip
            _task_rows_fail(model.job_kind(), job.pk)  # before the new task row exists
            requeued = model.objects.get(pk=job.pk)
            job_enqueue(requeued)
            job_announce(requeued, status=requeued.status)
            return True
        return False
    message = CRASHED_MESSAGE.format(n=job.attempts) if model.resumable else LOST_MESSAGE
    failed = bool(
        row.update(
            status=JobStatus.FAILED,
            error=message,
            error_kind=ErrorKind.UNAVAILABLE,
            error_retryable=True,
            worker_id="",
            finished_at=timezone.now(),
        )
    )
    if failed:
        _task_rows_fail(model.job_kind(), job.pk)
        failed_job = model.objects.get(pk=job.pk)
        job_announce(failed_job, status=failed_job.status, error=failed_job.error)
        job_finished_announce(failed_job, JobStatus.FAILED)
    return failed


def _task_rows_fail(kind: str, pk) -> int:
    """Fail the database queue's row of a reaped job's task: its worker died with it, and
    django_tasks_db would show it RUNNING for good. Other task backends keep no such row."""
    if not apps.is_installed("django_tasks_db"):
        return 0
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from .tasks import run_job

    running = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, task_path=run_job.module_path
    ).only("pk", "args_kwargs")
    ids = [r.pk for r in running if (r.args_kwargs or {}).get("args") == [kind, str(pk)]]
    return DBTaskResult.objects.filter(pk__in=ids, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.FAILED,
        finished_at=timezone.now(),
        exception_class_path="apps.jobs.services.WorkerLost",
        traceback=f"{LOST_MESSAGE} (reaped with its job {kind}:{pk})",
    )


def jobs_requeue_orphans(*, older_than: float = 0) -> list[str]:
    """Queue again jobs marked queued that no task will pick up (their task was queued under a
    task name that no longer exists, or the queue was emptied). Run by hand or after upgrades."""
    cutoff = timezone.now() - timedelta(seconds=older_than)
    requeued = []
    for model in job_models():
        for job in model.objects.filter(status=JobStatus.QUEUED, created_at__lte=cutoff):
            job_enqueue(job)
            requeued.append(f"{model.job_kind()}:{job.pk}")
    return requeued
