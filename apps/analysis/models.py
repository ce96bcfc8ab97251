"""Analyses of a transcript, each a stage of its own, and the speakers and voice profiles they
produce. Text results (chapters, entities, sentiment, keywords, summary) are kept as JSON on the
run that made them, so a re-run replaces them in one update; speakers are rows, because segments
point at them and users rename and merge them."""

import uuid

from django.conf import settings
from django.db import models

from apps.engines.analysis.base import Analysis
from apps.jobs.models import Job

# Speaker colours, in order of appearance: distinct, readable on white, colour-blind friendly
# (Okabe–Ito, then Tableau).
SPEAKER_COLOURS = (
    "#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00",
    "#56b4e9", "#8c564b", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip


class AnalysisRun(Job):
    class Kind(models.TextChoices):
        SPEAKERS = Analysis.SPEAKERS.value, "Speakers"
        CHAPTERS = Analysis.CHAPTERS.value, "Chapters"
        ENTITIES = Analysis.ENTITIES.value, "Entities"
        SENTIMENT = Analysis.SENTIMENT.value, "Sentiment"
        KEYWORDS = Analysis.KEYWORDS.value, "Keywords"
        SUMMARY = Analysis.SUMMARY.value, "Summary"

    internal_error = "An internal error stopped the analysis."
    event_name = "analysis"
    new_result = None  # set by execute(), stored with the final status

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="analysis_runs"
    )
    transcript = models.ForeignKey(
        "transcripts.Transcript", on_delete=models.CASCADE, related_name="analysis_runs"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # What was asked: {"num_speakers": 3} (None: auto), {"known_speakers": [{"name", "path"}]}.
    options = models.JSONField(default=dict, blank=True)
    # The analysis engine alias, or the speech-to-text alias when that engine provided it.
    engine = models.CharField(max_length=50, blank=True)
    # Chapters, entities, sentiment, keywords: lists of the engine's dataclasses as dicts; a
    # summary: one dict; speakers: the speaker turns (the speakers themselves are rows).
    result = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["transcript", "kind"], name="unique_analysis_kind")
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.transcript_id}: {self.status}"

    def execute(self, run) -> None:
        from .services.runs import analysis_run_execute  # services import this module

        self.new_result = analysis_run_execute(analysis=self, run=run)

    def event_data(self) -> dict:
        data = super().event_data()
        data |= {"analysis": self.kind, "transcript_id": str(self.transcript_id)}
        if self.status == self.Status.DONE:
            data["result"] = self.result
        return data

    def finished_fields(self, status: str) -> dict:
        # A failed re-run keeps the result of the last good one.
        return {"result": self.new_result} if status == self.Status.DONE else {}


class VoiceProfile(models.Model):
    """A named voice of its owner: later diarizations name a matching speaker after it."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="voice_profiles"
    )
    name = models.CharField(max_length=100)
    embedding = models.JSONField(help_text="L2-normalised voice embedding.")
    # Embeddings compare only within one engine: the analysis engine alias that made it.
    engine = models.CharField(max_length=50)
    source = models.CharField(max_length=300, blank=True, help_text="Where the voice came from.")
    source_transcript = models.ForeignKey(
        "transcripts.Transcript", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="unique_voice_profile_name")
        ]

    def __str__(self) -> str:
        return self.name


class Speaker(models.Model):
    transcript = models.ForeignKey(
        "transcripts.Transcript", on_delete=models.CASCADE, related_name="speakers"
    )
    label = models.CharField(max_length=20, help_text="SPEAKER_00, SPEAKER_01…")
    name = models.CharField(max_length=100, blank=True)
    colour = models.CharField(max_length=7, default=SPEAKER_COLOURS[0])
    embedding = models.JSONField(default=list, blank=True)
    talk_time = models.FloatField(default=0.0, help_text="Seconds.")
    words = models.PositiveIntegerField(default=0)
    words_per_minute = models.FloatField(default=0.0)
    # Set when a saved voice profile matched (or this speaker was saved as one).
    profile = models.ForeignKey(
        VoiceProfile, null=True, blank=True, on_delete=models.SET_NULL, related_name="speakers"
    )
    similarity = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["transcript", "label"]
        constraints = [
            models.UniqueConstraint(fields=["transcript", "label"], name="unique_speaker_label")
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def letter(self) -> str:
        """A, B, C… by label, as OpenAI names unknown speakers."""
        number = int(self.label.rsplit("_", 1)[-1]) if self.label[-1:].isdigit() else -1
        return chr(ord("A") + number) if 0 <= number < 26 else self.label

    @property
    def api_name(self) -> str:
        return self.name or self.letter

    @property
    def display_name(self) -> str:
        return self.name or f"Speaker {self.letter}"


class SpeakerOverlap(models.Model):
    """A stretch where `speaker` is likely talking at the same time as `over`, the speaker of
    the turn there (the diarization's overlap marks, split where that turn's speaker changes).
    Replaced with the speakers on each run; goes with either speaker."""

    transcript = models.ForeignKey(
        "transcripts.Transcript", on_delete=models.CASCADE, related_name="speaker_overlaps"
    )
    speaker = models.ForeignKey(Speaker, on_delete=models.CASCADE, related_name="overlaps")
    # None where no turn of another speaker covers the stretch.
    over = models.ForeignKey(
        Speaker, null=True, blank=True, on_delete=models.CASCADE, related_name="talked_over"
    )
    start = models.FloatField()
    end = models.FloatField()

    class Meta:
        ordering = ["transcript", "start"]

    def __str__(self) -> str:
        return f"{self.speaker} over {self.over} at {self.start:.2f}"
