"""Runs one job in a worker: claims it, keeps its heartbeat fresh for the whole run, honours
cancel, maps every exception to a failed state with a reason a person can read, and records the
time spent. Every kind of job goes through here."""

import logging
import time

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from apps.engines.errors import ErrorKind, ProviderError

from .events import job_announce
from .models import Job, JobStatus
from .services import job_claim, job_finished_announce, job_wake_waiting
from .workers import Heartbeat, worker_id

logger = logging.getLogger(__name__)


class JobGone(Exception):
    """The job's row was deleted, or another worker took it over, while it ran."""


class JobRun:
    """What `Job.execute()` uses to report and to look for a cancel request."""

    # How often a running job looks at its row for a cancel request.
    CANCEL_POLL_SECONDS = 0.5

    def __init__(self, job: Job):
        self.job = job
        self.model = type(job)
        self.kind = self.model.job_kind()
        self.worker = worker_id()
        self.started = time.monotonic()
        self.cancelled = False
        self.settled = False  # its final state is written
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
        job_announce(self.job, **{"status": self.job.status, **fields})

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
    if not job_claim(model, job_id):
        _logger(model).info("%s %s is not queued any more", model.job_kind(), job_id)
        return
    _run_claimed(model, job_id)


def job_run_next(*, queue: str) -> None:
    """Run the fairest job waiting in `queue` (apps/jobs/scheduling.py), if any may run."""
    from .scheduling import job_claim_next

    claimed = job_claim_next(queue=queue)
    if claimed is None:
        logger.info("Nothing in %s may run now", queue)
        return
    _run_claimed(*claimed)


def _run_claimed(model: type[Job], job_id) -> None:
    run = JobRun(model.objects.get(pk=job_id))
    try:
        # One engine call (an hour of audio at a cloud provider) can outlast the stale limit.
        with Heartbeat(run.beat, every=settings.VOICEPORTAL_JOB_HEARTBEAT_SECONDS):
            run.job.execute(run)
    except Exception as exc:
        job_failed(run, exc)
    else:
        if not run.settled:  # a job may settle itself (the speech scheduler does, early)
            job_complete(run)
    finally:
        job_wake_waiting(model, owner_id=run.job.owner_id)


def job_complete(run: JobRun) -> None:
    """The work returned: the job is done (or cancelled, when a cancel was seen); then what
    follows it starts, and nothing it does can fail this job."""
    status = JobStatus.CANCELLED if run.cancelled else JobStatus.DONE
    try:
        _finish(run, status)
    except Exception as exc:
        job_failed(run, exc)
        return
    if status == JobStatus.DONE:
        try:
            run.job.on_done()
        except Exception:
            _logger(run.model).exception("What follows %s %s failed", run.kind, run.job.pk)
    job_finished_announce(run.job, status)


def job_failed(run: JobRun, exc: BaseException) -> None:
    """The work raised: a ProviderError says why and whether a retry can help; anything else
    is a failure with the reason logged. A job deleted (or taken over) meanwhile is left."""
    run.settled = True
    if isinstance(exc, JobGone):
        _logger(run.model).info("%s %s was deleted or taken over", run.kind, run.job.pk)
        if not run.model.objects.filter(pk=run.job.pk).exists():
            run.job.on_gone()
        return
    if isinstance(exc, ProviderError):
        message, kind, retryable = exc.message, exc.kind, not exc.permanent
    else:
        _logger(run.model).error("%s %s failed", run.kind, run.job.pk, exc_info=exc)
        message, kind, retryable = run.model.internal_error, ErrorKind.INTERNAL, True
    fields = {"error": message, "error_kind": kind, "error_retryable": retryable}
    try:
        _finish(run, JobStatus.FAILED, **fields)
    except JobGone:
        if not run.model.objects.filter(pk=run.job.pk).exists():
            run.job.on_gone()
        return
    job_finished_announce(run.job, JobStatus.FAILED)


def _finish(run: JobRun, status: str, **fields) -> None:
    run.settled = True
    fields = {
        "status": status,
        "finished_at": timezone.now(),
        "worker_id": "",
        "stage": "",
        "processing_seconds": F("processing_seconds") + (time.monotonic() - run.started),
        **run.job.finished_fields(status),
        **fields,
    }
    if status == JobStatus.DONE:
        fields["progress_done"] = F("progress_total")
    run.update(**fields)


def _logger(model: type[Job]) -> logging.Logger:
    return logging.getLogger(model.__module__)
