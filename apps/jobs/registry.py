"""Every kind of job, found in Django's app registry: the worker and the reaper know the kinds
without importing the apps that define them."""

from django.apps import apps

from .models import Job


def job_models() -> list[type[Job]]:
    return [m for m in apps.get_models() if issubclass(m, Job)]


def job_model(kind: str) -> type[Job]:
    """The model of a kind ("transcripts.transcript"); LookupError for an unknown one."""
    model = apps.get_model(kind)
    if not issubclass(model, Job):
        raise LookupError(f"{kind} is not a kind of job")
    return model
