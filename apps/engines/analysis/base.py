"""The transcript-analysis contract: speakers, chapters, entities, sentiment, keywords, summary.

Inputs are plain: a `Transcript` of `stt.base.Segment`s (with their `Word`s) and, for speakers,
the audio file. Results are frozen dataclasses the transcripts app stores and renders as they
are, whichever engine produced them. Every analysis runs on its own, so one failing or being
re-run (with another speaker count, say) never touches the others.
"""

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Literal

from ..errors import ErrorKind, ProviderError
from ..stt.base import Segment


class Analysis(StrEnum):
    SPEAKERS = "speakers"
    CHAPTERS = "chapters"
    ENTITIES = "entities"
    SENTIMENT = "sentiment"
    KEYWORDS = "keywords"
    SUMMARY = "summary"


@dataclass(frozen=True)
class Transcript:
    segments: tuple[Segment, ...]
    language: str = "en"
    # The engine's marks of speech without text (Segments with `gap` set, and `sound` where it
    # named one: stt/sounds.py), kept apart from the segments: laughter.py reads them.
    marks: tuple[Segment, ...] = ()

    @property
    def duration(self) -> float:
        return self.segments[-1].end if self.segments else 0.0


# Speakers ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VoiceProfile:
    """A named voice saved by a user; `embedding` comes from `Speaker.embedding`."""

    id: str
    name: str
    embedding: tuple[float, ...]


@dataclass(frozen=True)
class DiarizationRequest:
    audio_path: Path
    transcript: Transcript | None = None  # None: speaker turns only, no labelled segments
    num_speakers: int | None = None  # None: estimate, up to max_speakers
    max_speakers: int = 8
    profiles: tuple[VoiceProfile, ...] = ()


@dataclass(frozen=True)
class SpeakerTurn:
    """A stretch of audio where one speaker talks, from the audio alone."""

    speaker: str
    start: float
    end: float


@dataclass(frozen=True)
class SpeakerSegment:
    """A transcript segment spoken by one speaker. A segment that spans a speaker change comes
    back split at the word, so every word of `segment` belongs to `speaker`."""

    speaker: str
    segment: Segment


@dataclass(frozen=True)
class Speaker:
    label: str  # "SPEAKER_00", "SPEAKER_01"… in order of first appearance
    talk_time: float  # seconds of speech, from the speaker turns
    words: int
    words_per_minute: float
    # L2-normalised mean voice embedding; save it as a `VoiceProfile` to recognise the voice later.
    embedding: tuple[float, ...] = field(repr=False)
    # Set when a saved profile matched: its id, its name and the cosine similarity.
    profile_id: str | None = None
    name: str | None = None
    similarity: float | None = None


@dataclass(frozen=True)
class Diarization:
    speakers: tuple[Speaker, ...]
    turns: tuple[SpeakerTurn, ...]
    segments: tuple[SpeakerSegment, ...] = ()
    # Stretches where a second speaker (named) is likely talking at the same time as the turn's
    # speaker; engines that cannot tell leave it empty.
    overlaps: tuple[SpeakerTurn, ...] = ()


# Text analyses --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chapter:
    start: float
    end: float
    headline: str  # the chapter's most central sentence
    gist: str  # a few words: its top keywords


@dataclass(frozen=True)
class Entity:
    text: str
    type: str  # an OntoNotes label: PERSON, NORP, ORG, GPE, DATE, MONEY… (see ENTITY_TYPES)
    start_char: int  # offsets in `transcript_text(transcript)`
    end_char: int
    start: float
    end: float


# What each entity type means, for the type filter on the transcript page.
ENTITY_TYPES = {
    "PERSON": "People",
    "NORP": "Nationalities, religious and political groups",
    "FAC": "Buildings, airports, highways, bridges",
    "ORG": "Organisations",
    "GPE": "Countries, cities, states",
    "LOC": "Other places",
    "PRODUCT": "Products",
    "EVENT": "Events",
    "WORK_OF_ART": "Titles of works",
    "LAW": "Laws",
    "LANGUAGE": "Languages",
    "DATE": "Dates",
    "TIME": "Times",
    "PERCENT": "Percentages",
    "MONEY": "Money",
    "QUANTITY": "Quantities",
    "ORDINAL": "Ordinals",
    "CARDINAL": "Numbers",
}

