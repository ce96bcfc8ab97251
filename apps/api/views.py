"""OpenAI-compatible endpoints (and ElevenLabs-compatible ones for music and sound effects):
the official SDKs work by changing their base_url."""

import json

from asgiref.sync import sync_to_async
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from apps.jobs.events import JobWatch
from apps.speech.models import Generation
from apps.speech.streaming import GrowingAudio, SynthesisFailed, audio_response, sse_response
from apps.transcripts import formats

from . import music, speech, transcription
from .auth import api_key_required, elevenlabs_key_required
from .errors import ApiError
from .transcription_models import transcription_model_names

MODEL_CREATED = 1700000000  # a fixed date: the SDK needs one, the models have none


@csrf_exempt
@require_POST
@api_key_required
async def transcriptions(request):
    return await _transcribe(request, task="transcribe")


@csrf_exempt
@require_POST
@api_key_required
async def translations(request):
    return await _transcribe(request, task="translate")


async def _transcribe(request, *, task: str):
    post = await sync_to_async(lambda: request.POST)()  # parses the upload to disk
    if getattr(request, "upload_too_large", False):
        raise ApiError(413, "The file is larger than the upload limit.", param="file")
    parsed = transcription.parse_request(post, task=task)
    transcript = await sync_to_async(transcription.create_job)(request, parsed)
    if parsed.stream:
        return _event_stream(transcript, parsed)
    transcript = await transcription.wait_for(transcript, keep=bool(parsed.webhook_url))
    transcription.raise_if_failed(transcript)
    if parsed.diarized:
        await transcription.wait_for_speakers(transcript)
    document = await transcription.document(transcript)
    if parsed.response_format == "json":
        body = await transcription.json_body(transcript, document, parsed)
        return JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    return _render(document, parsed)


def _render(document, parsed) -> HttpResponse:
    if parsed.response_format == "diarized_json":
        return JsonResponse(
            formats.to_diarized_json(document), json_dumps_params={"ensure_ascii": False}
        )
    if parsed.response_format == "verbose_json":
        body = formats.to_verbose_json(
            document,
            words="word" in parsed.granularities,
            segments="segment" in parsed.granularities or document.task == "translate",
        )
        if document.task == "translate":
            body.pop("words", None)
        return JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    content_type = "text/vtt" if parsed.response_format == "vtt" else "text/plain"
    return HttpResponse(
        formats.render(document, parsed.response_format),
        content_type=f"{content_type}; charset=utf-8",
    )


def _event_stream(transcript, parsed) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_events(transcript, parsed), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


async def _events(transcript, parsed):
    """transcript.text.delta per decoded segment; when diarized, transcript.text.segment per
    speaker segment once the speakers are known; then transcript.text.done (or an error).
    With logprobs, each delta carries its tokens' and the done event all of them."""
    sent, texts, logprobs = -1, [], []
    async with JobWatch(transcript) as watch:  # each segment is an update of the job
        while True:
            await transcript.arefresh_from_db()
            for segment in await transcription.new_segments(transcript, sent):
                sent = segment.index
                texts.append(segment.text)
                delta = {"type": "transcript.text.delta", "delta": segment.text}
                if parsed.logprobs:
                    delta["logprobs"] = segment.logprobs
                    logprobs += segment.logprobs
                yield _frame(delta)
            if transcript.is_finished:
                break
            await watch.changed(poll=transcription.POLL_SECONDS)
    if transcript.status == transcript.Status.DONE and parsed.diarized:
        try:
            await transcription.wait_for_speakers(transcript)
        except ApiError as exc:
            yield _frame(
                {"error": {"message": exc.message, "type": "server_error", "code": exc.code}}
            )
            return
        document = await transcription.document(transcript)
        for segment in formats.to_diarized_json(document)["segments"]:
            yield _frame(segment)
    if transcript.status == transcript.Status.DONE:
        text = "".join(texts).strip()
        # Token counts whatever the model: OpenAI streams only for the gpt-4o models, and the
        # SDK's done event knows no other kind of usage.
        done = {"type": "transcript.text.done", "text": text}
        if parsed.logprobs:
            done["logprobs"] = logprobs
        done["usage"] = transcription.token_usage(transcript.duration, text)
        yield _frame(done)
    else:
        message = transcript.error or "The transcription was cancelled."
        yield _frame(
            {
                "error": {
                    "message": message,
                    "type": "server_error",
                    "code": transcript.error_kind or None,
                }
            }
        )


def _frame(payload: dict) -> bytes:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n".encode()


@csrf_exempt
@require_POST
@api_key_required
async def speech_create(request):
    """Speech as it is synthesised: the headers go out with the first audio, so an error that
    comes before any audio (the engine refusing the request) is still a proper error reply."""
    parsed = speech.parse_request(request.body)
    generation = await sync_to_async(speech.create_generation)(request.api_key, parsed)
    audio = GrowingAudio(generation)
    try:
        first = await audio.next() or b""
    except SynthesisFailed as exc:
        raise ApiError.from_job(exc.message, exc.kind) from None
    if parsed.stream_format == "sse":

        async def usage():
            return speech.usage(await Generation.objects.aget(pk=generation.pk))

        response = sse_response(first, audio, usage=usage)
    else:
        response = audio_response(first, audio, content_type=generation.content_type)
    response["X-Generation-Id"] = str(generation.pk)
    return response


@require_GET
@api_key_required
async def models(request):
    return JsonResponse({"object": "list", "data": _model_list()})


@require_GET
@api_key_required
async def model_detail(request, model_id):
    for model in _model_list():
        if model["id"] == model_id:
            return JsonResponse(model)
    raise ApiError(
        404, f"The model {model_id!r} does not exist.", param="model", code="model_not_found"
    )


def _model_list() -> list[dict]:
    names = []
    for endpoint in ("transcriptions", "translations"):
        names += transcription_model_names(endpoint=endpoint)
    names += speech.model_names()
    unique = list(dict.fromkeys(names))
    return [
        {"id": n, "object": "model", "created": MODEL_CREATED, "owned_by": "voiceportal"}
        for n in unique
    ]


@csrf_exempt
@require_POST
@elevenlabs_key_required
async def music_compose(request):
    """ElevenLabs' `music.compose`: the track lands in the key owner's library."""
    parsed = music.parse_music(request.body, request.GET)
    track = await sync_to_async(music.create_music)(request.api_user, parsed)
    return await _track_audio(track, parsed.output)


@csrf_exempt
@require_POST
@elevenlabs_key_required
async def sound_generation(request):
    """ElevenLabs' `text_to_sound_effects.convert`."""
    parsed = music.parse_effect(request.body, request.GET)
    track = await sync_to_async(music.create_effect)(request.api_user, parsed)
    return await _track_audio(track, parsed.output)


async def _track_audio(track, output) -> HttpResponse:
    track = await music.wait_for(track)
    data = await sync_to_async(music.audio_bytes)(track, output)
    response = HttpResponse(data, content_type=output.content_type)
    response["X-Track-Id"] = str(track.pk)
    return response
