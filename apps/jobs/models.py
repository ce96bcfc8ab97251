"""The state every long task keeps, declared once: each kind of job (a transcription, an
analysis run, a speech generation, a voice build, a clone, a preview…) subclasses `Job`, adds
what is its own and implements `execute()`; the runner, the reaper and the progress partial do
the rest."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

if TYPE_CHECKING:
    from .runner import JobRun


class JobStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"  # for another job (an analysis waits for its transcript)
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    SKIPPED = "skipped", "Not available"  # there was nothing this job could do; says why


class Job(models.Model):
    Status = JobStatus
    ACTIVE = (JobStatus.WAITING, JobStatus.QUEUED, JobStatus.RUNNING)
    FINISHED = (JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.SKIPPED)

    # What each kind says of itself.
    queue_name: ClassVar[str] = "default"
    # Interactive kinds (someone is waiting to listen) go before batch ones where a worker
    # serves both (apps/jobs/scheduling.py; the task queue's own priority too).
    priority: ClassVar[int] = 0
    # A lost job (its worker died) is queued again when it can resume, failed otherwise.
    resumable: ClassVar[bool] = True
    running_label: ClassVar[str] = "Running"
    internal_error: ClassVar[str] = "An internal error stopped the job."
    # The name its events carry to the owner's webhooks ("transcription" sends
    # transcription.completed and transcription.failed); empty: it sends none.
    event_name: ClassVar[str] = ""

    # Whose work it is; each kind may redeclare it with a related name of its own.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED, db_index=True
    )
    # What a running job is doing now ("Checking the samples"); shown instead of "Running".
    stage = models.CharField(max_length=100, blank=True)
    progress_done = models.FloatField(default=0.0, help_text="Units of `progress_total` done.")
    progress_total = models.FloatField(default=0.0, help_text="Seconds of audio, sentences…")
    cancel_requested = models.BooleanField(default=False)
    error = models.TextField(blank=True, help_text="Why it failed, or why it was skipped.")
    error_kind = models.CharField(max_length=20, blank=True, help_text="An engines ErrorKind.")
    error_retryable = models.BooleanField(default=False)
    attempts = models.PositiveIntegerField(default=0)
    worker_id = models.CharField(max_length=200, blank=True, help_text="host:pid running it.")
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    processing_seconds = models.FloatField(default=0.0, help_text="Summed over attempts.")

    class Meta:
        abstract = True

    # --- The kind's own work ------------------------------------------------------------------

    def execute(self, run: JobRun) -> None:
        """Do the work in a worker. Report progress and look for cancel through `run`; raise
        ProviderError for a failure the user should read. Returning ends the job as done (or
        cancelled, when a cancel was seen)."""
        raise NotImplementedError

    def finished_fields(self, status: str) -> dict:
        """Extra fields to write with the final status (a transcript's full text)."""
        return {}

    def on_done(self) -> None:
        """After the job is done and saved (start what waits on it). Must not raise."""

    def on_gone(self) -> None:
        """The row was deleted while the job ran: remove what the run left behind."""

    def event_data(self) -> dict:
        """What a webhook event about this job says (the "data" of its body); a kind adds its
        own fields (a transcript's title and text)."""
        data = {"id": str(self.pk), "status": self.status}
        if self.status == JobStatus.FAILED:
            data |= {"error": self.error, "error_kind": self.error_kind}
        return data

    # --- Reading ------------------------------------------------------------------------------

    @classmethod
    def job_kind(cls) -> str:
        return cls._meta.label_lower

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def can_retry(self) -> bool:
        return self.status in (JobStatus.FAILED, JobStatus.CANCELLED)

    @property
    def status_label(self) -> str:
        if self.status == JobStatus.RUNNING:
            return self.stage or self.running_label
        return self.get_status_display()

    @property
    def fraction(self) -> float:
        if self.status == JobStatus.DONE:
            return 1.0
        if self.progress_total <= 0:
            return 0.0
        return max(0.0, min(1.0, self.progress_done / self.progress_total))

    @property
    def percent(self) -> int:
        return 100 if self.status == JobStatus.DONE else min(99, int(self.fraction * 100))

    @property
    def eta_seconds(self) -> float | None:
        """Time left at the pace so far; None until there is a pace to go by."""
        fraction = self.fraction
        if self.status != JobStatus.RUNNING or not self.started_at or fraction <= 0:
            return None
        elapsed = (timezone.now() - self.started_at).total_seconds()
        return max(0.0, elapsed / fraction * (1 - fraction))


class UserQuota(models.Model):
    """One user's limits where they differ from the defaults in settings (blank: the default;
    0: no limit). Set by staff in the admin."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="job_quota"
    )
    concurrent_jobs = models.PositiveIntegerField(
        null=True, blank=True, help_text="Jobs running at once in each queue; more wait."
    )
    storage_mb = models.PositiveIntegerField(
        null=True, blank=True, help_text="Megabytes of uploaded recordings kept."
    )
    audio_minutes_per_day = models.PositiveIntegerField(
        null=True, blank=True, help_text="Minutes of recordings uploaded per day (UTC)."
    )

    class Meta:
        verbose_name = "quota"

    def __str__(self) -> str:
        return f"Quota of {self.user}"
