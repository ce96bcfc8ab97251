import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse

from apps.jobs.models import Job

# The waveform drawn in the library: this many bars, each the loudest moment of its slice.
WAVEFORM_BARS = 120


class Track(Job):
    """A piece of music or a sound effect made from a text: the request (kept, so it can be made
    again or varied), the job's state and the files (WAV, MP3 and MIDI where the engine made
    one) in the track's own folder."""

    class Kind(models.TextChoices):
        MUSIC = "music", "Music"
        EFFECT = "effect", "Sound effect"
        SPOKEN = "spoken", "Spoken summary"

    class Source(models.TextChoices):
        WEB = "web", "Web"
        API = "api", "API"

    running_label = "Composing"
    event_name = "music"  # webhooks: music.completed / music.failed
    internal_error = "An internal error stopped the composition."
    # A track is made again from the start, and the same seed gives the same track.
    resumable = True

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="music_tracks"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.MUSIC)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.WEB)
    title = models.CharField(max_length=200, blank=True)

    # What was asked for.
    prompt = models.TextField()
    engine = models.CharField(max_length=50, help_text="The MUSIC or SOUND_EFFECTS alias.")
    seconds = models.FloatField(default=0.0, help_text="Asked for; 0: the engine chose.")
    instrumental = models.BooleanField(default=True)
    lyrics = models.TextField(blank=True)
    sections = models.JSONField(default=list, blank=True, help_text='[{"name", "seconds"}]')
    seed = models.BigIntegerField(null=True, blank=True)
    # A spoken summary: the voice that speaks the text (the prompt), and the music bed under it.
    voice_id = models.CharField(
        max_length=200, blank=True, help_text="As the voice library names it."
    )
    voice_name = models.CharField(max_length=200, blank=True)
    bed = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="A music track of the owner's, ducked under the voice.",
    )  # fmt: skip
    transcript = models.ForeignKey(
        "transcripts.Transcript", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", help_text="What a spoken summary summarises.",
    )  # fmt: skip

    # What came out.
    understood = models.TextField(blank=True, help_text="What the engine read from the prompt.")
    duration = models.FloatField(default=0.0)
    audio = models.FileField(max_length=500, blank=True)  # WAV
    mp3 = models.FileField(max_length=500, blank=True)
    midi = models.FileField(max_length=500, blank=True)
    peaks = models.JSONField(default=list, blank=True, help_text="The waveform, 0-1 per bar.")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "-created_at"])]

    def __str__(self) -> str:
        return self.title or self.prompt[:60]

    def event_data(self) -> dict:
        return super().event_data() | {
            "kind": self.kind,
            "title": str(self),
            "duration": self.duration,
            "url": self.get_absolute_url(),
        }

    def get_absolute_url(self) -> str:
        return f"{reverse('music:studio')}?t={self.pk}"

    def execute(self, run) -> None:
        from .services import track_execute  # services import this module

        track_execute(track=self, run=run)

    def on_gone(self) -> None:
        from .services import track_files_remove

        track_files_remove(track=self)

    @property
    def has_audio(self) -> bool:
        return self.status == self.Status.DONE and bool(self.audio)

    @property
    def waveform(self) -> list[tuple[int, float, float]]:
        """(x, y, height) of each bar in a 0-120 × 0-20 box, for the library's SVG."""
        return [(i, 10 - 10 * p, max(0.4, 20 * p)) for i, p in enumerate(self.peaks)]
