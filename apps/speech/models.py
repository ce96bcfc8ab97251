import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse

from apps.engines.tts.base import AUDIO_FORMATS
from apps.engines.tts.encode import CONTENT_TYPES, FILE_EXTENSIONS


class Generation(models.Model):
    """One text spoken in one voice: the request, the job's state and the audio file.

    The worker appends encoded audio to the file as each sentence is ready, so the file can be
    streamed to a listener while it grows.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Synthesising"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    class Source(models.TextChoices):
        WEB = "web", "Web"
        API = "api", "API"

    FINISHED = (Status.DONE, Status.FAILED, Status.CANCELLED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="speech_generations"
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.WEB)

    # What was asked for.
    text = models.TextField()
    voice_id = models.CharField(max_length=200, help_text="As the voice library names it.")
    voice_name = models.CharField(max_length=200)
    engine = models.CharField(max_length=50, help_text="The text-to-speech alias.")
    model = models.CharField(max_length=50, blank=True, help_text="As an API client named it.")
    language = models.CharField(max_length=16, blank=True, help_text="Empty: the voice's own.")
    speed = models.FloatField(default=1.0)
    format = models.CharField(max_length=8, choices=[(f, f) for f in AUDIO_FORMATS])
    instructions = models.TextField(blank=True)

    # The job.
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    sentences_total = models.PositiveIntegerField(default=0)
    sentences_done = models.PositiveIntegerField(default=0)
    cancel_requested = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    error_kind = models.CharField(max_length=20, blank=True, help_text="An engines ErrorKind.")
    worker_id = models.CharField(max_length=200, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    first_audio_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    # What came out: the file grows while the job runs.
    audio = models.FileField(max_length=500, blank=True)
    audio_size = models.BigIntegerField(default=0, help_text="Bytes written so far.")
    duration = models.FloatField(default=0.0, help_text="Seconds of audio so far.")

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "-created_at"])]

    def __str__(self) -> str:
        return self.text[:60]

    def get_absolute_url(self) -> str:
        return reverse("speech:audio", args=[self.pk])

    @property
    def stream_url(self) -> str:
        """Where a player listens while the audio grows (raw PCM is wrapped in WAV for it)."""
        url = reverse("speech:stream", args=[self.pk])
        return f"{url}?as=wav" if self.format == "pcm" else url

    @property
    def play_url(self) -> str:
        """The finished file (seekable); while the job runs, and for raw PCM, the stream."""
        if self.has_file and self.format != "pcm":
            return self.get_absolute_url()
        return self.stream_url

    @property
    def has_file(self) -> bool:
        """Finished with audio to keep: done, or cancelled after some audio was made."""
        return self.status == self.Status.DONE or (
            self.status == self.Status.CANCELLED and self.audio_size > 0
        )

    @property
    def is_playable(self) -> bool:
        """There is, or will be, audio to hear."""
        return self.has_file or self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]

    @property
    def file_extension(self) -> str:
        return FILE_EXTENSIONS[self.format]

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.sentences_total:
            return 0
        return min(99, int(100 * self.sentences_done / self.sentences_total))
