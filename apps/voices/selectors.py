"""Reads for voices: what a user may speak with, and resolving a voice id to how it is spoken.

Voice ids: stock voices are "<engine>:<voice>" ("piper:joe", "kokoro:jf_alpha", "espeak:de");
custom voices are "voice_<32 hex>" (the voice's uuid), like OpenAI's custom voice ids. Another
user's private voice is treated exactly like an id that does not exist.
"""

import logging
import uuid
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse

from apps.engines.errors import ErrorKind, ProviderError
from apps.engines.tts import tts_backends
from apps.engines.tts.base import VoiceInfo
from apps.engines.voice.match import VoiceMatch

from .models import CUSTOM_PREFIX, CustomVoice, Pronunciation, VoiceClone, VoicePreview

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class VoiceOption:
    """A voice the user may choose, for pickers and the library."""

    id: str
    name: str
    engine: str  # TEXT_TO_SPEECH alias that speaks it
    languages: tuple[str, ...] = ()
    gender: str = ""
    style: str = ""
    description: str = ""
    kind: str = "stock"  # "stock" | "custom" (the user's own) | "shared" (shared with the user)
    preview_url: str | None = None  # the cached preview clip, once one has been made


@dataclass(frozen=True)
class ResolvedVoice:
    """How to speak with a voice; what `services.voice_synthesize_pcm` takes."""

    id: str
    name: str
    engine: str  # TEXT_TO_SPEECH alias that speaks it
    engine_voice: str  # that engine's voice id
    match: VoiceMatch | None = None  # a custom voice's local voice match
    custom_voice_id: uuid.UUID | None = None
    cloud_voice_id: str | None = None  # the provider's id, when the voice was cloned there
    # "stock", "match" (a stock voice reshaped by `match`) or "clone" (the cloud clone speaks).
    method: str = "stock"


# --- Options -----------------------------------------------------------------------------------


def voice_options(*, user: User) -> list[VoiceOption]:
    """Every voice `user` may use: stock voices of every configured engine, then the user's
    usable custom voices, then voices shared with the user."""
    previews = _ready_previews()
    options = [_stock_option(v, previews) for v in stock_voices()]
    for voice in usable_custom_voices(user=user):
        options.append(_custom_option(voice, user=user, previews=previews))
    return options


def stock_voices() -> list[VoiceInfo]:
    """The stock voices of every configured engine. Voices cloned for users are left out (a
    cloud account lists them with its own), and an engine that cannot list its voices now is
    skipped rather than breaking every page that offers voices."""
    cloned = _cloned_voice_ids()
    voices = []
    for alias in tts_backends.aliases():
        try:
            listed = tts_backends[alias].voices()
        except ProviderError as exc:
            logger.warning("Could not list the voices of %s: %s", alias, exc)
            continue
        voices.extend(v for v in listed if (alias, v.id) not in cloned)
    return voices


def usable_custom_voices(*, user: User) -> list[CustomVoice]:
    """The user's own and shared custom voices that can speak now."""
    voices = CustomVoice.objects.filter(Q(owner=user) | Q(shares__user=user)).distinct()
    return [v for v in voices.select_related("owner") if _speaker_of(v) is not None]


def _stock_option(voice: VoiceInfo, previews: set[str]) -> VoiceOption:
    voice_id = stock_id(voice.engine, voice.id)
    return VoiceOption(
        id=voice_id,
        name=voice.name,
        engine=voice.engine,
        languages=voice.languages,
        gender=voice.gender,
        style=voice.style,
        description=voice.description,
        kind="stock",
        preview_url=preview_audio_url(voice_id) if voice_id in previews else None,
    )


def _custom_option(voice: CustomVoice, *, user: User, previews: set[str]) -> VoiceOption:
    engine, engine_voice, method = _speaker_of(voice)
    stock = _stock_info(voice)
    if method == "clone":
        description = "Cloned from the samples by a cloud provider."
    else:
        description = f"A similar stock voice ({stock.name if stock else engine_voice}) adjusted "
        description += "to sound closer to the samples; not a clone."
    if voice.owner_id != user.pk:
        description += f" Shared by {voice.owner.get_username()}."
    return VoiceOption(
        id=voice.public_id,
        name=voice.name,
        engine=engine,
        languages=stock.languages if stock else (),
        gender=stock.gender if stock else "",
        style="clone" if method == "clone" else "matched",
        description=voice.description or description,
        kind="custom" if voice.owner_id == user.pk else "shared",
        preview_url=preview_audio_url(voice.public_id) if voice.public_id in previews else None,
    )


def stock_id(engine: str, voice: str) -> str:
    return f"{engine}:{voice}"


def preview_audio_url(voice_id: str) -> str:
    return reverse("voices:preview_audio", args=[voice_id])


def _ready_previews() -> set[str]:
    return set(
        VoicePreview.objects.filter(status=VoicePreview.Status.DONE).values_list("key", flat=True)
    )


def _cloned_voice_ids() -> set[tuple[str, str]]:
    rows = CustomVoice.objects.exclude(cloud_voice_id="").values_list(
        "cloud_tts_engine", "cloud_voice_id"
    )
    return set(rows)


# --- Resolving ---------------------------------------------------------------------------------


def voice_resolve(*, user: User, voice_id: str) -> ResolvedVoice:
    """What speaks `voice_id` for `user`; an empty id is the default engine's default voice.

    Raises ProviderError(INVALID_INPUT) for an unknown id, another user's private voice (the
    same message: its existence is not revealed) and a custom voice that is not ready.
    """
    return _resolve(voice_id, visible_custom_voices(user=user))


