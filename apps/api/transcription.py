"""Reading an OpenAI transcription request and waiting for its job (and its speakers)."""

import asyncio
import base64
import binascii
import re
from contextlib import nullcontext
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.core.exceptions import ValidationError
from django.db import transaction

from apps.analysis.models import AnalysisRun
from apps.analysis.options import MAX_SPEAKERS, AnalysisOptions, KnownSpeaker
from apps.jobs.events import JobWatch
from apps.jobs.quotas import QuotaExceeded
from apps.transcripts import formats, selectors, services
from apps.transcripts.formats import JSON_FORMATS, TEXT_FORMATS
from apps.transcripts.models import Segment, Transcript
from apps.transcripts.options import TranscriptionOptions, options_validate
from apps.webhooks.services import subscription_create, webhook_url_validate

from .errors import ApiError
from .services import api_key_add_usage
from .transcription_models import TranscriptionModel, transcription_model_resolve

RESPONSE_FORMATS = JSON_FORMATS | TEXT_FORMATS
INCLUDES = {"logprobs"}
POLL_SECONDS = 0.2
AUDIO_TOKENS_PER_SECOND = 10
CHUNKING_STRATEGIES = {"auto", "server_vad"}  # accepted; the local engine cuts audio its own way
MAX_REFERENCE_BYTES = 8 * 1024 * 1024
# Transcription options by the request field that sets them.
_PARAMS = {"logprobs": "include"}
_DATA_URL = re.compile(
    r"data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?P<params>(;[^,;]*)*?);base64,(?P<data>.*)", re.S
)
_SUFFIXES = {
    "audio/wav": ".wav", "audio/x-wav": ".wav", "audio/wave": ".wav", "audio/mpeg": ".mp3",
    "audio/mp3": ".mp3", "audio/flac": ".flac", "audio/x-flac": ".flac", "audio/ogg": ".ogg",
    "audio/webm": ".webm", "audio/mp4": ".m4a", "audio/m4a": ".m4a", "audio/aac": ".aac",
}  # fmt: skip


@dataclass(frozen=True)
class ApiTranscriptionRequest:
    options: TranscriptionOptions
    response_format: str
    granularities: frozenset[str]
    stream: bool
    analysis: AnalysisOptions | None = None  # speakers, for diarized_json or the diarize model
    usage: str = "duration"  # how OpenAI reports usage for the model asked for
    webhook_url: str = ""  # our extension: told (signed) when the job ends

    @property
    def diarized(self) -> bool:
        return self.analysis is not None

    @property
    def logprobs(self) -> bool:
        return self.options.logprobs


def parse_request(post, *, task: str) -> ApiTranscriptionRequest:
    model = _model(post, task=task)
    response_format = post.get("response_format", "json") or "json"
    if response_format == "diarized_json" and task == "translate":
        raise ApiError(400, "Translations have no diarized_json.", param="response_format")
    if response_format not in RESPONSE_FORMATS:
        raise ApiError(
            400,
            f"Unsupported response_format {response_format!r}; use one of "
            f"{', '.join(sorted(RESPONSE_FORMATS))}.",
            param="response_format",
        )
    granularities = frozenset(post.getlist("timestamp_granularities[]")) or frozenset({"segment"})
    if not granularities <= {"word", "segment"}:
        raise ApiError(
            400,
            "timestamp_granularities[] takes 'word' and 'segment'.",
            param="timestamp_granularities",
        )
    diarized = response_format == "diarized_json" or model.speakers
    options = _options(
        post, task=task, model=model, logprobs=_logprobs(post, response_format, diarized)
    )
    _check_chunking_strategy(post)
    return ApiTranscriptionRequest(
        options,
        response_format,
        granularities,
        post.get("stream", "").lower() == "true",
        AnalysisOptions(("speakers",), known_speakers=_known_speakers(post)) if diarized else None,
        usage=model.usage,
        webhook_url=post.get("webhook_url", "").strip(),
    )


