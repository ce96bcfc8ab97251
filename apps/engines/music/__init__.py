from apps.engines.registry import BackendHandler, register_handler

from .base import MusicBackend, SoundEffectsBackend

music_backends: BackendHandler[MusicBackend] = register_handler(
    BackendHandler("MUSIC", "MUSIC_DEFAULT")
)
sound_effects_backends: BackendHandler[SoundEffectsBackend] = register_handler(
    BackendHandler("SOUND_EFFECTS", "SOUND_EFFECTS_DEFAULT")
)
