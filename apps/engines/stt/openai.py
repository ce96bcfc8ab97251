"""OpenAI's hosted speech-to-text (whisper-1, gpt-4o-transcribe), through the `openai` SDK."""

import bisect
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

import openai

from apps.core.media import InvalidMedia, probe

from ..cloud import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, openai_client, openai_error
from ..errors import ErrorKind, ProviderError
from .base import (
    LanguageDetected,
    ModelInfo,
    Segment,
    SpeechToTextBackend,
    TranscriptionEvent,
    TranscriptionRequest,
    Word,
)
from .languages import language_code

# The API refuses larger uploads with a 413; saying so before uploading saves the user a wait.
MAX_UPLOAD_BYTES = 25 * 1024 * 1024


@dataclass(frozen=True)
class OpenAIModelInfo(ModelInfo):
    """What each OpenAI model can do: only whisper-1 returns timestamps and translates."""

    verbose: bool = False  # answers verbose_json (segments, words, language, duration)
    word_timestamps: bool = False
    translation: bool = False


MODELS = (
    OpenAIModelInfo(
        "whisper-1", "Whisper (OpenAI)", verbose=True, word_timestamps=True, translation=True
    ),
    OpenAIModelInfo("gpt-4o-transcribe", "GPT-4o Transcribe (OpenAI, text only)"),
    OpenAIModelInfo("gpt-4o-mini-transcribe", "GPT-4o mini Transcribe (OpenAI, text only)"),
)


class OpenAISpeechToText(SpeechToTextBackend):
    """OpenAI's audio API. The whole file is uploaded and the result arrives at once.

    The class flags describe the default model, whisper-1; `OpenAIModelInfo` says per model
    whether word timestamps and translation are available.
    """

    label = "OpenAI (cloud)"
    streams_segments = False

    def __init__(
        self,
        *,
        alias: str,
        api_key: str = "",
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        **options,
    ):
        super().__init__(alias=alias, **options)
        self.api_key = api_key
        self.base_url = base_url
        self.timeout = timeout
        self.max_retries = max_retries

    @cached_property
    def client(self) -> openai.OpenAI:
        return openai_client(
            api_key=self.api_key,
            base_url=self.base_url,
            timeout=self.timeout,
            max_retries=self.max_retries,
        )

    def configuration_problem(self) -> str | None:
        return None if self.api_key else "no API key (set OPENAI_API_KEY)"

    def models(self) -> list[ModelInfo]:
        return list(MODELS)

    def transcribe(self, request: TranscriptionRequest) -> Iterator[TranscriptionEvent]:
        info = self._check(request)
        duration = 0.0 if info.verbose else _duration(request)
        try:
            response = self._call(info, request)
        except openai.OpenAIError as exc:
            raise openai_error(exc) from exc
        if info.verbose:
            yield from _verbose_events(response, request)
        else:
            yield from _text_events(response.text, request, duration)

    def _check(self, request: TranscriptionRequest) -> OpenAIModelInfo:
        if not self.api_key:
            raise ProviderError("OpenAI has no API key configured.", kind=ErrorKind.AUTHENTICATION)
        info = self.resolve_model(request.model)
        if info is None:
            raise ProviderError(f"Unknown model {request.model!r}.", kind=ErrorKind.INVALID_INPUT)
        if request.task == "translate" and not info.translation:
            raise ProviderError(
                f"{info.name} cannot translate; use whisper-1.", kind=ErrorKind.INVALID_INPUT
            )
        if request.audio_path.stat().st_size > MAX_UPLOAD_BYTES:
            raise ProviderError(
                "OpenAI accepts files up to 25 MB; choose a local engine.",
                kind=ErrorKind.INVALID_INPUT,
            )
        return info

    def _call(self, info: OpenAIModelInfo, request: TranscriptionRequest):
        options = {"model": info.name, "temperature": request.temperature}
        if request.prompt:
            options["prompt"] = request.prompt
        if info.verbose:
            options["response_format"] = "verbose_json"
        with request.audio_path.open("rb") as audio:
            if request.task == "translate":
                # The source language is detected; translations take no language option.
                return self.client.audio.translations.create(file=audio, **options)
            if request.language:
                options["language"] = request.language
            if info.verbose:
                options["timestamp_granularities"] = _granularities(request)
            return self.client.audio.transcriptions.create(file=audio, **options)


def _granularities(request: TranscriptionRequest) -> list[str]:
    return ["word", "segment"] if request.word_timestamps else ["segment"]


def _duration(request: TranscriptionRequest) -> float:
    # The json format carries no duration, yet the single segment must span the file.
    try:
        return probe(request.audio_path).duration
    except InvalidMedia as exc:
        raise ProviderError(str(exc), kind=ErrorKind.INVALID_INPUT) from exc


def _language(reported: str | None, request: TranscriptionRequest) -> str:
    # A language the user named is the source language, which a translation does not report.
    # verbose_json names the language ("english"); the rest of the portal speaks ISO codes.
    return request.language or language_code(reported or "")


def _verbose_events(response, request: TranscriptionRequest) -> Iterator[TranscriptionEvent]:
    # The API gives no confidence for the language it reports; 1.0 marks it as its answer.
    yield LanguageDetected(_language(response.language, request), 1.0, float(response.duration))
    segments = response.segments or []
    # Translations have no words attribute at all.
    words = _words_by_segment(segments, getattr(response, "words", None) or [])
    for api_segment, segment_words in zip(segments, words, strict=True):
        if api_segment.end <= request.start_at:
            continue  # a resumed job already holds it
        yield _segment(api_segment, segment_words)
        if request.should_stop():
            return


def _text_events(
    text: str, request: TranscriptionRequest, duration: float
) -> Iterator[TranscriptionEvent]:
    # These models do not report the language: it is known only when the user named it.
    yield LanguageDetected(request.language or "", 1.0 if request.language else 0.0, duration)
    if text.strip() and duration > request.start_at:
        yield Segment(start=0.0, end=round(duration, 3), text=" " + text.strip())


def _words_by_segment(segments, words) -> list[list[Word]]:
    """Each word goes to the segment holding its midpoint, or the nearest one if it falls in a
    gap: the API returns words as one flat list beside the segments."""
    groups: list[list[Word]] = [[] for _ in segments]
    if not segments:
        return groups
    starts = [s.start for s in segments]
    for word in words:
        middle = (word.start + word.end) / 2
        index = max(0, bisect.bisect_right(starts, middle) - 1)
        following = index + 1
        if (
            following < len(segments)
            and middle > segments[index].end
            and starts[following] - middle < middle - segments[index].end
        ):
            index = following
        groups[index].append(Word(word.word, round(word.start, 3), round(word.end, 3)))
    return groups


def _segment(api_segment, words: list[Word]) -> Segment:
    return Segment(
        start=round(api_segment.start, 3),
        end=round(api_segment.end, 3),
        text=api_segment.text,
        words=tuple(words),
        avg_logprob=float(api_segment.avg_logprob),
        no_speech_prob=float(api_segment.no_speech_prob),
        compression_ratio=float(api_segment.compression_ratio),
        temperature=float(api_segment.temperature),
        tokens=tuple(api_segment.tokens),
    )
