"""Each user's webhooks: the signing secret, the endpoints, one-off URLs given with an API
request, and every delivery with its attempts."""

from django.conf import settings
from django.db import models


class WebhookSecret(models.Model):
    """The owner's signing secret (`whsec_…`, Standard Webhooks). Signing needs the secret
    itself, so it is kept encrypted (apps/core/sealing.py), not hashed; it is shown on its
    owner's account page only."""

    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_secret"
    )
    # Both sealed: read them through apps.webhooks.services (secret_get, signing_secrets).
    secret = models.CharField(max_length=400)
    # After a rotation the old secret signs too, for a day, so receivers can switch over.
    previous_secret = models.CharField(max_length=400, blank=True)
    rotated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Signing secret of {self.owner}"  # never the secret


class WebhookEndpoint(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=100, blank=True)
    # The event types it wants ("transcription.completed"…); empty: all of them.
    events = models.JSONField(default=list, blank=True)
    enabled = models.BooleanField(default=True)
    failures_in_a_row = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        return not self.events or event_type in self.events


class WebhookSubscription(models.Model):
    """A URL given with one API request (`webhook_url`): told about that job only."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    job_kind = models.CharField(max_length=100)
    job_id = models.CharField(max_length=64)
    url = models.URLField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["job_kind", "job_id"])]

    def __str__(self) -> str:
        return f"{self.job_kind} {self.job_id} → {self.url}"


class WebhookDelivery(models.Model):
    """One message to one URL, tried until it is taken (2xx) or the retries run out. Retries
    and redeliveries send the same body under the same `webhook-id`, so a receiver can drop
    what it has seen."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        RETRYING = "retrying", "Will retry"
        SUCCEEDED = "succeeded", "Delivered"
        FAILED = "failed", "Failed"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_deliveries"
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    url = models.URLField(max_length=2000)
    event_type = models.CharField(max_length=100)
    msg_id = models.CharField(max_length=64, unique=True)
    body = models.TextField(help_text="The JSON sent, byte for byte on every attempt.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    attempted_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "-created_at"])]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.event_type} → {self.url}"
