import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse

from apps.core.clock import clock
from apps.engines.tts.base import AUDIO_FORMATS
from apps.engines.tts.encode import CONTENT_TYPES, FILE_EXTENSIONS
from apps.jobs.models import Job


class Generation(Job):
    """One text spoken in one voice: the request, the job's state and the audio file.

    The worker appends encoded audio to the file as each sentence is ready, so the file can be
    streamed to a listener while it grows.
    """

    class Source(models.TextChoices):
        WEB = "web", "Web"
        API = "api", "API"

    # Its own queue and worker, polled often: someone is waiting to hear the first sentence.
    queue_name = "speech"
    priority = 10  # someone waits to listen
    # A listener has gone by the time a lost generation is found, and the file may end
    # mid-frame: it fails, and the user generates it again.
    resumable = False
    running_label = "Synthesising"
    event_name = "speech"
    internal_error = "An internal error stopped the synthesis."

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
    # ElevenLabs-style stability / similarity_boost / style (VoiceSettings.as_dict()); empty:
    # the voice's own. Engines follow those they can (voice_settings_honoured).
    voice_settings = models.JSONField(default=dict, blank=True)

    first_audio_at = models.DateTimeField(null=True, blank=True)
    # Paragraphs spoken again since (each rewrites the file under a new name: players and
    # caches holding the old one are not served a mix).
    edits = models.PositiveIntegerField(default=0)

    # What came out: the file grows while the job runs.
    audio = models.FileField(max_length=500, blank=True)
    audio_size = models.BigIntegerField(default=0, help_text="Bytes written so far.")
    duration = models.FloatField(default=0.0, help_text="Seconds of audio so far.")

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
        query = "&".join(filter(None, ["as=wav" if self.format == "pcm" else "", self._version]))
        return f"{url}?{query}" if query else url

    @property
    def play_url(self) -> str:
        """The finished file (seekable); while the job runs, and for raw PCM, the stream."""
        if self.has_file and self.format != "pcm":
            url = self.get_absolute_url()
            return f"{url}?{self._version}" if self.edits else url
        return self.stream_url

    @property
    def _version(self) -> str:
        """Names the audio as it is after its paragraphs' edits, so no cache serves the old."""
        return f"v={self.edits}" if self.edits else ""

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

    def execute(self, run) -> None:
        from .services import generation_execute  # services import this module

        generation_execute(generation=self, run=run)

    def event_data(self) -> dict:
        return super().event_data() | {
            "voice": self.voice_id,
            "format": self.format,
            "duration": self.duration,
            "url": self.get_absolute_url(),
        }

    def on_gone(self) -> None:
        from .services import generation_files_remove

        generation_files_remove(generation=self)

    @property
    def sentences_total(self) -> int:
        return int(self.progress_total)

    @property
    def sentences_done(self) -> int:
        return int(self.progress_done)

    @property
    def voice_settings_label(self) -> str:
        """For the history: "stability 0.5 · similarity 0.8"."""
        names = {"similarity_boost": "similarity"}
        items = self.voice_settings.items()
        return " · ".join(f"{names.get(k, k)} {round(v, 2):g}" for k, v in items)

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]

    @property
    def file_extension(self) -> str:
        return FILE_EXTENSIONS[self.format]


class Paragraph(models.Model):
    """One paragraph of a studio generation, with its own audio (FLAC, 24 kHz), so that it can
    be spoken again alone and the whole re-joined without speaking the rest."""

    generation = models.ForeignKey(Generation, on_delete=models.CASCADE, related_name="paragraphs")
    index = models.PositiveIntegerField()
    text = models.TextField()
    audio = models.FileField(max_length=500, blank=True)
    duration = models.FloatField(default=0.0)
    # As last spoken: the generation's at first, then what a regeneration asked for.
    speed = models.FloatField(default=1.0)
    voice_settings = models.JSONField(default=dict, blank=True)
    takes = models.PositiveIntegerField(default=1, help_text="Times spoken.")

    class Meta:
        ordering = ["generation", "index"]
        constraints = [
            models.UniqueConstraint(fields=["generation", "index"], name="one_paragraph_per_index")
        ]

    def __str__(self) -> str:
        return self.text[:60]

    @property
    def number(self) -> int:
        return self.index + 1

    @property
    def duration_label(self) -> str:
        """Seconds for a short paragraph ("2.4 s"; m:ss would say 0:02), m:ss past a minute."""
        return f"{self.duration:.1f} s" if self.duration < 60 else clock(self.duration)


class ParagraphRegeneration(Job):
    """One paragraph spoken again (its text edited, or other settings, or another take), then
    the generation's audio re-joined from every paragraph's own."""

    queue_name = "speech"  # the speech worker has the voices loaded
    priority = 10  # someone waits to listen
    resumable = False  # started again from the start if its worker dies: cheap
    running_label = "Speaking the paragraph again"
    internal_error = "An internal error stopped speaking the paragraph again."

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="paragraph_regenerations"
    )
    generation = models.ForeignKey(
        Generation, on_delete=models.CASCADE, related_name="regenerations"
    )
    paragraph = models.ForeignKey(Paragraph, on_delete=models.CASCADE, related_name="regenerations")
    text = models.TextField()
    speed = models.FloatField(default=1.0)
    voice_settings = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.text[:60]

    def execute(self, run) -> None:
        from .paragraphs import regeneration_execute  # it imports this module

        regeneration_execute(regeneration=self, run=run)

    def on_gone(self) -> None:
        from .paragraphs import regeneration_files_remove

        regeneration_files_remove(regeneration=self)
