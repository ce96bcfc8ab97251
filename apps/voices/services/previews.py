"""Preview clips: synthesised once in a worker (queue "speech"), then served as files."""

import logging

from django.core.files.base import ContentFile

from apps.engines.tts import tts_backends
from apps.engines.tts.base import SpeechRequest
from apps.engines.tts.encode import encode_stream
from apps.jobs.runner import JobRun
from apps.jobs.services import job_enqueue, job_retry

from ..models import CustomVoice, VoicePreview
from ..selectors import ResolvedVoice, voice_resolve_trusted
from .synthesis import voice_synthesize_pcm

logger = logging.getLogger(__name__)
Status = VoicePreview.Status

PREVIEW_FORMAT = "mp3"
CUSTOM_PREVIEW_TEXT = (
    "Hello! This is {name}. The train was late again this morning, so we talked about the weather."
)


def preview_request(*, voice: ResolvedVoice) -> VoicePreview:
    """The voice's preview, queued for synthesis unless it is ready or on its way (a failed one
    is tried again). The caller has resolved `voice` for the user, which checks access."""
    preview, created = VoicePreview.objects.get_or_create(
        key=voice.id,
        defaults={"custom_voice_id": voice.custom_voice_id, "owner_id": _owner_id(voice)},
    )
    if created:
        job_enqueue(preview)
        preview.refresh_from_db()  # made already where jobs run inline
    elif preview.status == Status.FAILED:
        job_retry(job=preview)
    return preview


def _owner_id(voice: ResolvedVoice) -> int | None:
    """A custom voice's owner; stock voices' previews belong to no one (everyone hears them)."""
    if voice.custom_voice_id is None:
        return None
    return CustomVoice.objects.filter(pk=voice.custom_voice_id).values_list("owner_id", flat=True)[
        0
    ]


def preview_refresh(*, voice: CustomVoice) -> None:
    """A custom voice changed (made again, or cloned): its old preview goes, a new one comes."""
    for old in VoicePreview.objects.filter(custom_voice=voice):
        old.file.delete(save=False)
        old.delete()
    preview = VoicePreview.objects.create(
        key=voice.public_id, custom_voice=voice, owner_id=voice.owner_id
    )
    job_enqueue(preview)


def preview_execute(*, preview: VoicePreview, run: JobRun) -> None:
    """Synthesise and store the clip (in a worker, through the job runner)."""
    voice = voice_resolve_trusted(voice_id=preview.key)
    text = _preview_text(voice)
    chunks = voice_synthesize_pcm(voice=voice, request=SpeechRequest(text, format="pcm"))
    audio = b"".join(encode_stream(chunks, PREVIEW_FORMAT))
    preview.file.save(f"preview.{PREVIEW_FORMAT}", ContentFile(audio), save=False)
    run.update(file=preview.file.name, text=text)  # JobGone (and the file removed) if deleted


def _preview_text(voice: ResolvedVoice) -> str:
    if voice.custom_voice_id is not None:
        return CUSTOM_PREVIEW_TEXT.format(name=voice.name)
    info = tts_backends[voice.engine].resolve_voice(voice.engine_voice)
    return (info.preview_text if info else "") or f"Hello, this is {voice.name}."
