"""The cloud clone of a custom voice, where a VOICE_CLONING backend is configured: made after
the samples pass their checks, deleted at the provider with the voice."""

import logging
from pathlib import Path

from django.db import transaction

from apps.engines.cloning import cloning_backends
from apps.engines.cloning.base import VoiceCloneRequest
from apps.engines.errors import ErrorKind, ProviderError

from ..models import CustomVoice
from . import previews

logger = logging.getLogger(__name__)
CloudStatus = CustomVoice.CloudStatus


def cloning_alias() -> str:
    """The VOICE_CLONING alias new clones go to; empty when cloning is not configured."""
    return cloning_backends.default_alias if cloning_backends.aliases() else ""


def clone_start(*, voice: CustomVoice) -> bool:
    """Queue the clone when cloning is configured and the voice has none (or it failed)."""
    alias = cloning_alias()
    if not alias or voice.cloud_voice_id:
        return False
    updated = CustomVoice.objects.filter(
        pk=voice.pk, cloud_status__in=[CloudStatus.NONE, CloudStatus.FAILED]
    ).update(
        cloud_status=CloudStatus.QUEUED,
        cloud_engine=alias,
        cloud_tts_engine=cloning_backends[alias].tts_engine,
        cloud_error="",
    )
    if updated:
        from ..tasks import voice_clone_job  # tasks import services

        transaction.on_commit(lambda: voice_clone_job.enqueue(str(voice.pk)))
    return bool(updated)


def clone_run(*, voice_id: str) -> None:
    """Upload the samples to the provider (in a worker). Safe to call twice."""
    if not CustomVoice.objects.filter(pk=voice_id, cloud_status=CloudStatus.QUEUED).update(
        cloud_status=CloudStatus.RUNNING
    ):
        return
    voice = CustomVoice.objects.get(pk=voice_id)
    backend = cloning_backends[voice.cloud_engine]
    request = VoiceCloneRequest(
        name=voice.name,
        sample_paths=tuple(Path(s.file.path) for s in voice.samples.all()),
        description=voice.description,
        labels={"voiceportal_voice": voice.public_id},
    )
    try:
        cloned = backend.create(request)
    except ProviderError as exc:
        CustomVoice.objects.filter(pk=voice_id).update(
            cloud_status=CloudStatus.FAILED, cloud_error=exc.message
        )
        return
    updated = CustomVoice.objects.filter(pk=voice_id).update(
        cloud_status=CloudStatus.DONE,
        cloud_voice_id=cloned.provider_voice_id,
        cloud_requires_verification=cloned.requires_verification,
    )
    if not updated:  # the voice was deleted while it was being cloned: no orphan at the provider
        logger.info("Voice %s was deleted while cloning; deleting the clone", voice_id)
        backend.delete(cloned.provider_voice_id)
        return
    voice.refresh_from_db()
    previews.preview_refresh(voice=voice)


def clone_delete(*, voice: CustomVoice) -> None:
    """Delete the clone at the provider; ProviderError when it cannot be done now."""
    if voice.cloud_engine not in cloning_backends:
        raise ProviderError(
            f"The cloning engine {voice.cloud_engine!r} is not configured any more, so the clone "
            f"{voice.cloud_voice_id!r} cannot be deleted there from here.",
            kind=ErrorKind.INVALID_INPUT,
        )
    cloning_backends[voice.cloud_engine].delete(voice.cloud_voice_id)


def clone_retry(*, voice: CustomVoice) -> bool:
    """Try a failed clone again."""
    if voice.cloud_status != CloudStatus.FAILED:
        return False
    return clone_start(voice=voice)
