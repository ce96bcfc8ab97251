"""A live recording is a job: while its socket is open the web process that holds it beats its
heartbeat, so the reaper fails a session whose process died. What it records goes into an
ordinary Transcript (audio file, segments and words), which every analysis and export reads."""

import uuid

from django.conf import settings
from django.db import models

from apps.jobs.models import Job
from apps.transcripts.models import Transcript


class LiveSession(Job):
    class Source(models.TextChoices):
        WEB = "web", "Live page"
        API = "api", "Realtime API"

    # Its listener is gone with its process: there is nothing to resume, only to save.
    resumable = False
    # Never queued: the web process holding its socket runs it (no worker serves "live").
    queue_name = "live"
    running_label = "Recording"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="live_sessions"
    )
    transcript = models.ForeignKey(
        Transcript, on_delete=models.CASCADE, related_name="live_sessions"
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.WEB)
    engine = models.CharField(max_length=50, help_text="A STREAMING_SPEECH_TO_TEXT alias.")
    # Where this session's audio starts in the transcript (earlier sessions came before).
    offset = models.FloatField(default=0.0)
    audio_seconds = models.FloatField(default=0.0, help_text="Received by this session.")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Live session {self.pk} ({self.status})"
