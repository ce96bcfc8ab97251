"""The offline conversation engine: VAD end-pointing and speech-to-text (the live streaming
engine), a language model (streamed, cut into sentences as they complete) and text-to-speech
sentence by sentence, so the first audio leaves as soon as the first sentence exists.

Inference never runs on the event loop: speech-to-text in the live engine's pool, the reply (the
language model's tokens and each sentence's synthesis) in this module's worker threads. A reply
is cancelled by setting its stop flag, which the worker looks at between tokens and between
sentences; the event loop drops whatever the worker hands over after that, so a barge-in stops
the audio at once even while a sentence is being synthesised.
"""

import asyncio
import contextlib
import itertools
import logging
import re
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from ..errors import ErrorKind, ProviderError
from ..llm import llm_backends
from ..llm.base import ChatMessage, ChatRequest
from ..stt.streaming import streaming_backends
from ..stt.streaming.base import Final, SpeechStarted, SpeechStopped, StreamConfig, StreamError
from ..stt.streaming.pool import pool_size
from ..stt.streaming.remote import worker_engine
from ..tts import tts_backends
from ..tts.base import SpeechRequest
from ..tts.encode import StreamEncoder
from .base import (
    BYTES_PER_SECOND,
    AudioDelta,
    ConversationBackend,
    ConversationConfig,
    ConversationError,
    ConversationSession,
    ResponseDone,
    ResponseStarted,
    TranscriptDelta,
    UserSpeechStarted,
    UserSpeechStopped,
    UserTurn,
)

logger = logging.getLogger(__name__)

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()

# A sentence ends at . ! or ? (closing quotes or brackets included) followed by a space.
_SENTENCE_END = re.compile(r"[.!?]+[\"')\]]*\s")
# A sentence that runs on past this is spoken up to its last comma, so audio is not held back;
# the first one sooner, since the listener is waiting for it.
_LONG_SENTENCE = 160
_LONG_FIRST_SENTENCE = 60
# Speech runs at about 14 characters a second (Piper's and Kokoro's voices at speed 1).
_BYTES_PER_CHARACTER = BYTES_PER_SECOND // 14
_MARKUP = re.compile(r"[*#_`]+")
_SAYABLE = re.compile(r"[^\W_]")
DELTA_BYTES = BYTES_PER_SECOND // 5  # 200 ms of audio per delta
_TRUNCATABLE = 4  # replies whose audio is kept for truncate()
# Input audio kept for saving the user's turn while no turn ends (then it is trimmed).
_MAX_INPUT_SECONDS = 120


def reply_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(pool_size(), thread_name_prefix="conversation")
        return _pool


class CascadeBackend(ConversationBackend):
    label = "Offline cascade (VAD, speech-to-text, language model, text-to-speech)"
    runs_locally = True
    uses_voice_library = True

    def __init__(self, *, alias: str, stt: str = "", stt_model: str = "", llm: str = "",
                 tts: str = "", max_sentences: int = 3, max_tokens: int = 120,
                 temperature: float = 0.2, max_history_chars: int = 4000,
                 in_worker: bool = False, **options):  # fmt: skip
        super().__init__(alias=alias, **options)
        # True in a live inference worker: speech-to-text is this process's own engine, not
        # another trip through the channel layer.
        self.in_worker = in_worker
        self.stt, self.stt_model, self.llm, self.tts = stt, stt_model, llm, tts
        self.max_sentences, self.max_tokens = max_sentences, max_tokens
        self.temperature = temperature
        # The model's context is small (2048 tokens): older turns are left out past this.
        self.max_history_chars = max_history_chars

    def language_model(self):
        return llm_backends[self.llm] if self.llm else llm_backends.default()

    def speech_to_text(self):
        alias = self.stt or streaming_backends.default_alias
        return worker_engine(alias) if self.in_worker else streaming_backends[alias]

    async def open(self, config: ConversationConfig) -> "CascadeSession":
        # The language model loads while the user speaks, not after the first question.
        reply_pool().submit(self.warm_up)
        stt = await self.speech_to_text().open(StreamConfig(
            model=self.stt_model, language=config.language or None,
            turn_detection=config.turn_detection,
        ))  # fmt: skip
        return CascadeSession(self, config, stt)

    def warm_up(self) -> None:
        """Load the language model now rather than on the first reply (blocking)."""
        model = self.language_model()
        if hasattr(model, "server"):
            model.server()


