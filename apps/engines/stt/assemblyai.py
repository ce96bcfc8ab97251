"""AssemblyAI's hosted speech-to-text, through the official `assemblyai` SDK.

One request does what the portal otherwise runs as separate local stages: speakers, chapters,
entities and sentiment come back with the transcript and are passed on, after the segments, as
one `ProviderAnalyses` event.
"""

import math
import re
import time
from collections.abc import Iterator, Sequence
from functools import cached_property

import assemblyai as aai
import httpx
from assemblyai import api as aai_api
from django.core.exceptions import ImproperlyConfigured

from ..analysis.base import (
    Chapter,
    Diarization,
    Entity,
    Keyword,
    Keywords,
    SentenceSentiment,
    SpeakerSegment,
    SpeakerTurn,
    Summary,
    Transcript,
)
from ..analysis.text import TimedText
from ..cloud import DEFAULT_TIMEOUT, assemblyai_error, assemblyai_transcript_error
from ..errors import ErrorKind, ProviderError
from .base import (
    LanguageDetected,
    ModelInfo,
    ProviderAnalyses,
    Segment,
    SpeechToTextBackend,
    TranscriptionEvent,
    TranscriptionRequest,
    Word,
)

# Tried in order: the first one that knows the audio's language transcribes it. Universal-3 Pro
# knows six languages, Universal-2 ninety-nine.
DEFAULT_SPEECH_MODELS = ("universal-3-pro", "universal-2")
MODEL_LABELS = {
    "universal-3-5-pro": "Universal-3.5 Pro (AssemblyAI)",
    "universal-3-pro": "Universal-3 Pro (AssemblyAI)",
    "universal-2": "Universal-2 (AssemblyAI)",
}
# The SDK's own default; tests use a few hundredths of a second.
DEFAULT_POLLING_INTERVAL = 3.0
# AssemblyAI takes a fraction of the audio's length; an hour is a stuck job, not a long file.
DEFAULT_POLL_TIMEOUT = 3600.0

# What the SDK raises: its own errors, httpx's for the connection, and ValueError (pydantic's
# ValidationError, JSONDecodeError) for a reply it cannot read.
_SDK_ERRORS = (aai.AssemblyAIError, httpx.HTTPError, ValueError)
_DONE = (aai.TranscriptStatus.completed, aai.TranscriptStatus.error)

# AssemblyAI's entity types as the OntoNotes labels of analysis.base.ENTITY_TYPES. The rest
# (phone numbers, medical conditions, occupations…) have no OntoNotes label and are left out.
_ENTITY_TYPES = {
    "person_name": "PERSON",
    "nationality": "NORP",
    "religion": "NORP",
    "political_affiliation": "NORP",
    "organization": "ORG",
    "organization_medical_facility": "ORG",
    "location_city": "GPE",
    "location_country": "GPE",
    "location_state": "GPE",
    "location": "LOC",
    "location_address": "LOC",
    "location_address_street": "LOC",
    "product": "PRODUCT",
    "drug": "PRODUCT",
    "event": "EVENT",
    "language": "LANGUAGE",
    "date": "DATE",
    "date_interval": "DATE",
    "date_of_birth": "DATE",
    "day": "DATE",
    "month": "DATE",
    "year": "DATE",
    "duration": "DATE",
    "time": "TIME",
    "statistics": "PERCENT",
    "money_amount": "MONEY",
    "person_age": "CARDINAL",
}


