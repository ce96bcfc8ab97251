"""Preview clips: synthesised once in a worker (queue "speech"), then served as files."""

import logging
from datetime import timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.engines.errors import ProviderError
from apps.engines.tts import tts_backends
from apps.engines.tts.base import SpeechRequest
from apps.engines.tts.encode import encode_stream

from ..models import CustomVoice, VoicePreview
from ..selectors import ResolvedVoice, voice_resolve_trusted
from .synthesis import voice_synthesize_pcm

logger = logging.getLogger(__name__)
Status = VoicePreview.Status

PREVIEW_FORMAT = "mp3"
# A preview still queued or running after this long is taken as lost (its worker died).
LOST_AFTER = timedelta(minutes=5)
CUSTOM_PREVIEW_TEXT = (
    "Hello! This is {name}. The train was late again this morning, so we talked about the weather."
)


def preview_request(*, voice: ResolvedVoice) -> VoicePreview:
    """The voice's preview, queued for synthesis unless it is ready or on its way (a failed one
    is tried again). The caller has resolved `voice` for the user, which checks access."""
    preview, created = VoicePreview.objects.get_or_create(
        key=voice.id, defaults={"custom_voice_id": voice.custom_voice_id}
    )
    now = timezone.now()
    lost = Q(status__in=[Status.QUEUED, Status.RUNNING], requested_at__lt=now - LOST_AFTER)
    if created or VoicePreview.objects.filter(Q(status=Status.FAILED) | lost, pk=preview.pk).update(
        status=Status.QUEUED, error="", requested_at=now
    ):
        _enqueue(preview.key)
        preview.refresh_from_db()
    return preview


def preview_refresh(*, voice: CustomVoice) -> None:
    """A custom voice changed (made again, or cloned): its old preview goes, a new one comes."""
    for old in VoicePreview.objects.filter(custom_voice=voice):
        old.file.delete(save=False)
        old.delete()
    VoicePreview.objects.create(key=voice.public_id, custom_voice=voice)
    _enqueue(voice.public_id)


def _enqueue(key: str) -> None:
    from ..tasks import voice_preview_job  # tasks import services

    transaction.on_commit(lambda: voice_preview_job.enqueue(key))


def preview_run(*, key: str) -> None:
    """Synthesise and store the clip (in a worker). Safe to call twice."""
    if not VoicePreview.objects.filter(key=key, status=Status.QUEUED).update(status=Status.RUNNING):
        return
    preview = VoicePreview.objects.get(key=key)
    try:
        voice = voice_resolve_trusted(voice_id=key)
        text = _preview_text(voice)
        chunks = voice_synthesize_pcm(voice=voice, request=SpeechRequest(text, format="pcm"))
        audio = b"".join(encode_stream(chunks, PREVIEW_FORMAT))
    except ProviderError as exc:
        VoicePreview.objects.filter(pk=preview.pk).update(
            status=Status.FAILED, error=exc.message, finished_at=timezone.now()
        )
        return
    except Exception:
        logger.exception("The preview of %s failed", key)
        VoicePreview.objects.filter(pk=preview.pk).update(
            status=Status.FAILED, error="An internal error.", finished_at=timezone.now()
        )
        return
    preview.file.save(f"preview.{PREVIEW_FORMAT}", ContentFile(audio), save=False)
    if not VoicePreview.objects.filter(pk=preview.pk).update(
        status=Status.READY, file=preview.file.name, text=text, finished_at=timezone.now()
    ):
        preview.file.delete(save=False)  # deleted meanwhile (its voice was deleted)


def _preview_text(voice: ResolvedVoice) -> str:
    if voice.custom_voice_id is not None:
        return CUSTOM_PREVIEW_TEXT.format(name=voice.name)
    info = tts_backends[voice.engine].resolve_voice(voice.engine_voice)
    return (info.preview_text if info else "") or f"Hello, this is {voice.name}."
