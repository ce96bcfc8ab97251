"""The voice conversation contract: the user's audio (PCM16 24 kHz) and text turns in; the user's
transcribed turns, and the assistant's replies as audio (PCM16 24 kHz) with their transcript,
out. Like a streaming speech session, `send()` never waits for inference, and every method is
called from one event loop.

A response can be cancelled at any moment (barge-in: the user speaks over it, `interrupt_response`
does it by itself); `truncate()` then cuts the assistant's remembered words to what the listener
actually heard, so the next reply does not build on words never played.
"""

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field

from ..llm.base import ChatMessage
from ..tts.base import AudioChunk

AUDIO_RATE = 24_000
BYTES_PER_SECOND = AUDIO_RATE * 2
DEFAULT_INSTRUCTIONS = (
    "You are a friendly, helpful voice assistant. You are speaking, not writing: answer in one "
    "or two short, plain sentences, without lists or markup."
)

# Speaks one sentence with the chosen voice (the voice library's, from the feature layer).
Synthesizer = Callable[[str], Iterator[AudioChunk]]


@dataclass(frozen=True)
class ConversationConfig:
    instructions: str = DEFAULT_INSTRUCTIONS
    voice: str = ""  # the engine's own voice name; engines that take `synthesize` ignore it
    synthesize: Synthesizer | None = field(default=None, compare=False)
    # (owner id, voice id) of the library voice behind `synthesize`: what an inference worker
    # rebuilds it from (conversation/remote.py), since a function cannot travel.
    library_voice: tuple[int, str] | None = None
    language: str = "en"
    # False: turns end only on commit() (OpenAI's turn_detection null).
    turn_detection: bool = True
    create_response: bool = True  # a reply follows each finished user turn
    interrupt_response: bool = True  # the user speaking cancels the reply being spoken
    history: tuple[ChatMessage, ...] = ()  # a saved conversation being continued


@dataclass(frozen=True)
class UserSpeechStarted:
    item_id: str
    at: float  # seconds of input audio


@dataclass(frozen=True)
class UserSpeechStopped:
    item_id: str
    at: float


@dataclass(frozen=True)
class UserTurn:
    """A finished user turn: spoken (with its audio) or typed (`audio` empty)."""

    item_id: str
    text: str
    audio: bytes = b""
    spoken: bool = True


@dataclass(frozen=True)
class ResponseStarted:
    response_id: str
    item_id: str


@dataclass(frozen=True)
class AudioDelta:
    response_id: str
    item_id: str
    pcm: bytes


@dataclass(frozen=True)
class TranscriptDelta:
    response_id: str
    item_id: str
    text: str


@dataclass(frozen=True)
class ResponseDone:
    """The reply ended: `completed`, or `cancelled` with what had been sent by then."""

    response_id: str
    item_id: str
    status: str
    text: str
    audio: bytes = b""


@dataclass(frozen=True)
class ConversationError:
    message: str
    kind: str  # an engines ErrorKind value
    fatal: bool = False


ConversationEvent = (
    UserSpeechStarted | UserSpeechStopped | UserTurn | ResponseStarted | AudioDelta
    | TranscriptDelta | ResponseDone | ConversationError
)  # fmt: skip


class ConversationSession:
    async def send(self, pcm16: bytes) -> None:
        """Queue the user's audio. Returns at once."""
        raise NotImplementedError

    async def commit(self) -> None:
        """End the user's turn now (without turn detection)."""
        raise NotImplementedError

    async def add_text(self, text: str, *, role: str = "user") -> str:
        """A typed turn; returns its item id. No reply until `respond()`."""
        raise NotImplementedError

    async def respond(self) -> None:
        """Reply to the conversation so far (one reply at a time: a running one is cancelled)."""
        raise NotImplementedError

    async def cancel(self) -> None:
        """Stop the reply being generated or spoken; it ends with status `cancelled`."""
        raise NotImplementedError

    async def truncate(self, item_id: str, audio_end_ms: int) -> str:
        """The listener heard only `audio_end_ms` of the assistant's item: forget the rest, and
        return the words kept. ProviderError (INVALID_INPUT) for an unknown item."""
        raise NotImplementedError

    async def instruct(self, instructions: str) -> None:
        """New instructions for the replies from now on."""
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    def events(self) -> AsyncIterator[ConversationEvent]:
        raise NotImplementedError


class ConversationBackend:
    """Base class for engines, selected by CONVERSATION_ENGINES aliases."""

    label = "Conversation engine"
    runs_locally = False
    # True when the engine speaks with any voice of the portal's library (`config.synthesize`).
    uses_voice_library = False

    def __init__(self, *, alias: str, **options):
        self.alias = alias
        self.options = options

    async def open(self, config: ConversationConfig) -> ConversationSession:
        raise NotImplementedError

    def configuration_problem(self) -> str | None:
        return None
