"""Reads about jobs across every kind."""

import socket

from .models import Job, JobStatus
from .registry import job_models


def jobs_running_here(*, besides: Job | None = None) -> int:
    """Jobs of any kind running on this machine (their worker's host is this one), `besides`
    not counted: a job that would spread over every core leaves some to them."""
    here = f"{socket.gethostname()}:"
    count = 0
    for model in job_models():
        running = model.objects.filter(status=JobStatus.RUNNING, worker_id__startswith=here)
        if besides is not None and isinstance(besides, model):
            running = running.exclude(pk=besides.pk)
        count += running.count()
    return count