class AssemblyAISpeechToText(SpeechToTextBackend):
    """AssemblyAI's pre-recorded API: the file is uploaded, a transcript is requested with the
    analyses turned on in OPTIONS, and polled until done.

    Each backend has its own SDK client, since `aai.settings` is global and two aliases may hold
    different keys. `speakers_expected` is a backend option: `TranscriptionRequest` has no
    speaker count.
    """

    label = "AssemblyAI (cloud)"
    supports_translation = False
    # AssemblyAI's prompt only steers Universal-3 Pro, and not the way Whisper's prompt does.
    supports_prompt = False
    streams_segments = False

    def __init__(
        self,
        *,
        alias: str,
        api_key: str = "",
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        polling_interval: float = DEFAULT_POLLING_INTERVAL,
        poll_timeout: float = DEFAULT_POLL_TIMEOUT,
        speech_models: Sequence[str] = DEFAULT_SPEECH_MODELS,
        speaker_labels: bool = True,
        speakers_expected: int | None = None,
        auto_chapters: bool = True,
        entity_detection: bool = True,
        sentiment_analysis: bool = True,
        summarization: bool = False,
        summary_model: str = "informative",
        summary_type: str = "paragraph",
        auto_highlights: bool = False,
        **options,
    ):
        super().__init__(alias=alias, **options)
        if auto_chapters and summarization:
            raise ImproperlyConfigured(
                "AssemblyAI runs either auto_chapters or summarization on a transcript, not both."
            )
        if not speech_models:
            raise ImproperlyConfigured("AssemblyAI needs at least one of its speech_models.")
        self.api_key = api_key
        self.base_url = base_url
        self.timeout = timeout
        self.polling_interval = polling_interval
        self.poll_timeout = poll_timeout
        self.speech_models = tuple(speech_models)
        self.summary_model = summary_model
        self.features = {
            "speaker_labels": speaker_labels,
            "auto_chapters": auto_chapters,
            "entity_detection": entity_detection,
            "sentiment_analysis": sentiment_analysis,
            "summarization": summarization,
            "auto_highlights": auto_highlights,
        }
        if speaker_labels and speakers_expected:
            self.features["speakers_expected"] = speakers_expected
        if summarization:
            self.features |= {"summary_model": summary_model, "summary_type": summary_type}

    @cached_property
    def client(self) -> aai.Client:
        settings = {
            "api_key": self.api_key,
            "http_timeout": self.timeout,
            "polling_interval": self.polling_interval,
        }
        if self.base_url:  # otherwise ASSEMBLYAI_BASE_URL, or the SDK's default
            settings["base_url"] = self.base_url
        return aai.Client(settings=aai.Settings(**settings))

    @cached_property
    def transcriber(self) -> aai.Transcriber:
        return aai.Transcriber(client=self.client)

    def configuration_problem(self) -> str | None:
        return None if self.api_key else "no API key (set ASSEMBLYAI_API_KEY)"

    def models(self) -> list[ModelInfo]:
        return [
            ModelInfo(name, MODEL_LABELS.get(name, f"{name} (AssemblyAI)"))
            for name in self.speech_models
        ]

    def transcribe(self, request: TranscriptionRequest) -> Iterator[TranscriptionEvent]:
        config = self._config(request)
        done = self._run(request, config)
        if done is None:
            return  # stopped while AssemblyAI was still working
        transcript, blocks = done
        segments = [_segment(block) for block in blocks]
        yield _language(transcript, request, segments)
        for segment in segments:
            if segment.end <= request.start_at:
                continue  # a resumed job already holds it
            yield segment
            if request.should_stop():
                return
        yield self._analyses(transcript, segments, request)

    def _config(self, request: TranscriptionRequest) -> aai.TranscriptionConfig:
        if not self.api_key:
            raise ProviderError(
                "AssemblyAI has no API key configured.", kind=ErrorKind.AUTHENTICATION
            )
        info = self.resolve_model(request.model)
        if info is None:
            raise ProviderError(f"Unknown model {request.model!r}.", kind=ErrorKind.INVALID_INPUT)
        if request.task == "translate":
            raise ProviderError(
                "AssemblyAI does not translate; choose another engine.",
                kind=ErrorKind.INVALID_INPUT,
            )
        # The chosen model first, the others as fallbacks for languages it does not know.
        models = [info.name, *(m for m in self.speech_models if m != info.name)]
        language = (
            {"language_code": request.language}
            if request.language
            else {"language_detection": True}
        )
        return aai.TranscriptionConfig(speech_models=models, **language, **self.features)

    def _run(self, request: TranscriptionRequest, config: aai.TranscriptionConfig):
        """The finished transcript and its speaker turns (or sentences, without speakers), or
        None when the request was stopped first."""
        try:
            transcript = self._wait(self.transcriber.submit(request.audio_path, config), request)
            if transcript is None:
                return None
            if transcript.status == aai.TranscriptStatus.error:
                raise assemblyai_transcript_error(transcript.error or "")
            if transcript.utterances:
                return transcript, transcript.utterances
            return transcript, transcript.get_sentences() if transcript.words else []
        except _SDK_ERRORS as exc:
            raise assemblyai_error(exc) from exc

    def _wait(self, transcript: aai.Transcript, request: TranscriptionRequest):
        # Polled here, not with Transcript.wait_for_completion, so a cancelled job stops.
        deadline = time.monotonic() + self.poll_timeout
        while transcript.status not in _DONE:
            if request.should_stop():
                return None
            if time.monotonic() >= deadline:
                raise ProviderError(
                    f"AssemblyAI had not finished transcript {transcript.id} after "
                    f"{self.poll_timeout:g} seconds.",
                    kind=ErrorKind.TIMEOUT,
                )
            time.sleep(self.polling_interval)
            response = aai_api.get_transcript(self.client.http_client, transcript.id)
            transcript = aai.Transcript.from_response(client=self.client, response=response)
        return transcript

    def _analyses(
        self, transcript: aai.Transcript, segments: list[Segment], request: TranscriptionRequest
    ) -> ProviderAnalyses:
        language = request.language or _language_code(transcript.language_code)
        summary = None
        if self.features["summarization"] and transcript.summary:
            model = f"assemblyai/{self.summary_model}"
            summary = Summary(text=transcript.summary.strip(), method="abstractive", model=model)
        return ProviderAnalyses(
            diarization=_diarization(transcript.utterances or [], segments),
            chapters=tuple(_chapter(c) for c in transcript.chapters or ()),
            entities=_entities(transcript.entities or (), segments, language),
            sentiment=tuple(_sentiment(s) for s in transcript.sentiment_analysis or ()),
            summary=summary,
            keywords=_keywords(transcript.auto_highlights),
        )


