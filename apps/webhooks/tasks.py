from django_tasks import task

from .services import delivery_attempt


# Queued on the "webhooks" queue (services.QUEUE), deferred for retries.
@task()
def deliver_webhook(delivery_id: int) -> None:
    delivery_attempt(delivery_id=delivery_id)
