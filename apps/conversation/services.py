"""Writes: conversations and their turns, and opening an engine session for one."""

import io
import wave

from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.db import transaction

from apps.engines.conversation import conversation_backends
from apps.engines.conversation.base import (
    AUDIO_RATE,
    DEFAULT_INSTRUCTIONS,
    ConversationConfig,
    ConversationSession,
    Synthesizer,
)
from apps.engines.tts import tts_backends
from apps.engines.tts.base import SpeechRequest
from apps.voices.selectors import stock_id, voice_resolve
from apps.voices.services import voice_synthesize_pcm

from .models import Conversation, Turn
from .selectors import conversation_history

_TITLE_CHARS = 80


def conversation_create(*, owner, instructions: str = "", voice_id: str = "", engine: str = "",
                        source: str = Conversation.Source.WEB) -> Conversation:  # fmt: skip
    """A new conversation. Raises ProviderError (INVALID_INPUT) for a voice the user may not use."""
    engine = engine or conversation_backends.default_alias
    if voice_id and conversation_backends[engine].uses_voice_library:
        voice_resolve(user=owner, voice_id=voice_id)
    return Conversation.objects.create(
        owner=owner, instructions=instructions.strip(), voice_id=voice_id, engine=engine,
        source=source,
    )  # fmt: skip


def conversation_config(conversation: Conversation, **overrides) -> ConversationConfig:
    """The engine configuration of a (new or continued) conversation: its instructions, its
    voice from the library (for engines that speak with the library), its saved turns."""
    backend = conversation_backends[conversation.engine]
    synthesize = library_voice = None
    if backend.uses_voice_library:
        library_voice = (conversation.owner_id, _library_voice(conversation))
        synthesize = library_synthesizer(*library_voice)
    return ConversationConfig(
        instructions=conversation.instructions or DEFAULT_INSTRUCTIONS,
        voice=conversation.voice_id
        if backend.uses_voice_library
        else _provider_voice(conversation),
        synthesize=synthesize,
        library_voice=library_voice,
        history=conversation_history(conversation),
        **overrides,
    )


def library_synthesizer(owner_id: int, voice_id: str) -> Synthesizer:
    """What speaks with the user's library voice. ProviderError (INVALID_INPUT) for a voice the
    user may not use. Also called in live inference workers (the app registers it there)."""
    voice = voice_resolve(user=User.objects.get(pk=owner_id), voice_id=voice_id)

    def synthesize(text: str):
        # With the owner's pronunciation dictionary, as every other reading.
        request = SpeechRequest(text=text, format="pcm")
        return voice_synthesize_pcm(voice=voice, request=request, speaker_id=owner_id)

    return synthesize


def _library_voice(conversation: Conversation) -> str:
    """The conversation's voice; without one, its engine's speaking engine's default voice."""
    if conversation.voice_id:
        return conversation.voice_id
    alias = (
        getattr(conversation_backends[conversation.engine], "tts", "") or tts_backends.default_alias
    )
    return stock_id(alias, tts_backends[alias].default_voice)


async def conversation_open(conversation: Conversation, config: ConversationConfig
                            ) -> ConversationSession:  # fmt: skip
    return await conversation_backends[conversation.engine].open(config)


def _provider_voice(conversation: Conversation) -> str:
    """A provider's own voice name (OpenAI's "marin"); library ids mean nothing to it."""
    voice = conversation.voice_id
    return "" if ":" in voice or voice.startswith("voice_") else voice


@transaction.atomic
def turn_save(*, conversation: Conversation, role: str, text: str, pcm: bytes = b"",
              item_id: str = "", interrupted: bool = False) -> Turn:  # fmt: skip
    turn = Turn(conversation=conversation, role=role, text=text, item_id=item_id,
                interrupted=interrupted)  # fmt: skip
    if pcm:
        turn.audio.save(f"{role}-{item_id or 'turn'}.wav", ContentFile(_wav(pcm)), save=False)
    turn.save()
    if not conversation.title and role == Turn.Role.USER and text:
        conversation.title = text[:_TITLE_CHARS]
    conversation.save(update_fields=["title", "updated_at"])
    return turn


def turn_truncate(*, conversation: Conversation, item_id: str, text: str) -> None:
    """The assistant's turn was heard only up to `text`."""
    conversation.turns.filter(item_id=item_id, role=Turn.Role.ASSISTANT).update(
        text=text, interrupted=True
    )


def conversation_instruct(*, conversation: Conversation, instructions: str) -> None:
    conversation.instructions = instructions.strip()
    conversation.save(update_fields=["instructions", "updated_at"])


def conversation_delete(*, conversation: Conversation) -> None:
    for turn in conversation.turns.exclude(audio=""):
        turn.audio.delete(save=False)
    conversation.delete()


def _wav(pcm: bytes) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(AUDIO_RATE)
        w.writeframes(pcm)
    return out.getvalue()