@dataclass
class _Reply:
    response_id: str
    item_id: str
    stop: threading.Event = field(default_factory=threading.Event)
    done: bool = False
    text: list[str] = field(default_factory=list)  # sentences sent (their transcript deltas)
    sentence_starts: list[int] = field(default_factory=list)  # where each one's audio begins
    sentences_spoken: int = 0  # of `text`, those whose audio has all arrived
    audio: bytearray = field(default_factory=bytearray)
    timings: dict[str, float] = field(default_factory=dict)
    task: asyncio.Task | None = None


class CascadeSession(ConversationSession):
    def __init__(self, backend: CascadeBackend, config: ConversationConfig, stt):
        self.backend, self.config, self.stt = backend, config, stt
        self._loop = asyncio.get_running_loop()
        self._events: asyncio.Queue = asyncio.Queue()
        self._prefix = uuid.uuid4().hex[:8]
        self._ids = itertools.count(1)
        # (item id, message): the conversation the model sees, the instructions aside.
        self.history: list[tuple[str, ChatMessage]] = [(self._new_id("item"), m)
                                                       for m in config.history]  # fmt: skip
        self._utterance_items: dict[int, str] = {}
        self._spoken: dict[str, _Reply] = {}
        self._input = bytearray()
        self._input_start = 0  # byte offset of _input[0] in the session's audio
        self._reply: _Reply | None = None
        self._closed = False
        self.last_timings: dict[str, float] = {}  # of the last reply (benchmarks read them)
        self._reader = asyncio.create_task(self._read_speech())

    # --- input ------------------------------------------------------------------------------

    async def send(self, pcm16: bytes) -> None:
        if self._closed:
            return
        self._input += pcm16
        excess = len(self._input) - _MAX_INPUT_SECONDS * BYTES_PER_SECOND
        if excess > 0:
            excess += excess & 1
            del self._input[:excess]
            self._input_start += excess
        await self.stt.send(pcm16)

    async def commit(self) -> None:
        await self.stt.commit()

    async def add_text(self, text: str, *, role: str = "user") -> str:
        item = self._new_id("item")
        self.history.append((item, ChatMessage(role, text)))
        if role == "user":
            self._emit(UserTurn(item, text, spoken=False))
        return item

    # --- replies ----------------------------------------------------------------------------

    async def respond(self) -> None:
        await self.cancel()
        reply = _Reply(self._new_id("resp"), self._new_id("item"))
        # Seconds from here: until the first sentence is written, and until its first audio.
        reply.timings["requested"] = time.monotonic()
        self._reply = reply
        self._emit(ResponseStarted(reply.response_id, reply.item_id))
        messages = _prompt(self.config.instructions, [m for _, m in self.history],
                           self.backend.max_history_chars)  # fmt: skip
        request = ChatRequest(messages=messages, max_tokens=self.backend.max_tokens,
                              temperature=self.backend.temperature)  # fmt: skip
        reply.task = asyncio.create_task(self._run(reply, request))

    async def cancel(self) -> None:
        reply = self._reply
        if reply is not None and not reply.done:
            reply.stop.set()
            self._finish(reply, "cancelled")

    async def truncate(self, item_id: str, audio_end_ms: int) -> str:
        reply = self._spoken.get(item_id)
        if reply is None:
            raise ProviderError(f"No assistant item {item_id!r}.", kind=ErrorKind.INVALID_INPUT)
        heard_bytes = audio_end_ms * BYTES_PER_SECOND // 1000
        heard = _heard_text(reply.text, _sentence_bounds(reply), heard_bytes)
        self.history = [(i, ChatMessage("assistant", heard) if i == item_id else m)
                        for i, m in self.history if i != item_id or heard]  # fmt: skip
        return heard

    async def instruct(self, instructions: str) -> None:
        self.config = replace(self.config, instructions=instructions)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self.cancel()
        await self.stt.close()
        self._reader.cancel()
        self._events.put_nowait(None)

    async def events(self):
        while (event := await self._events.get()) is not None:
            yield event

    # --- speech-to-text ---------------------------------------------------------------------

    async def _read_speech(self) -> None:
        async for event in self.stt.events():
            match event:
                case SpeechStarted():
                    item = self._utterance_items.setdefault(event.utterance, self._new_id("item"))
                    self._emit(UserSpeechStarted(item, event.at))
                    if self.config.interrupt_response:
                        await self.cancel()
                case SpeechStopped():
                    item = self._utterance_items.setdefault(event.utterance, self._new_id("item"))
                    self._emit(UserSpeechStopped(item, event.at))
                case Final():
                    await self._user_spoke(event)
                case StreamError():
                    self._emit(ConversationError(event.message, event.kind, event.fatal))

    async def _user_spoke(self, event: Final) -> None:
        item = self._utterance_items.pop(event.utterance, None) or self._new_id("item")
        text = event.segment.text.strip()
        self._emit(UserTurn(item, text, self._take_input(event.segment.end)))
        if not text:
            return
        self.history.append((item, ChatMessage("user", text)))
        if self.config.create_response:
            await self.respond()

    def _take_input(self, end: float) -> bytes:
        """The audio of the turn that just ended (since the last one), and forget it."""
        cut = max(0, min(len(self._input), int(end * 24_000) * 2 - self._input_start))
        audio = bytes(self._input[:cut])
        del self._input[:cut]
        self._input_start += cut
        return audio

    # --- the reply's worker -----------------------------------------------------------------

    async def _run(self, reply: _Reply, request: ChatRequest) -> None:
        try:
            await self._loop.run_in_executor(reply_pool(), self._generate, reply, request)
        except ProviderError as exc:
            self._emit(ConversationError(exc.message, exc.kind.value))
            self._finish(reply, "failed")
        except Exception:
            logger.exception("The conversation reply failed")
            self._emit(ConversationError("The reply failed.", ErrorKind.INTERNAL.value))
            self._finish(reply, "failed")
        else:
            self._finish(reply, "completed")

    def _generate(self, reply: _Reply, request: ChatRequest) -> None:
        """Worker thread: tokens into sentences, each spoken as soon as it is complete."""
        encoder = StreamEncoder("pcm")
        pieces = self.backend.language_model().stream(request)
        buffer, count = "", 0
        try:
            for piece in pieces:
                if reply.stop.is_set():
                    return
                buffer += _MARKUP.sub("", piece)
                while (cut := _sentence_cut(buffer, first=not count)) is not None:
                    sentence, buffer = buffer[:cut].strip(), buffer[cut:]
                    self._speak(reply, sentence, encoder)
                    count += 1
                    if count >= self.backend.max_sentences or reply.stop.is_set():
                        return
            if buffer.strip():
                self._speak(reply, buffer.strip(), encoder)
        finally:
            pieces.close()  # stops the model's generation

    def _speak(self, reply: _Reply, sentence: str, encoder: StreamEncoder) -> None:
        if not _SAYABLE.search(sentence) or reply.stop.is_set():
            return
        reply.timings.setdefault("first_sentence", time.monotonic())
        text = sentence if not reply.text else " " + sentence
        self._from_worker(reply, TranscriptDelta(reply.response_id, reply.item_id, text))
        for chunk in self._synthesize(sentence):
            if reply.stop.is_set():
                return
            pcm = encoder.feed(chunk)
            reply.timings.setdefault("first_audio", time.monotonic())
            for start in range(0, len(pcm), DELTA_BYTES):
                self._from_worker(reply, AudioDelta(reply.response_id, reply.item_id,
                                                    pcm[start : start + DELTA_BYTES]))  # fmt: skip
        self._from_worker(reply, _SentenceSpoken())

    def _synthesize(self, sentence: str):
        if self.config.synthesize is not None:
            return self.config.synthesize(sentence)
        alias = self.backend.tts or tts_backends.default_alias
        request = SpeechRequest(text=sentence, voice=self.config.voice, format="pcm")
        return tts_backends[alias].synthesize_pcm(request)

    def _from_worker(self, reply: _Reply, event) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody listens
            self._loop.call_soon_threadsafe(self._deliver, reply, event)

    def _deliver(self, reply: _Reply, event) -> None:
        if reply.done:  # cancelled meanwhile: the rest is never played
            return
        if isinstance(event, _SentenceSpoken):
            reply.sentences_spoken += 1
            return  # for truncate only; the client hears of it by the audio itself
        if isinstance(event, AudioDelta):
            reply.audio += event.pcm
        elif isinstance(event, TranscriptDelta):
            reply.text.append(event.text)
            reply.sentence_starts.append(len(reply.audio))
        self._emit(event)

    def _finish(self, reply: _Reply, status: str) -> None:
        if reply.done:
            return
        reply.done = True
        text = "".join(reply.text).strip()
        if text:
            self.history.append((reply.item_id, ChatMessage("assistant", text)))
            self._spoken[reply.item_id] = reply
            # Only recent replies can be truncated (a client truncates what is playing).
            for old in list(self._spoken)[:-_TRUNCATABLE]:
                del self._spoken[old]
        reply.timings["done"] = time.monotonic()
        self._emit(ResponseDone(reply.response_id, reply.item_id, status, text,
                                bytes(reply.audio)))  # fmt: skip
        self.last_timings = dict(reply.timings)

    def _emit(self, event) -> None:
        if not self._closed or isinstance(event, ResponseDone):
            self._events.put_nowait(event)

    def _new_id(self, kind: str) -> str:
        return f"{kind}_{self._prefix}{next(self._ids):06d}"


