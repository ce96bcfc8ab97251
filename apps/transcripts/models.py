import uuid
from pathlib import Path

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.text import get_valid_filename

from apps.engines.stt.base import GAP_REASONS
from apps.jobs.models import Job

from .formats import DocumentGap


def media_upload_to(transcript: "Transcript", filename: str) -> str:
    """Owner and transcript folders keep files apart; the name is reduced to safe characters."""
    name = Path(filename).name
    stem, suffix = Path(name).stem, Path(name).suffix.lower()[:10]
    try:
        safe = get_valid_filename(stem)[:80]
    except Exception:  # get_valid_filename refuses names that reduce to nothing
        safe = ""
    safe = safe.strip("._") or "media"
    return f"transcripts/{transcript.owner_id}/{transcript.id}/{safe}{suffix}"


class Transcript(Job):
    class Task(models.TextChoices):
        TRANSCRIBE = "transcribe", "Transcribe"
        TRANSLATE = "translate", "Translate to English"

    class Source(models.TextChoices):
        WEB = "web", "Web"
        API = "api", "API"

    running_label = "Transcribing"
    event_name = "transcription"
    # Analyses the speech-to-text engine made itself, handed from the run to what follows it.
    provided = None
    internal_error = "An internal error stopped the transcription."

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="transcripts"
    )
    title = models.CharField(max_length=200)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.WEB)

    media = models.FileField(upload_to=media_upload_to, max_length=500)
    original_filename = models.CharField(max_length=255)
    media_size = models.BigIntegerField(default=0)
    media_content_type = models.CharField(max_length=100, blank=True)
    has_video = models.BooleanField(default=False)
    duration = models.FloatField(default=0.0, help_text="Seconds, from the container.")

    # What was asked for.
    engine = models.CharField(max_length=50)
    model = models.CharField(max_length=50)
    language = models.CharField(max_length=16, blank=True, help_text="Empty: detect.")
    task = models.CharField(max_length=10, choices=Task.choices, default=Task.TRANSCRIBE)
    prompt = models.TextField(blank=True)
    temperature = models.FloatField(default=0.0)
    logprobs = models.BooleanField(
        default=False, help_text="Keep each token's log probability (the API's include=logprobs)."
    )

    # What came out.
    detected_language = models.CharField(max_length=16, blank=True)
    language_probability = models.FloatField(null=True, blank=True)
    text = models.TextField(blank=True)

    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "-created_at"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("transcripts:detail", args=[self.pk])

    def execute(self, run) -> None:
        from .services import transcript_execute  # services import this module

        transcript_execute(transcript=self, run=run)

    def finished_fields(self, status: str) -> dict:
        texts = Segment.objects.filter(transcript_id=self.pk).values_list("text", flat=True)
        return {"text": "".join(texts).strip()}

    def on_done(self) -> None:
        from .services import transcript_done

        transcript_done(transcript=self)

    def event_data(self) -> dict:
        data = super().event_data() | {
            "title": self.title,
            "task": self.task,
            "duration": self.duration,
            "language": self.detected_language or self.language,
            "url": self.get_absolute_url(),
        }
        if self.status == self.Status.DONE:
            data["text"] = self.text
        return data

    @property
    def real_time_factor(self) -> float | None:
        if self.status != self.Status.DONE or not self.duration:
            return None
        return self.processing_seconds / self.duration


