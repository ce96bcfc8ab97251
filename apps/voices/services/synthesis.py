"""Speaking with a resolved voice. Runs in worker processes only (it loads the engines)."""

from collections.abc import Iterator
from dataclasses import replace

from apps.engines.errors import ErrorKind, ProviderError
from apps.engines.tts import tts_backends
from apps.engines.tts.base import AudioChunk, SpeechRequest
from apps.engines.voice.match import synthesize_matched

from ..selectors import ResolvedVoice
from .pronunciation import pronounce_for


def voice_synthesize_pcm(
    *, voice: ResolvedVoice, request: SpeechRequest, speaker_id: int | None = None
) -> Iterator[AudioChunk]:
    """`request.text` spoken by `voice`, one chunk per sentence as it is ready, with the words
    of `speaker_id`'s pronunciation dictionary said their way (whichever engine speaks: from
    the phonemes given where the engine takes phonemes, else from the respelling).

    A stock voice is its engine's voice; a matched custom voice is the stock voice reshaped by
    its match (apps.engines.voice.match); a cloned one is the cloud engine with the provider's
    voice id. `request.voice` is ignored (the voice decides). Raises ProviderError like any
    engine: a bad request is INVALID_INPUT, at the first `next()`.
    """
    if voice.engine not in tts_backends:
        raise ProviderError(
            f"The engine {voice.engine!r} of the voice {voice.id!r} is not configured.",
            kind=ErrorKind.INVALID_INPUT,
        )
    backend = tts_backends[voice.engine]
    text, lexicon = pronounce_for(
        request.text, owner_id=speaker_id, phonemes=backend.supports_phonemes
    )
    request = replace(request, text=text, lexicon=lexicon)
    if voice.method == "match":
        if voice.match is None:
            raise ProviderError(f"The voice {voice.id!r} has no voice match.")
        return synthesize_matched(backend, voice.match, request)
    return backend.synthesize_pcm(replace(request, voice=voice.engine_voice))
