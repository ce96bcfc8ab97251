"""Runs one job in a worker: claims it, keeps its heartbeat fresh for the whole run, honours
cancel, maps every exception to a failed state with a reason a person can read, and records the
time spent. Every kind of job goes through here."""

import logging
import time

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from apps.engines.errors import ErrorKind, ProviderError

from .models import Job, JobStatus
from .services import job_claim
from .workers import Heartbeat, worker_id


class JobGone(Exception):
    """The job's row was deleted, or another worker took it over, while it ran."""


class JobRun:
    """What `Job.execute()` uses to report and to look for a cancel request."""

    # How often a running job looks at its row for a cancel request.
    CANCEL_POLL_SECONDS = 0.5

    def __init__(self, job: Job):
        self.job = job
        self.model = type(job)
        self.worker = worker_id()
        self.cancelled = False
        self._last_poll = 0.0

    def _row(self):
        # Our row only while it is ours: a job taken over by another worker stops here.
        return self.model.objects.filter(pk=self.job.pk, worker_id=self.worker)

    def update(self, **fields) -> None:
        """Write fields of the job's row (and beat); JobGone when it is not ours any more."""
        if not self._row().update(heartbeat_at=timezone.now(), **fields):
            raise JobGone
        for name, value in fields.items():
            if not hasattr(value, "resolve_expression"):
                setattr(self.job, name, value)

    def progress(self, done: float, total: float | None = None, *, stage: str | None = None):
        fields = {"progress_done": done}
        if total is not None:
            fields["progress_total"] = total
        if stage is not None:
            fields["stage"] = stage
        self.update(**fields)

    def should_stop(self) -> bool:
        """Whether a cancel was asked for (looked up at most every CANCEL_POLL_SECONDS).
        JobGone when the row was deleted meanwhile."""
        if time.monotonic() - self._last_poll >= self.CANCEL_POLL_SECONDS:
            self._last_poll = time.monotonic()
            row = self._row().values("cancel_requested").first()
            if row is None:
                raise JobGone
            self.cancelled = row["cancel_requested"]
        return self.cancelled

    def beat(self) -> None:
        self._row().filter(status=JobStatus.RUNNING).update(heartbeat_at=timezone.now())


def job_run(*, model: type[Job], job_id) -> None:
    """Claim the job and run it. Safe to call twice: the claim is atomic."""
    logger = logging.getLogger(model.__module__)
    if not job_claim(model, job_id):
        logger.info("%s %s is not queued any more; nothing to do", model.job_kind(), job_id)
        return
    job = model.objects.get(pk=job_id)
    run = JobRun(job)
    started = time.monotonic()
    status = None
    try:
        # One engine call (an hour of audio at a cloud provider) can outlast the stale limit.
        with Heartbeat(run.beat, every=settings.VOICEPORTAL_JOB_HEARTBEAT_SECONDS):
            job.execute(run)
        status = JobStatus.CANCELLED if run.cancelled else JobStatus.DONE
        _finish(run, status)
    except JobGone:
        status = None
        logger.info("%s %s was deleted or taken over while running", model.job_kind(), job_id)
        if not model.objects.filter(pk=job_id).exists():
            job.on_gone()
    except ProviderError as exc:
        _fail(run, exc.message, exc.kind, retryable=not exc.permanent)
    except Exception:
        logger.exception("%s %s failed", model.job_kind(), job_id)
        _fail(run, model.internal_error, ErrorKind.INTERNAL, retryable=True)
    finally:
        model.objects.filter(pk=job_id).update(
            processing_seconds=F("processing_seconds") + (time.monotonic() - started)
        )
    if status == JobStatus.DONE:  # outside the try: nothing that follows can fail this job
        try:
            job.on_done()
        except Exception:
            logger.exception("What follows %s %s failed", model.job_kind(), job_id)


def _finish(run: JobRun, status: str, **fields) -> None:
    fields = {
        "status": status,
        "finished_at": timezone.now(),
        "worker_id": "",
        "stage": "",
        **run.job.finished_fields(status),
        **fields,
    }
    if status == JobStatus.DONE:
        fields["progress_done"] = F("progress_total")
    run.update(**fields)


def _fail(run: JobRun, message: str, kind: str, *, retryable: bool) -> None:
    try:
        _finish(
            run,
            JobStatus.FAILED,
            error=message,
            error_kind=kind,
            error_retryable=retryable,
        )
    except JobGone:
        if not run.model.objects.filter(pk=run.job.pk).exists():
            run.job.on_gone()
