"""Reads for webhooks, always scoped by owner."""

from .models import WebhookDelivery, WebhookEndpoint

LOG_LENGTH = 50


def endpoint_list(*, owner) -> list[WebhookEndpoint]:
    return list(WebhookEndpoint.objects.filter(owner=owner))


def delivery_list(*, owner, limit: int = LOG_LENGTH) -> list[WebhookDelivery]:
    """The owner's latest deliveries, newest first, for the log on the account page."""
    return list(
        WebhookDelivery.objects.filter(owner=owner).defer("body").select_related("endpoint")[:limit]
    )


def disabled_endpoints(*, owner) -> list[WebhookEndpoint]:
    return list(WebhookEndpoint.objects.filter(owner=owner, enabled=False))


def webhooks_page_context(*, owner) -> dict:
    """The webhooks section of the account settings page."""
    from .forms import EndpointForm
    from .services import secret_get

    return {
        "webhook_secret": secret_get(owner=owner),
        "webhook_endpoints": endpoint_list(owner=owner),
        "webhook_deliveries": delivery_list(owner=owner),
        "webhook_form": EndpointForm(),
    }
