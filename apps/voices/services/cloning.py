"""The cloud clone of a custom voice, where a VOICE_CLONING backend is configured: made after
the samples pass their checks, deleted at the provider with the voice."""

import logging

from apps.core.storage import local_copies
from apps.engines.cloning import cloning_backends
from apps.engines.cloning.base import VoiceCloneRequest
from apps.engines.errors import ErrorKind, ProviderError
from apps.jobs.runner import JobGone, JobRun
from apps.jobs.services import job_enqueue, job_retry

from ..models import CustomVoice, VoiceClone

logger = logging.getLogger(__name__)


def cloning_alias() -> str:
    """The VOICE_CLONING alias new clones go to; empty when cloning is not configured."""
    return cloning_backends.default_alias if cloning_backends.aliases() else ""


def clone_start(*, voice: CustomVoice) -> bool:
    """Queue the clone when cloning is configured and the voice has none (or it failed)."""
    alias = cloning_alias()
    if not alias or voice.cloud_voice_id:
        return False
    CustomVoice.objects.filter(pk=voice.pk).update(
        cloud_engine=alias, cloud_tts_engine=cloning_backends[alias].tts_engine
    )
    clone, created = VoiceClone.objects.get_or_create(
        voice=voice, defaults={"owner_id": voice.owner_id, "engine": alias}
    )
    if not created:
        VoiceClone.objects.filter(pk=clone.pk).update(engine=alias)
        return job_retry(job=clone)
    job_enqueue(clone)
    return True


def clone_execute(*, clone: VoiceClone, run: JobRun) -> None:
    """Upload the samples to the provider (in a worker, through the job runner)."""
    voice = clone.voice
    backend = cloning_backends[clone.engine]
    with local_copies(s.file for s in voice.samples.all()) as paths:
        request = VoiceCloneRequest(
            name=voice.name,
            sample_paths=tuple(paths),
            description=voice.description,
            labels={"voiceportal_voice": voice.public_id},
        )
        cloned = backend.create(request)
    updated = CustomVoice.objects.filter(pk=voice.pk).update(
        cloud_engine=clone.engine,
        cloud_tts_engine=backend.tts_engine,
        cloud_voice_id=cloned.provider_voice_id,
        cloud_requires_verification=cloned.requires_verification,
    )
    if not updated:  # the voice was deleted while it was being cloned: no orphan at the provider
        logger.info("Voice %s was deleted while cloning; deleting the clone", voice.pk)
        backend.delete(cloned.provider_voice_id)
        raise JobGone


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
    if voice.cloud_status != VoiceClone.Status.FAILED:
        return False
    return clone_start(voice=voice)