def voice_resolve_trusted(*, voice_id: str) -> ResolvedVoice:
    """voice_resolve without the access check, for workers given an id that was checked when
    the job was made."""
    return _resolve(voice_id, CustomVoice.objects.all())


def _resolve(voice_id: str, custom_voices: QuerySet[CustomVoice]) -> ResolvedVoice:
    voice_id = (voice_id or "").strip()
    if not voice_id:
        backend = tts_backends.default()
        return _resolve_stock(backend.alias, backend.default_voice, voice_id)
    if voice_id.startswith(CUSTOM_PREFIX):
        pk = custom_voice_pk(voice_id)
        voice = custom_voices.filter(pk=pk).first() if pk else None
        if voice is None:
            raise _unknown(voice_id)
        return resolve_custom(voice)
    engine, sep, engine_voice = voice_id.partition(":")
    if not sep or engine not in tts_backends or not engine_voice:
        raise _unknown(voice_id)
    return _resolve_stock(engine, engine_voice, voice_id)


def custom_voice_pk(voice_id: str) -> uuid.UUID | None:
    """The uuid in a "voice_<hex>" id, or None when it is not one."""
    try:
        return uuid.UUID(hex=voice_id.removeprefix(CUSTOM_PREFIX))
    except ValueError:
        return None


def _resolve_stock(engine: str, engine_voice: str, voice_id: str) -> ResolvedVoice:
    if (engine, engine_voice) in _cloned_voice_ids():
        raise _unknown(voice_id)  # a user's clone, listed by the provider with its stock voices
    info = tts_backends[engine].resolve_voice(engine_voice)
    if info is None:
        raise _unknown(voice_id)
    return ResolvedVoice(
        id=stock_id(engine, info.id), name=info.name, engine=engine, engine_voice=info.id
    )


def resolve_custom(voice: CustomVoice) -> ResolvedVoice:
    """How `voice` speaks (no access check: callers have done it)."""
    speaker = _speaker_of(voice)
    if speaker is None:
        raise ProviderError(
            f"The voice {voice.public_id!r} ({voice.name}) is not ready yet: "
            f"{voice.get_status_display().lower()}.",
            kind=ErrorKind.INVALID_INPUT,
        )
    engine, engine_voice, method = speaker
    return ResolvedVoice(
        id=voice.public_id,
        name=voice.name,
        engine=engine,
        engine_voice=engine_voice,
        match=VoiceMatch.from_dict(voice.match) if voice.match else None,
        custom_voice_id=voice.pk,
        cloud_voice_id=voice.cloud_voice_id or None,
        method=method,
    )


def _speaker_of(voice: CustomVoice) -> tuple[str, str, str] | None:
    """(engine, engine voice, method) that speaks `voice` now, or None when nothing can.

    The cloud clone is the better likeness, so it speaks when it can: cloned, not waiting for
    the provider's verification, and its engine configured. Otherwise the local match does.
    """
    if (
        voice.cloud_status == VoiceClone.Status.DONE
        and voice.cloud_voice_id
        and not voice.cloud_requires_verification
        and voice.cloud_tts_engine in tts_backends
    ):
        return voice.cloud_tts_engine, voice.cloud_voice_id, "clone"
    if voice.status == CustomVoice.Status.DONE and voice.match:
        engine, engine_voice = voice.match["engine"], voice.match["voice"]
        if engine in tts_backends:
            return engine, engine_voice, "match"
    return None


def _stock_info(voice: CustomVoice) -> VoiceInfo | None:
    if not voice.match or voice.match["engine"] not in tts_backends:
        return None
    return tts_backends[voice.match["engine"]].resolve_voice(voice.match["voice"])


def _unknown(voice_id: str) -> ProviderError:
    return ProviderError(
        f"Unknown voice {voice_id!r}: use a stock voice id such as 'piper:joe', or the id of one "
        "of your custom voices or of one shared with you.",
        kind=ErrorKind.INVALID_INPUT,
    )


# --- Custom voices, scoped by user -------------------------------------------------------------


def visible_custom_voices(*, user: User) -> QuerySet[CustomVoice]:
    """The user's own voices and those shared with them."""
    return CustomVoice.objects.filter(Q(owner=user) | Q(shares__user=user)).distinct()


def custom_voice_get(*, owner: User, pk) -> CustomVoice:
    """The owner's voice, or 404 (also for a voice shared with them: owners only)."""
    return get_object_or_404(CustomVoice, pk=pk, owner=owner)


def custom_voice_get_visible(*, user: User, pk) -> CustomVoice:
    """The user's own or a shared voice, or 404."""
    return get_object_or_404(visible_custom_voices(user=user).select_related("owner"), pk=pk)


def pronunciations(*, owner: User):
    return Pronunciation.objects.filter(owner=owner)


@dataclass(frozen=True)
class PhonemeEngines:
    """The configured speaking engines that say phoneme entries from their phonemes, and those
    that read the respelling instead."""

    phonemes: list[str]
    respelling: list[str]


def phoneme_engines() -> PhonemeEngines:
    backends = [tts_backends[alias] for alias in tts_backends.aliases()]
    return PhonemeEngines(
        phonemes=[b.label for b in backends if b.supports_phonemes],
        respelling=[b.label for b in backends if not b.supports_phonemes],
    )


def pronunciation_get(*, owner: User, pk) -> Pronunciation:
    """The owner's entry, or 404."""
    return get_object_or_404(Pronunciation, pk=pk, owner=owner)