class Segment(models.Model):
    transcript = models.ForeignKey(Transcript, on_delete=models.CASCADE, related_name="segments")
    index = models.PositiveIntegerField()
    start = models.FloatField()
    end = models.FloatField()
    text = models.TextField()
    # [{"word", "start", "end", "probability"}]: read together with the segment, never alone.
    words = models.JSONField(default=list, blank=True)
    avg_logprob = models.FloatField(default=0.0)
    no_speech_prob = models.FloatField(default=0.0)
    compression_ratio = models.FloatField(default=1.0)
    temperature = models.FloatField(default=0.0)
    tokens = models.JSONField(default=list, blank=True)
    # [{"token", "logprob", "bytes"}] (OpenAI's shape), when the transcript asked for them.
    logprobs = models.JSONField(default=list, blank=True)
    # The engine could not transcribe this stretch (its decoder kept repeating itself); the
    # text says so instead of giving made-up words.
    untranscribed = models.BooleanField(default=False)
    # The language this segment was decoded in, where the engine tells (a mixed-language
    # recording transcribed with "detect"); empty: the transcript's language.
    language = models.CharField(max_length=16, blank=True)
    # The language detection surely heard here where it is not the one the segment was decoded
    # in (flag "other_language": the user asked for one language, this was said in another).
    heard_language = models.CharField(max_length=16, blank=True)
    # Set by the speakers analysis, which splits a segment where the speaker changes; words
    # then carry the speaker's label too. `source_index` is the index the segment had as
    # transcribed, so a re-run can put split pieces back together.
    speaker = models.ForeignKey(
        "analysis.Speaker",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="segments",
    )
    source_index = models.PositiveIntegerField(null=True, blank=True)
    # The engine's text, kept when a person first edits the segment; empty: never edited.
    machine_text = models.TextField(blank=True)
    # Why the text may be made up (apps/transcripts/flags.py FLAGS): ["loop", "stock_phrase"…].
    flags = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["transcript", "index"]
        constraints = [
            models.UniqueConstraint(fields=["transcript", "index"], name="unique_segment_index")
        ]

    def __str__(self) -> str:
        return f"{self.start:.2f}–{self.end:.2f} {self.text[:40]}"


class SegmentEdit(models.Model):
    """One correction of a segment's text, by whom and when; the newest is undone first."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="edits")
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text_before = models.TextField()
    text_after = models.TextField()
    # The words as they were, so an undo puts their times back without aligning again.
    words_before = models.JSONField(default=list, blank=True)
    flags_before = models.JSONField(default=list, blank=True)
    # Not auto_now_add: an edit moved to a re-made segment (speakers split it) keeps its time.
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.segment_id}: {self.text_after[:40]}"


class SegmentAlignment(Job):
    """Word times for an edited segment's text, found against its audio (in a worker)."""

    running_label = "Aligning words"
    resumable = False
    internal_error = "An internal error stopped the word alignment."

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="segment_alignments"
    )
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="alignments")
    # The text aligned; a later edit makes this run's words stale, and they are not stored.
    text = models.TextField()

    def __str__(self) -> str:
        return f"alignment of {self.segment_id}: {self.status}"

    def execute(self, run) -> None:
        from .editing import segment_align_execute  # editing imports this module

        segment_align_execute(alignment=self, run=run)


class Gap(models.Model):
    """Speech the engine heard but gave no text for (VAD found speech, the decoder nothing, or
    speech in a language it was not asked for), or where two people talk at once and the text
    holds one of them at most ("overlap"): shown so that nothing goes missing unseen. Kept apart
    from the segments, which every export and analysis reads as text."""

    transcript = models.ForeignKey(Transcript, on_delete=models.CASCADE, related_name="gaps")
    start = models.FloatField()
    end = models.FloatField()
    reason = models.CharField(max_length=20, choices=list(GAP_REASONS.items()))
    # The language detection heard there, when it differs from the transcript's.
    language = models.CharField(max_length=16, blank=True)
    # The sound heard there where `reason` is "sound" ("laughter": stt/sounds.py).
    sound = models.CharField(max_length=16, blank=True)

    class Meta:
        ordering = ["transcript", "start"]

    def __str__(self) -> str:
        return f"{self.start:.2f}–{self.end:.2f} {self.label}"

    @property
    def label(self) -> str:
        """As the page says it (`DocumentGap.label`)."""
        return DocumentGap(self.start, self.end, self.reason, self.language, self.sound).label