def _prompt(instructions: str, history: list[ChatMessage], max_chars: int
            ) -> tuple[ChatMessage, ...]:  # fmt: skip
    """One system message first (chat templates want it there: system items added later join
    it), then the most recent turns that fit in `max_chars`."""
    system = "\n".join([instructions, *(m.content for m in history if m.role == "system")])
    turns, size = [], 0
    for message in reversed([m for m in history if m.role != "system"]):
        size += len(message.content)
        if turns and size > max_chars:
            break
        turns.append(message)
    return (ChatMessage("system", system), *reversed(turns))


def _sentence_cut(text: str, *, first: bool = False) -> int | None:
    """Where the first complete sentence of `text` ends, or None while it is still coming."""
    if end := _SENTENCE_END.search(text):
        return end.end()
    limit = _LONG_FIRST_SENTENCE if first else _LONG_SENTENCE
    if len(text) > limit and (comma := text.rfind(", ")) > 0:
        return comma + 2
    return None


class _SentenceSpoken:
    """The last sentence's audio has all been delivered."""


def _sentence_bounds(reply: _Reply) -> list[int]:
    """Where each sentence's audio begins, and where the last one ends. A sentence still being
    spoken comes in pieces (its first words first, see TextToSpeechBackend.speak_first), so its
    end is not known yet: it is taken to last at least as long as its text takes to say."""
    end = len(reply.audio)
    if reply.text and reply.sentences_spoken < len(reply.text):
        said = reply.sentence_starts[-1] + len(reply.text[-1]) * _BYTES_PER_CHARACTER
        end = max(end, said)
    return [*reply.sentence_starts, end]


def _heard_text(sentences: list[str], bounds: list[int], heard_bytes: int) -> str:
    """The words of `sentences` whose audio (sentence i spans bounds[i]..bounds[i+1]) lay within
    the first `heard_bytes`, taking words to last equally long within a sentence."""
    heard = []
    for sentence, start, end in zip(sentences, bounds, bounds[1:], strict=False):
        if end <= heard_bytes:
            heard.append(sentence)
            continue
        if heard_bytes > start:
            words = sentence.split()
            keep = round(len(words) * (heard_bytes - start) / (end - start))
            heard.append((" " if sentence.startswith(" ") else "") + " ".join(words[:keep]))
        break
    return "".join(heard).strip()
