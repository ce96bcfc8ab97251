"""Reading an OpenAI transcription request and waiting for its job."""

import asyncio
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.core.exceptions import ValidationError

from apps.engines.stt import stt_backends
from apps.transcripts import selectors, services
from apps.transcripts.formats import JSON_FORMATS, TEXT_FORMATS
from apps.transcripts.models import Segment, Transcript
from apps.transcripts.options import TranscriptionOptions, options_validate

from .errors import ApiError

RESPONSE_FORMATS = JSON_FORMATS | TEXT_FORMATS
POLL_SECONDS = 0.2


@dataclass(frozen=True)
class ApiTranscriptionRequest:
    options: TranscriptionOptions
    response_format: str
    granularities: frozenset[str]
    stream: bool


def parse_request(post, *, task: str) -> ApiTranscriptionRequest:
    model = post.get("model", "").strip()
    if not model:
        raise ApiError(400, "You must provide a model parameter.", param="model")
    response_format = post.get("response_format", "json") or "json"
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
    try:
        temperature = float(post.get("temperature") or 0.0)
    except ValueError:
        raise ApiError(400, "temperature must be a number.", param="temperature") from None
    try:
        options = options_validate(
            engine=stt_backends.default_alias,
            model=model,
            language="" if task == "translate" else post.get("language", ""),
            task=task,
            prompt=post.get("prompt", ""),
            temperature=temperature,
        )
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise ApiError(400, " ".join(messages), param=field) from None
    return ApiTranscriptionRequest(
        options, response_format, granularities, post.get("stream", "").lower() == "true"
    )


def create_job(request, parsed: ApiTranscriptionRequest) -> Transcript:
    upload = request.FILES.get("file")
    if upload is None:
        raise ApiError(400, "You must provide a file.", param="file")
    try:
        return services.transcript_create(
            owner=request.api_user,
            upload=upload,
            options=parsed.options,
            title="",
            source=Transcript.Source.API,
        )
    except ValidationError as exc:
        raise ApiError(400, " ".join(exc.messages), param="file", code="invalid_file") from None


async def wait_for(transcript: Transcript) -> Transcript:
    """Poll until the worker has finished the job; a client that goes away cancels it."""
    try:
        while True:
            await transcript.arefresh_from_db()
            if transcript.is_finished:
                return transcript
            await asyncio.sleep(POLL_SECONDS)
    except asyncio.CancelledError:
        await sync_to_async(services.transcript_cancel)(transcript=transcript)
        raise


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


document = sync_to_async(selectors.transcript_document)
