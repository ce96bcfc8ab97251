"""The text-to-music and text-to-sound-effect contracts every engine implements."""

from dataclasses import dataclass, field

import numpy as np

from ..errors import ErrorKind, ProviderError

# ElevenLabs' range for `music_length_ms` (3 s to 10 min), which its clients expect.
MIN_MUSIC_SECONDS, MAX_MUSIC_SECONDS = 3.0, 600.0
# ElevenLabs' range for `duration_seconds` of a sound effect.
MIN_EFFECT_SECONDS, MAX_EFFECT_SECONDS = 0.5, 30.0
MAX_PROMPT_CHARS = 2000
MAX_LYRICS_CHARS = 5000
MAX_SECTIONS = 24


@dataclass(frozen=True)
class Section:
    """A part of the song ("intro", "verse", "chorus", …) and how long it lasts."""

    name: str
    seconds: float


@dataclass(frozen=True)
class MusicRequest:
    prompt: str
    seconds: float
    instrumental: bool = True
    lyrics: str = ""  # only where `supports_lyrics`; empty: the engine writes its own or none
    sections: tuple[Section, ...] = ()  # empty: the engine plans the song itself
    seed: int | None = None  # the same prompt and seed give the same track where supported


@dataclass(frozen=True)
class SoundEffectRequest:
    text: str
    seconds: float | None = None  # None: the engine chooses a length that suits the sound
    seed: int | None = None


@dataclass(frozen=True)
class AudioResult:
    """What an engine made: PCM (frames × channels, float32 in [-1, 1]) and, where the provider
    sent encoded audio, those bytes untouched (stored as they are rather than encoded again)."""

    samples: np.ndarray = field(compare=False)
    sample_rate: int
    encoded: bytes = field(default=b"", repr=False)
    encoded_format: str = ""  # "mp3" when `encoded` holds an mp3
    midi: bytes = field(default=b"", repr=False)  # a standard MIDI file, where the engine made one
    understood: str = ""  # what the engine read from the prompt, to show the user
    title: str = ""

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.sample_rate


def _invalid(message: str) -> ProviderError:
    return ProviderError(message, kind=ErrorKind.INVALID_INPUT)


class MusicBackend:
    """Base class for text-to-music engines. Subclasses set the flags and implement `compose`,
    raising `ProviderError` (a bad request is `ErrorKind.INVALID_INPUT`); `check` validates a
    request before any work and `compose` implementations call it first."""

    label = "Music engine"
    # Makes a MIDI file beside the audio (an arranger does; a neural model does not).
    makes_midi = False
    # Sings `MusicRequest.lyrics` (others make instrumentals only).
    supports_lyrics = False
    # Follows `MusicRequest.sections` and their lengths.
    supports_sections = False
    # The same seed gives the same track.
    supports_seed = False
    # True when the engine runs on this machine (and so only in worker processes).
    runs_locally = False
    # What the user should know about the engine, said in the studio.
    description = ""

    def __init__(self, *, alias: str, **options):
        self.alias = alias
        self.options = options

    def compose(self, request: MusicRequest, *, progress=None) -> AudioResult:
        """The track. `progress(fraction)` is called now and then where the engine can tell;
        it may raise to stop the work (a cancelled job)."""
        raise NotImplementedError

    def check(self, request: MusicRequest) -> None:
        """Raise INVALID_INPUT for a request no engine call could satisfy."""
        check_prompt(request.prompt)
        check_music_seconds(request.seconds)
        check_lyrics(request.lyrics)
        check_sections(request.sections)


class SoundEffectsBackend:
    """Base class for text-to-sound-effect engines: `generate` makes a short effect."""

    label = "Sound effects"
    runs_locally = False
    description = ""

    def __init__(self, *, alias: str, **options):
        self.alias = alias
        self.options = options

    def generate(self, request: SoundEffectRequest) -> AudioResult:
        raise NotImplementedError

    def check(self, request: SoundEffectRequest) -> None:
        check_prompt(request.text)
        if request.seconds is not None:
            check_effect_seconds(request.seconds)


def check_prompt(prompt: str) -> None:
    if not prompt.strip():
        raise _invalid("Describe what you want to hear: the prompt is empty.")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise _invalid(f"The prompt is longer than {MAX_PROMPT_CHARS} characters.")


def check_lyrics(lyrics: str) -> None:
    if len(lyrics) > MAX_LYRICS_CHARS:
        raise _invalid(f"The lyrics are longer than {MAX_LYRICS_CHARS} characters.")


def check_sections(sections) -> None:
    if len(sections) > MAX_SECTIONS:
        raise _invalid(f"A song has at most {MAX_SECTIONS} sections.")
    for section in sections:
        if not section.name.strip() or section.seconds <= 0:
            raise _invalid("Each section needs a name and a length above 0 seconds.")


def check_music_seconds(seconds: float) -> None:
    if not MIN_MUSIC_SECONDS <= seconds <= MAX_MUSIC_SECONDS:
        raise _invalid(
            f"A track lasts from {MIN_MUSIC_SECONDS:g} seconds to {MAX_MUSIC_SECONDS / 60:g} "
            f"minutes; {seconds:g} seconds was asked for."
        )


def check_effect_seconds(seconds: float) -> None:
    if not MIN_EFFECT_SECONDS <= seconds <= MAX_EFFECT_SECONDS:
        raise _invalid(
            f"A sound effect lasts from {MIN_EFFECT_SECONDS:g} to {MAX_EFFECT_SECONDS:g} "
            f"seconds; {seconds:g} seconds was asked for."
        )