def _seconds(milliseconds: int) -> float:
    return round(milliseconds / 1000, 3)


def _language_code(code) -> str:
    # AssemblyAI names regional variants ("en_us", "en_uk"); the portal speaks ISO 639-1.
    return str(code or "").split("_")[0].lower()


def _language(
    transcript: aai.Transcript, request: TranscriptionRequest, segments: list[Segment]
) -> LanguageDetected:
    # audio_duration is whole seconds: never let it end before the last word.
    duration = max(float(transcript.audio_duration or 0), segments[-1].end if segments else 0.0)
    if request.language:
        return LanguageDetected(request.language, 1.0, duration)
    confidence = (transcript.json_response or {}).get("language_confidence")
    return LanguageDetected(
        _language_code(transcript.language_code), float(confidence or 0.0), duration
    )


def _segment(block) -> Segment:
    """A segment from an utterance or a sentence (both carry text, times and words)."""
    words = tuple(
        Word(w.text, _seconds(w.start), _seconds(w.end), round(w.confidence, 4))
        for w in block.words
    )
    # The mean log-probability of the words, which is what Whisper's avg_logprob measures.
    logprobs = [math.log(max(w.probability, 1e-6)) for w in words]
    return Segment(
        start=_seconds(block.start),
        end=_seconds(block.end),
        text=" " + block.text.strip(),
        words=words,
        avg_logprob=round(sum(logprobs) / len(logprobs), 4) if logprobs else 0.0,
    )


def _diarization(utterances, segments: list[Segment]) -> Diarization | None:
    if not utterances:
        return None
    # Imported here: it brings in scipy, needed only once a transcript with speakers arrives.
    from ..analysis.speakers import speaker_figures

    # Named like the local engine's speakers, in order of first appearance: A is SPEAKER_00.
    names: dict[str, str] = {}
    for utterance in utterances:
        names.setdefault(utterance.speaker, f"SPEAKER_{len(names):02d}")
    labelled = tuple(
        SpeakerSegment(names[u.speaker], segment)
        for u, segment in zip(utterances, segments, strict=True)
    )
    turns = tuple(SpeakerTurn(s.speaker, s.segment.start, s.segment.end) for s in labelled)
    # No voice embeddings come from AssemblyAI, so its speakers cannot match saved profiles.
    speakers = speaker_figures(turns, labelled, centroids={})
    return Diarization(speakers=tuple(speakers), turns=turns, segments=labelled)


def _chapter(chapter: aai.Chapter) -> Chapter:
    return Chapter(
        start=_seconds(chapter.start),
        end=_seconds(chapter.end),
        headline=chapter.headline,
        gist=chapter.gist or "",
    )


def _sentiment(result: aai.Sentiment) -> SentenceSentiment:
    return SentenceSentiment(
        text=result.text,
        start=_seconds(result.start),
        end=_seconds(result.end),
        label=aai.SentimentType(result.sentiment).value.lower(),
        confidence=round(result.confidence, 4),
    )


def _entities(found, segments: list[Segment], language: str) -> tuple[Entity, ...]:
    """AssemblyAI gives each entity's text and times; the portal also wants its place in the
    transcript's text, found as the occurrence of that text said closest to those times."""
    timed = TimedText(Transcript(tuple(segments), language or "en"))
    entities = []
    for entity in found:
        kind = _ENTITY_TYPES.get(aai.EntityType(entity.entity_type).value)
        start, end = _seconds(entity.start), _seconds(entity.end)
        place = _place(timed, entity.text, start)
        if kind and place:
            entities.append(Entity(entity.text, kind, place[0], place[1], start, end))
    return tuple(entities)


def _place(timed, text: str, start: float) -> tuple[int, int] | None:
    spans = [m.span() for m in re.finditer(re.escape(text), timed.text, re.IGNORECASE)]
    if not spans:
        return None  # worded differently from the transcript: no place to point at
    return min(spans, key=lambda span: abs(timed.times(*span)[0] - start))


def _keywords(highlights: aai.AutohighlightResponse | None) -> Keywords | None:
    if not highlights or not highlights.results:
        return None
    ranked = sorted(highlights.results, key=lambda h: h.rank or 0.0, reverse=True)
    return Keywords(
        tuple(
            Keyword(
                text=h.text,
                score=round(h.rank or 0.0, 4),
                count=h.count,
                timestamps=tuple((_seconds(t.start), _seconds(t.end)) for t in h.timestamps),
            )
            for h in ranked
        )
    )
