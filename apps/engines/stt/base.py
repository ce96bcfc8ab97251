"""The speech-to-text contract every engine implements."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # analysis.base imports this module: only the type checker needs these
    from apps.engines.analysis.base import (
        Chapter,
        Diarization,
        Entity,
        Keywords,
        SentenceSentiment,
        Summary,
    )

Task = Literal["transcribe", "translate"]


@dataclass(frozen=True)
class ModelInfo:
    name: str
    label: str
    multilingual: bool = True
    # Model names other clients use for this model (e.g. OpenAI's "whisper-1").
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class TranscriptionRequest:
    audio_path: Path
    model: str = ""  # empty: the engine's default
    language: str | None = None  # None: detect
    task: Task = "transcribe"
    prompt: str = ""
    temperature: float = 0.0
    word_timestamps: bool = True
    # Seconds of audio already done (a resumed job starts here).
    start_at: float = 0.0
    # Asked between segments; returning True stops the engine early.
    should_stop: Callable[[], bool] = field(default=lambda: False, compare=False)
    # Each segment carries its tokens' log probabilities (engines with `supports_logprobs`).
    # Off unless asked: it can cost the engine extra work.
    logprobs: bool = False
    # Another job runs on this machine: an engine that would spread over every core (the
    # local engine's automatic lanes) keeps to fewer and leaves the rest to it.
    shares_cores: bool = False


@dataclass(frozen=True)
class Word:
    word: str
    start: float
    end: float
    probability: float = 1.0


@dataclass(frozen=True)
class TokenLogprob:
    """One decoded token, in OpenAI's `logprobs` shape: its text, its UTF-8 bytes (a token can
    hold part of a character, which its text then shows as U+FFFD), its natural log probability."""

    token: str
    logprob: float
    bytes: tuple[int, ...]


GAP_REASONS = {
    "no_text": "speech the engine could not make out",
    "other_language": "speech in another language?",
    # Speech only a second, more sensitive detector heard (far-field, quiet, overlapped):
    # the decoder was not asked (stt/faint.py).
    "faint": "faint or distant speech?",
    # No speech: a sound that detectors take for it (laughter, crying, applause), named in
    # `Segment.sound` (sounds.py).
    "sound": "a sound, not speech",
    # Two people talking at once (stt/overlap.py, or the speaker analysis): the text holds one
    # voice at most there. Unlike the others, text may lie under this mark.
    "overlap": "two people at once: some words may be missing",
}
SEGMENT_FLAGS = {
    # The decoder fell into a repetition loop here; the loop was cut and decoded again
    # without the text before it.
    "loop_cut": "a repetition loop was cut here",
    # A loop even then: the stretch is marked as not transcribed.
    "loop": "the decoder kept repeating itself here",
    # Far too few words for the speech under the segment, even decoded again on its own
    # (sparse.py): words are probably missing, and the text may belong elsewhere.
    "too_few_words": "far too few words for the speech here",
    # Words that come again soon after over other audio, and decoded again on their own came
    # out unsure (repeats.py): they may belong to the later passage, not this one.
    "repeats_later": "these words are said again soon after; they may belong there",
    # Detection heard this stretch surely in another language than the one asked for
    # (`heard_language`, other_language.py): the words are in the language asked for, probably
    # a translation of what was said.
    "other_language": "speech in another language? transcribed in the one asked for",
    # One word set apart from the rest of its sentence by a long pause (pauses.py), where no
    # speech detector hears anyone: invented, or aligned far from where it was said.
    "lone_word": "a lone word where no speech is heard; it may be invented or misplaced",
    # Most of the text's letters are in a script its language never uses (scripts.py): Telugu
    # written in Devanagari or Urdu script by a model that cannot write it.
    "wrong_script": "written in a script its language does not use",
}


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    compression_ratio: float = 1.0
    temperature: float = 0.0
    tokens: tuple[int, ...] = ()
    # The text's tokens with their log probabilities, when the request asked for them.
    logprobs: tuple[TokenLogprob, ...] = ()
    # True where the engine could not transcribe the stretch (its decoder kept repeating
    # itself): `text` then says so instead of giving made-up words.
    untranscribed: bool = False
    # The language this stretch was decoded in (engines that detect it per part); empty: the
    # transcript's language.
    language: str = ""
    # Why a stretch of speech has no text, for a mark the engine puts in its place (`text` is
    # then empty and `untranscribed` true): one of GAP_REASONS. Empty for a transcribed segment.
    gap: str = ""
    # The sound heard where `gap` is "sound": one of sounds.SOUND_NAMES ("laughter").
    sound: str = ""
    # What the engine noticed about this segment (see SEGMENT_FLAGS), for whoever flags
    # transcripts for review.
    flags: tuple[str, ...] = ()
    # The language detection heard here where it is surely not the one the segment was decoded
    # in (flag "other_language"); empty otherwise.
    heard_language: str = ""
    # True on each piece but the last of one decoded segment split at a long pause (pauses.py):
    # a job neither stops nor stores such a piece without the pieces after it, as it resumes
    # after the last one stored (a word aligned before the pause, said after it, came twice).
    # True on an overlap mark too, held to the segment after it that reaches its end
    # (overlap.py): stored with it, or the job resumed past a mark it never stored.
    continues: bool = False


@dataclass(frozen=True)
class LanguageDetected:
    """Sent once, before the first segment."""

    language: str
    probability: float
    duration: float


@dataclass(frozen=True)
class ProviderAnalyses:
    """Analyses a cloud engine returned along with the transcript (AssemblyAI does), sent once
    after the last segment. The job stores them instead of running those local stages.
    Types are from apps.engines.analysis.base; None or empty means "not provided"."""

    diarization: "Diarization | None" = None
    chapters: "tuple[Chapter, ...]" = ()
    entities: "tuple[Entity, ...]" = ()
    sentiment: "tuple[SentenceSentiment, ...]" = ()
    summary: "Summary | None" = None
    keywords: "Keywords | None" = None


@dataclass(frozen=True)
class SpeechHeard:
    """Where the engine's voice detector heard speech in file seconds [start, end), by the
    silence flags' settings (vad.py), sent after the stretch's segments: with these covering the
    whole file, the job need not run the detector over it again. Engines without one send none."""

    start: float
    end: float
    regions: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Decoded:
    """How much of the recording the engine has decoded (file seconds' worth, counted from the
    file's start), sent where that runs ahead of the segments given: parts decoded at once
    (local engine, lanes.py), whose later parts' segments wait their turn. For the progress bar
    only: a job still resumes after the last segment it stored."""

    seconds: float


TranscriptionEvent = LanguageDetected | Segment | ProviderAnalyses | SpeechHeard | Decoded


class SpeechToTextBackend:
    """Base class for engines. Subclasses set the flags and implement `models` and `transcribe`.

    `transcribe` yields a `LanguageDetected` first, then each `Segment` as soon as it is decoded,
    so callers can save partial work and show progress. It raises `ProviderError` on failure.
    """

    label = "Speech-to-text engine"
    supports_translation = True
    supports_word_timestamps = True
    supports_prompt = True
    # True when segments can carry per-token log probabilities (TranscriptionRequest.logprobs).
    supports_logprobs = False
    # False when the engine returns everything at the end (cloud APIs).
    streams_segments = True
    # True when the engine runs on this machine (and so only in worker processes).
    runs_locally = False

    def __init__(self, *, alias: str, **options):
        self.alias = alias
        self.options = options

    def models(self) -> list[ModelInfo]:
        raise NotImplementedError

    @property
    def default_model(self) -> str:
        return self.models()[0].name

    def resolve_model(self, name: str) -> ModelInfo | None:
        """The model called `name` (or one of its aliases); the default for an empty name."""
        name = name or self.default_model
        for model in self.models():
            if name == model.name or name in model.aliases:
                return model
        return None

    def transcribe(self, request: TranscriptionRequest) -> Iterator[TranscriptionEvent]:
        raise NotImplementedError