SentimentLabel = Literal["positive", "neutral", "negative"]


@dataclass(frozen=True)
class SentenceSentiment:
    text: str
    start: float
    end: float
    label: SentimentLabel
    confidence: float  # 0.5–1.0


@dataclass(frozen=True)
class Keyword:
    text: str
    score: float  # 0–1, higher is more relevant
    count: int
    # Where it is said: (start, end) of each occurrence.
    timestamps: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class Keywords:
    keywords: tuple[Keyword, ...]


SummaryMethod = Literal["auto", "extractive", "abstractive"]


@dataclass(frozen=True)
class SummarySentence:
    text: str
    start: float
    end: float


@dataclass(frozen=True)
class Summary:
    text: str
    method: Literal["extractive", "abstractive"]
    model: str  # "lexrank" or the LLM's model name
    # The sentences picked, with their times (extractive summaries only).
    sentences: tuple[SummarySentence, ...] = ()


# The contract ----------------------------------------------------------------------------------

ALL_LANGUAGES = None


class AnalysisBackend:
    """Base class for analysis engines.

    Capability flags:
    - `analyses`: the analyses this engine implements; others raise `ProviderError`.
    - `languages`: per analysis, the language codes it works for (`ALL_LANGUAGES`, i.e. None,
      for any). `unavailable(language)` turns that into reasons to show the user.
    - `supports_abstractive_summary`: an LLM is configured, so `summarize` can paraphrase.
    - `runs_locally`: models run on this machine, so only in worker processes.

    Every method raises `ProviderError` on failure and may be called from any worker thread.
    """

    label = "Analysis engine"
    analyses: frozenset[Analysis] = frozenset()
    languages: dict[Analysis, frozenset[str] | None] = {}
    supports_abstractive_summary = False
    runs_locally = False

    def __init__(self, *, alias: str, **options):
        self.alias = alias
        self.options = options

    def supports(self, analysis: Analysis, language: str) -> bool:
        if analysis not in self.analyses:
            return False
        codes = self.languages.get(analysis, ALL_LANGUAGES)
        return codes is ALL_LANGUAGES or _base_language(language) in codes

    def unavailable(self, language: str) -> dict[Analysis, str]:
        """The analyses that cannot run on a transcript in `language`, each with why."""
        reasons = {}
        for analysis in Analysis:
            if analysis not in self.analyses:
                reasons[analysis] = f"{self.label} does not offer {analysis.value}."
            elif not self.supports(analysis, language):
                reasons[analysis] = (
                    f"{analysis.value.capitalize()} is not available for language {language!r} "
                    f"(available for: {', '.join(sorted(self.languages[analysis]))})."
                )
        return reasons

    def check_supported(self, analysis: Analysis, language: str) -> None:
        reason = self.unavailable(language).get(analysis)
        if reason:
            raise ProviderError(reason, kind=ErrorKind.INVALID_INPUT)

    def configuration_problem(self) -> str | None:
        """Why this engine cannot run as configured (a missing package), for system checks."""
        return None

    def diarize(self, request: DiarizationRequest) -> Diarization:
        raise NotImplementedError

    def voice_embedding(self, audio_path: Path) -> tuple[float, ...]:
        """The voice embedding of a clip of one speaker, e.g. a known speaker's reference."""
        raise NotImplementedError

    def chapters(self, transcript: Transcript) -> tuple[Chapter, ...]:
        raise NotImplementedError

    def entities(self, transcript: Transcript) -> tuple[Entity, ...]:
        raise NotImplementedError

    def sentiment(self, transcript: Transcript) -> tuple[SentenceSentiment, ...]:
        raise NotImplementedError

    def keywords(self, transcript: Transcript) -> Keywords:
        raise NotImplementedError

    def summarize(self, transcript: Transcript, *, method: SummaryMethod = "auto") -> Summary:
        """`auto` is abstractive when an LLM is configured, extractive otherwise."""
        raise NotImplementedError


def _base_language(code: str) -> str:
    return (code or "").split("-")[0].split("_")[0].lower()
