"""Reading an OpenAI transcription request and waiting for its job (and its speakers)."""

import asyncio
import base64
import binascii
import re
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.core.exceptions import ValidationError

from apps.analysis.models import AnalysisRun
from apps.analysis.options import MAX_SPEAKERS, AnalysisOptions, KnownSpeaker
from apps.engines.stt import stt_backends
from apps.transcripts import selectors, services
from apps.transcripts.formats import JSON_FORMATS, TEXT_FORMATS
from apps.transcripts.models import Segment, Transcript
from apps.transcripts.options import TranscriptionOptions, options_validate

from .errors import ApiError

RESPONSE_FORMATS = JSON_FORMATS | TEXT_FORMATS
POLL_SECONDS = 0.2
# OpenAI's diarizing model: here, the default local model followed by the speakers analysis.
DIARIZE_MODEL = "gpt-4o-transcribe-diarize"
CHUNKING_STRATEGIES = {"auto", "server_vad"}  # accepted; the local engine cuts audio its own way
MAX_REFERENCE_BYTES = 8 * 1024 * 1024
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

    @property
    def diarized(self) -> bool:
        return self.analysis is not None


def parse_request(post, *, task: str) -> ApiTranscriptionRequest:
    model = post.get("model", "").strip()
    if not model:
        raise ApiError(400, "You must provide a model parameter.", param="model")
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
    try:
        temperature = float(post.get("temperature") or 0.0)
    except ValueError:
        raise ApiError(400, "temperature must be a number.", param="temperature") from None
    try:
        options = options_validate(
            engine=stt_backends.default_alias,
            model="" if model == DIARIZE_MODEL else model,
            language="" if task == "translate" else post.get("language", ""),
            task=task,
            prompt=post.get("prompt", ""),
            temperature=temperature,
        )
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise ApiError(400, " ".join(messages), param=field) from None
    _check_chunking_strategy(post)
    diarized = response_format == "diarized_json" or model == DIARIZE_MODEL
    return ApiTranscriptionRequest(
        options,
        response_format,
        granularities,
        post.get("stream", "").lower() == "true",
        AnalysisOptions(("speakers",), known_speakers=_known_speakers(post)) if diarized else None,
    )


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
    try:
        return services.transcript_create(
            owner=request.api_user,
            upload=upload,
            options=parsed.options,
            title="",
            source=Transcript.Source.API,
            analyses=parsed.analysis,
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


document = sync_to_async(selectors.transcript_document)
