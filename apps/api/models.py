from django.conf import settings
from django.db import models


class ApiKey(models.Model):
    """A per-user bearer key for the OpenAI-compatible API. Only a hash of the key is kept."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=100)
    # The first characters, shown so a user can tell keys apart.
    prefix = models.CharField(max_length=16)
    hashed_key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Usage since the key was made, shown on the account page: every authenticated request,
    # the seconds of audio sent to be transcribed or translated, the characters sent to be spoken.
    request_count = models.PositiveBigIntegerField(default=0)
    audio_seconds = models.FloatField(default=0.0)
    characters = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def audio_minutes(self) -> float:
        return self.audio_seconds / 60

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
