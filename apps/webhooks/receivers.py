"""What the webhooks app does when the layers below it speak (they do not import it)."""

from .services import deliveries_create


def on_job_finished(sender, *, job, status, **kwargs) -> None:
    deliveries_create(job=job, status=status)
