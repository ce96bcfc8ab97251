"""Which stock voices a custom voice may be matched to: those of the samples' language (found by
transcribing a sample), and the one the owner chose among them."""

import logging
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from apps.engines.errors import ErrorKind, ProviderError
from apps.engines.stt import stt_backends
from apps.engines.stt.base import LanguageDetected, TranscriptionRequest
from apps.engines.tts import tts_backends
from apps.engines.voice.match import Candidate, VoiceMatch
from apps.jobs.models import JobStatus
from apps.jobs.services import job_enqueue

from ..models import CustomVoice

logger = logging.getLogger(__name__)


def match_candidates(*, language: str = "") -> list[Candidate]:
    """The stock voices to match against (settings.VOICEPORTAL_MATCH_CANDIDATES), and where
    none of them speaks `language`, the fallback engine's voices native to it
    (settings.VOICEPORTAL_MATCH_FALLBACK: eSpeak speaks 100+ languages)."""
    candidates = []
    for entry in settings.VOICEPORTAL_MATCH_CANDIDATES:
        engine, _, voice_id = entry.partition(":")
        if engine not in tts_backends:
            continue
        backend = tts_backends[engine]
        for voice in backend.voices():
            if not voice_id or voice.id == voice_id:
                candidates.append((backend, voice))
    if language and not any(v.speaks(language) for _, v in candidates):
        candidates += _fallback_candidates(language)
    if not candidates:
        raise ProviderError(
            "No stock voices are configured to match custom voices against "
            "(VOICEPORTAL_MATCH_CANDIDATES).",
            kind=ErrorKind.INTERNAL,
            permanent=True,
        )
    return candidates


def _fallback_candidates(language: str) -> list[Candidate]:
    engine = settings.VOICEPORTAL_MATCH_FALLBACK
    if not engine or engine not in tts_backends:
        return []
    backend = tts_backends[engine]
    # Variants ("en-us+f3") only recolour a language's voice; its plain voice stands for them.
    return [(backend, v) for v in backend.voices() if "+" not in v.id and v.is_native(language)]


def sample_language(path: Path) -> str:
    """The language spoken in the recording at `path` (ISO 639-1), from the default
    speech-to-text engine's detection with a multilingual model; "" when it cannot tell.
    A local engine is preferred: the samples are not sent anywhere for this."""
    local = [a for a in stt_backends.aliases() if stt_backends[a].runs_locally]
    default = stt_backends.default_alias
    backend = stt_backends[default if default in local or not local else local[0]]
    model = next((m for m in backend.models() if m.multilingual), None)
    if backend.models() and model is None:
        logger.info("No multilingual model on %s: the samples' language is unknown", backend.alias)
        return ""
    request = TranscriptionRequest(
        audio_path=path, model=model.name if model else "", language=None, word_timestamps=False
    )
    events = backend.transcribe(request)
    try:
        # The detection comes before the first segment: nothing is decoded.
        for event in events:
            if isinstance(event, LanguageDetected):
                return event.language.split("-")[0].lower()
    except ProviderError as exc:
        logger.warning("Could not tell the samples' language: %s", exc.message)
    finally:
        close = getattr(events, "close", None)
        if close:
            close()
    return ""


def voice_rebase(*, voice: CustomVoice, engine: str, voice_id: str) -> None:
    """Make the voice again from another of its candidate stock voices (the owner's choice).

    Raises ValidationError when the voice is not ready or the choice is not a candidate."""
    match = VoiceMatch.from_dict(voice.match) if voice.match else None
    if voice.status != JobStatus.DONE or match is None:
        raise ValidationError("Another stock voice can be chosen once the voice is made.")
    if not any((c[0], c[1]) == (engine, voice_id) for c in match.candidates):
        raise ValidationError("Choose one of the voices listed.")
    with transaction.atomic():
        updated = CustomVoice.objects.filter(pk=voice.pk, status=JobStatus.DONE).update(
            base_voice=f"{engine}:{voice_id}",
            status=JobStatus.QUEUED,
            error="",
            stage="",
            finished_at=None,
            progress_done=0.0,
        )
        if updated:
            job_enqueue(voice)
    voice.refresh_from_db()


def chosen_base(voice: CustomVoice) -> tuple[str, str] | None:
    """The (engine, voice id) the owner chose to start from, if any."""
    engine, _, voice_id = voice.base_voice.partition(":")
    return (engine, voice_id) if engine and voice_id else None
