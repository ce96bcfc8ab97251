"""The streaming speech-to-text contract, beside the file contract in `stt/base.py`.

A backend opens a `StreamingSession` for one live recording. The caller pushes PCM16 audio
(24 kHz mono, little-endian: what browsers and OpenAI Realtime clients send) with `send()`, which
never waits for inference, and reads `events()`: speech started and stopped, partial text of the
utterance being spoken, the final `Segment` of each utterance, lag reports and errors. Times are
seconds from the session's start plus `StreamConfig.offset` (a continued recording goes on).
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass

from ..base import ModelInfo, Segment

AUDIO_RATE = 24_000  # samples per second of the PCM16 that sessions take
BYTES_PER_SECOND = AUDIO_RATE * 2


@dataclass(frozen=True)
class StreamConfig:
    model: str = ""  # the model of the final text; empty: the engine's default
    language: str | None = None  # None: detect (English partials meanwhile)
    prompt: str = ""
    # False: utterances end only on commit() (OpenAI's turn_detection null).
    turn_detection: bool = True
    offset: float = 0.0  # seconds already recorded before this session


@dataclass(frozen=True)
class SpeechStarted:
    utterance: int
    at: float


@dataclass(frozen=True)
class SpeechStopped:
    utterance: int
    at: float


@dataclass(frozen=True)
class Partial:
    """The utterance so far: `stable` will not change (two hypotheses agreed on it), the rest of
    `text` may."""

    utterance: int
    start: float
    text: str
    stable: str


@dataclass(frozen=True)
class Final:
    """Every utterance ends with one; its text is empty when nothing was understood."""

    utterance: int
    segment: Segment
    language: str = ""


@dataclass(frozen=True)
class Lagging:
    """Captions run `behind` seconds behind the audio; `dropped` seconds were skipped for
    captions (the recording keeps them)."""

    behind: float
    dropped: float = 0.0


@dataclass(frozen=True)
class StreamError:
    message: str
    kind: str  # an engines ErrorKind value
    fatal: bool = True  # the session cannot go on


StreamEvent = SpeechStarted | SpeechStopped | Partial | Final | Lagging | StreamError


class StreamingSession:
    """One live recording at an engine. Not thread-safe: use it from one event loop."""

    async def send(self, pcm16: bytes) -> None:
        """Queue audio (an even number of bytes). Returns at once."""
        raise NotImplementedError

    async def commit(self) -> None:
        """End the current utterance now: its final text follows."""
        raise NotImplementedError

    async def finish(self) -> None:
        """No more audio: finish the last utterance; `events()` ends after its final."""
        raise NotImplementedError

    async def close(self) -> None:
        """Abandon the session (the connection dropped): stop work, free resources."""
        raise NotImplementedError

    def events(self) -> AsyncIterator[StreamEvent]:
        raise NotImplementedError


class StreamingSpeechToTextBackend:
    """Base class for streaming engines, selected by STREAMING_SPEECH_TO_TEXT aliases."""

    label = "Streaming speech-to-text engine"
    runs_locally = False
    # True when partial text comes before the final text of an utterance.
    supports_partials = True

    def __init__(self, *, alias: str, **options):
        self.alias = alias
        self.options = options

    def models(self) -> list[ModelInfo]:
        raise NotImplementedError

    def resolve_model(self, name: str) -> ModelInfo | None:
        name = name or self.models()[0].name
        return next((m for m in self.models() if name in (m.name, *m.aliases)), None)

    async def open(self, config: StreamConfig) -> StreamingSession:
        """Start a session; ProviderError when the config cannot work (unknown model…)."""
        raise NotImplementedError