def _model(post, *, task: str) -> TranscriptionModel:
    name = post.get("model", "").strip()
    if not name:
        raise ApiError(400, "You must provide a model parameter.", param="model")
    endpoint = "translations" if task == "translate" else "transcriptions"
    try:
        return transcription_model_resolve(name, endpoint=endpoint)
    except ValidationError as exc:
        raise ApiError(400, " ".join(exc.messages), param="model", code="model_not_found") from None


def _options(post, *, task: str, model: TranscriptionModel, logprobs: bool) -> TranscriptionOptions:
    try:
        temperature = float(post.get("temperature") or 0.0)
    except ValueError:
        raise ApiError(400, "temperature must be a number.", param="temperature") from None
    try:
        return options_validate(
            engine=model.engine,
            model=model.model,
            language="" if task == "translate" else post.get("language", ""),
            task=task,
            prompt=post.get("prompt", ""),
            temperature=temperature,
            logprobs=logprobs,
        )
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise ApiError(400, " ".join(messages), param=_PARAMS.get(field, field)) from None


def _logprobs(post, response_format: str, diarized: bool) -> bool:
    """Whether include[] asks for logprobs, where OpenAI gives them: json, without speakers."""
    include = set(post.getlist("include[]"))
    if not include <= INCLUDES:
        raise ApiError(400, "include[] takes only 'logprobs'.", param="include")
    if "logprobs" in include and (response_format != "json" or diarized):
        raise ApiError(
            400,
            "logprobs come only with response_format json, and not with diarization.",
            param="include",
        )
    return "logprobs" in include


def _check_chunking_strategy(post) -> None:
    strategy = post.get("chunking_strategy") or post.get("chunking_strategy[type]")
    if strategy and strategy not in CHUNKING_STRATEGIES:
        raise ApiError(
            400,
            "chunking_strategy must be 'auto' or an object of type 'server_vad'.",
            param="chunking_strategy",
        )


def _known_speakers(post) -> tuple[KnownSpeaker, ...]:
    """known_speaker_names[] with known_speaker_references[] (data URLs of short clips)."""
    names = [n.strip() for n in post.getlist("known_speaker_names[]")]
    references = post.getlist("known_speaker_references[]")
    if len(names) != len(references):
        raise ApiError(
            400,
            "known_speaker_names[] and known_speaker_references[] must have as many entries.",
            param="known_speaker_references",
        )
    if len(names) > MAX_SPEAKERS:
        raise ApiError(400, f"At most {MAX_SPEAKERS} known speakers.", param="known_speaker_names")
    if not all(names) or len(set(names)) != len(names):
        raise ApiError(
            400, "Known speaker names must be distinct and not empty.", param="known_speaker_names"
        )
    return tuple(_known_speaker(n, r) for n, r in zip(names, references, strict=True))


def _known_speaker(name: str, reference: str) -> KnownSpeaker:
    match = _DATA_URL.fullmatch(reference.strip())
    if match is None:
        raise ApiError(
            400,
            "Each known speaker reference must be a base64 data URL (data:audio/wav;base64,…).",
            param="known_speaker_references",
        )
    if len(match["data"]) > MAX_REFERENCE_BYTES * 4 / 3:
        raise ApiError(
            400, "A known speaker reference is too large.", param="known_speaker_references"
        )
    try:
        data = base64.b64decode(match["data"], validate=False)
    except (binascii.Error, ValueError):
        raise ApiError(
            400, "A known speaker reference is not valid base64.", param="known_speaker_references"
        ) from None
    suffix = _SUFFIXES.get((match["mime"] or "").lower(), ".wav")
    return KnownSpeaker(name=name[:100], data=data, suffix=suffix)


