"""What the one progress partial (templates/jobs/_progress.html) shows of a job, and the
answer to its polling."""

from dataclasses import dataclass, replace

from django.conf import settings
from django.shortcuts import render
from django_htmx.http import HttpResponseStopPolling, trigger_client_event

from apps.core.htmx import stop_polling_and_refresh

from .events import job_push_key
from .models import Job


@dataclass(frozen=True)
class JobProgress:
    job: Job
    poll_url: str
    label: str  # what the bar measures, for screen readers: "Transcription progress"
    detail: str = ""  # "0:05 of 0:11"
    cancel_url: str = ""
    retry_url: str = ""
    failed_text: str = "Failed"
    download_url: str = ""  # what the job made, to take away
    dom_id: str = "job"
    every: str = "1s"
    oob: bool = False  # the buttons swapped out of band (the job has just ended)

    @property
    def push_key(self) -> str:
        """Set when the page hears of this job over its socket (a shared channel layer)
        instead of polling; the script in static/js/jobs.js matches updates by it."""
        return job_push_key(self.job)

    @property
    def fallback_every(self) -> str:
        """How often a pushed page polls while its socket is down ("": never)."""
        return self.every if settings.VOICEPORTAL_JOB_POLL_FALLBACK else ""

    @property
    def is_indeterminate(self) -> bool:
        """Running without a position yet (a short file is decoded in one window, so its first
        segment comes at the end): a moving bar says it works where 0 % would say it is stuck."""
        return self.job.status == "running" and self.job.fraction <= 0


def job_progress_render(request, progress: JobProgress, *, event: str = ""):
    """The whole progress card (after a cancel, say)."""
    response = render(request, "jobs/_progress.html", {"progress": progress})
    return trigger_client_event(response, event) if event else response


def job_progress_response(request, progress: JobProgress, *, refresh=False, event: str = ""):
    """The polled state; once the job has ended, 286 (stop polling) with the buttons swapped
    out of band, and, as asked, a page refresh (`refresh`) or a client event (`event`)."""
    finished = progress.job.is_finished
    if finished and refresh:
        return stop_polling_and_refresh()
    context = {"progress": replace(progress, oob=finished)}
    response = render(request, "jobs/_progress.html#poll", context)
    if not finished:
        return response
    response.status_code = HttpResponseStopPolling.status_code
    if event:
        response = trigger_client_event(response, event)
    return response