def create_job(request, parsed: ApiTranscriptionRequest) -> Transcript:
    upload = request.FILES.get("file")
    if upload is None:
        raise ApiError(400, "You must provide a file.", param="file")
    if parsed.webhook_url:
        try:
            webhook_url_validate(parsed.webhook_url)  # resolves the host: not on the event loop
        except ValidationError as exc:
            raise ApiError(400, " ".join(exc.messages), param="webhook_url") from None
    # With a webhook, one transaction: the job is queued when it commits, after its webhook is
    # known. (Without, none: the upload is copied in there, and a lock held so long would
    # stall the workers.)
    with transaction.atomic() if parsed.webhook_url else nullcontext():
        try:
            transcript = services.transcript_create(
                owner=request.api_user,
                upload=upload,
                options=parsed.options,
                title="",
                source=Transcript.Source.API,
                analyses=parsed.analysis,
            )
        except ValidationError as exc:
            raise ApiError(400, " ".join(exc.messages), param="file", code="invalid_file") from None
        except QuotaExceeded as exc:
            # Waiting a few seconds will not help: the SDK is told not to retry.
            raise ApiError(exc.status, exc.message, code="quota_exceeded", retry=False) from None
        if parsed.webhook_url:
            subscription_create(owner=request.api_user, job=transcript, url=parsed.webhook_url)
    api_key_add_usage(key=request.api_key, audio_seconds=transcript.duration)
    return transcript


async def wait_for(transcript: Transcript, *, keep: bool = False) -> Transcript:
    """Wait until the worker has finished the job (told through the channel layer, or by
    polling); a client that goes away cancels it, unless `keep` (it gave a webhook_url, which
    will be told)."""
    try:
        async with JobWatch(transcript) as watch:
            while True:
                await transcript.arefresh_from_db()
                if transcript.is_finished:
                    return transcript
                await watch.changed(poll=POLL_SECONDS)
    except asyncio.CancelledError:
        if not keep:
            await sync_to_async(services.transcript_cancel)(transcript=transcript)
        raise


async def wait_for_speakers(transcript: Transcript) -> None:
    """Poll until the speakers analysis has ended; raise its error if it failed."""
    while True:
        run = await AnalysisRun.objects.filter(
            transcript=transcript, kind=AnalysisRun.Kind.SPEAKERS
        ).afirst()
        if run is None or not run.is_active:
            break
        await asyncio.sleep(POLL_SECONDS)
    if run is not None and run.status == AnalysisRun.Status.FAILED:
        raise ApiError.from_job(f"Diarization failed: {run.error}", run.error_kind)


def raise_if_failed(transcript: Transcript) -> None:
    if transcript.status == Transcript.Status.FAILED:
        raise ApiError.from_job(transcript.error, transcript.error_kind)
    if transcript.status == Transcript.Status.CANCELLED:
        raise ApiError(500, "The transcription was cancelled.")


async def new_segments(transcript: Transcript, after: int) -> list[Segment]:
    return [
        s
        async for s in Segment.objects.filter(transcript=transcript, index__gt=after).order_by(
            "index"
        )
    ]


async def json_body(transcript: Transcript, document, parsed: ApiTranscriptionRequest) -> dict:
    """OpenAI's `json` response: the text, usage as OpenAI reports it for the model asked for,
    and each token's log probability when asked."""
    body = formats.to_json(document)
    if parsed.usage == "tokens":
        body["usage"] = token_usage(document.duration, document.text)
    if parsed.logprobs:
        body["logprobs"] = await logprobs(transcript)
    return body


async def logprobs(transcript: Transcript) -> list[dict]:
    """Every token's log probability, in order, in OpenAI's shape."""
    rows = (
        Segment.objects.filter(transcript=transcript)
        .order_by("index")
        .values_list("logprobs", flat=True)
    )
    return [token async for row in rows for token in row]


def token_usage(duration: float, text: str) -> dict:
    """Usage in tokens, as OpenAI reports it for its gpt-4o models. The local decoder has no such
    count, so it is estimated: 10 audio tokens a second, ~4 characters a text token."""
    audio_tokens = round(duration * AUDIO_TOKENS_PER_SECOND)
    text_tokens = round(len(text) / 4)
    return {
        "type": "tokens",
        "input_tokens": audio_tokens,
        "output_tokens": text_tokens,
        "total_tokens": audio_tokens + text_tokens,
        "input_token_details": {"text_tokens": 0, "audio_tokens": audio_tokens},
    }


document = sync_to_async(selectors.transcript_document)
