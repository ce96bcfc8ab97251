"""OpenAI Realtime conversations (GA protocol, `session.type = "realtime"`) relayed through the
official SDK's asyncio client: the portal holds the key, the browser or API client talks only
to the portal. OpenAI does the turn detection (`semantic_vad` or `server_vad`, with
`interrupt_response`), the transcription, the reply and its voice; this session translates its
events to the conversation contract and keeps what the portal saves (each side's audio)."""

import asyncio
import base64
import contextlib
import uuid
from dataclasses import dataclass, field

from ..cloud import kind_for_status, openai_error
from ..errors import ErrorKind, ProviderError
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
from .cascade import _TRUNCATABLE, _heard_text

_PCM = {"type": "audio/pcm", "rate": 24000}
_MAX_INPUT_SECONDS = 120


class OpenAIRealtimeConversation(ConversationBackend):
    label = "OpenAI Realtime (relayed)"

    def __init__(self, *, alias: str, api_key: str, base_url: str | None = None,
                 websocket_base_url: str | None = None, model: str = "gpt-realtime",
                 voice: str = "marin", turn_detection: str = "semantic_vad",
                 transcription_model: str = "gpt-4o-mini-transcribe", **options):  # fmt: skip
        super().__init__(alias=alias, **options)
        self.api_key, self.base_url = api_key, base_url
        self.websocket_base_url = websocket_base_url
        self.model, self.voice, self.turn_detection = model, voice, turn_detection
        self.transcription_model = transcription_model

    def configuration_problem(self) -> str | None:
        return None if self.api_key else "no API key (OPENAI_API_KEY)"

    async def open(self, config: ConversationConfig) -> "OpenAIConversationSession":
        from openai import AsyncOpenAI

        client = AsyncOpenAI(api_key=self.api_key, base_url=self.base_url, max_retries=0,
                             websocket_base_url=self.websocket_base_url)  # fmt: skip
        try:
            conn = await client.realtime.connect(model=self.model).enter()
            await conn.session.update(session=self._session(config))
            for message in config.history:
                await conn.conversation.item.create(item=_message(message.role, message.content))
        except ProviderError:
            raise
        except Exception as exc:
            raise _error(exc) from exc
        return OpenAIConversationSession(conn)

    def _session(self, config: ConversationConfig) -> dict:
        vad = None
        if config.turn_detection:
            vad = {"type": self.turn_detection, "create_response": config.create_response,
                   "interrupt_response": config.interrupt_response}  # fmt: skip
        return {
            "type": "realtime",
            "instructions": config.instructions,
            "output_modalities": ["audio"],
            "audio": {
                "input": {"format": _PCM, "turn_detection": vad,
                          "transcription": {"model": self.transcription_model}},
                "output": {"format": _PCM, "voice": config.voice or self.voice},
            },
        }  # fmt: skip


def _message(role: str, text: str) -> dict:
    kind = "output_text" if role == "assistant" else "input_text"
    return {"type": "message", "role": role, "content": [{"type": kind, "text": text}]}


def _error(exc: Exception) -> ProviderError:
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if isinstance(status, int):  # the handshake was refused (websockets' InvalidStatus)
        return ProviderError(f"OpenAI refused the session ({status}).",
                             kind=kind_for_status(status))  # fmt: skip
    return openai_error(exc)


@dataclass
class _Reply:
    response_id: str
    item_id: str = ""
    text: list[str] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)  # audio bytes when each delta came
    audio: bytearray = field(default_factory=bytearray)


class OpenAIConversationSession(ConversationSession):
    def __init__(self, conn):
        self.conn = conn
        self._events: asyncio.Queue = asyncio.Queue()
        self._input = bytearray()
        self._input_start = 0
        self._spans: dict[str, list[float]] = {}  # user item → [start, end] seconds
        self._replies: dict[str, _Reply] = {}  # by response id
        self._by_item: dict[str, _Reply] = {}
        self._closed = False
        self._reader = asyncio.create_task(self._read())

    async def send(self, pcm16: bytes) -> None:
        if self._closed:
            return
        self._input += pcm16
        excess = len(self._input) - _MAX_INPUT_SECONDS * BYTES_PER_SECOND
        if excess > 0:
            excess += excess & 1
            del self._input[:excess]
            self._input_start += excess
        await self.conn.input_audio_buffer.append(audio=base64.b64encode(pcm16).decode())

    async def commit(self) -> None:
        await self.conn.input_audio_buffer.commit()

    async def add_text(self, text: str, *, role: str = "user") -> str:
        item = "item_" + uuid.uuid4().hex[:20]
        await self.conn.conversation.item.create(item={"id": item, **_message(role, text)})
        if role == "user":
            self._events.put_nowait(UserTurn(item, text, spoken=False))
        return item

    async def respond(self) -> None:
        await self.conn.response.create()

    async def cancel(self) -> None:
        await self.conn.response.cancel()

    async def truncate(self, item_id: str, audio_end_ms: int) -> str:
        reply = self._by_item.get(item_id)
        if reply is None:
            raise ProviderError(f"No assistant item {item_id!r}.", kind=ErrorKind.INVALID_INPUT)
        await self.conn.conversation.item.truncate(item_id=item_id, content_index=0,
                                                   audio_end_ms=audio_end_ms)  # fmt: skip
        heard = audio_end_ms * BYTES_PER_SECOND // 1000
        return _heard_text(reply.text, [*reply.starts, len(reply.audio)], heard)

    async def instruct(self, instructions: str) -> None:
        await self.conn.session.update(session={"type": "realtime", "instructions": instructions})

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Exception):
            await self.conn.close()
        self._reader.cancel()
        self._events.put_nowait(None)

    async def events(self):
        while (event := await self._events.get()) is not None:
            yield event

    async def _read(self) -> None:
        try:
            async for event in self.conn:
                for out in self._translate(event):
                    self._events.put_nowait(out)
        except Exception as exc:  # the SDK's own errors: OpenAI went away
            if not self._closed:
                message = f"OpenAI closed the session: {exc}"
                error = ConversationError(message, ErrorKind.UNAVAILABLE.value, fatal=True)
                self._events.put_nowait(error)
        if not self._closed:
            self._closed = True
            self._events.put_nowait(None)

    def _translate(self, event) -> list:
        kind = event.type
        if kind == "input_audio_buffer.speech_started":
            self._spans[event.item_id] = [event.audio_start_ms / 1000, 0.0]
            return [UserSpeechStarted(event.item_id, event.audio_start_ms / 1000)]
        if kind == "input_audio_buffer.speech_stopped":
            self._spans.setdefault(event.item_id, [0.0, 0.0])[1] = event.audio_end_ms / 1000
            return [UserSpeechStopped(event.item_id, event.audio_end_ms / 1000)]
        if kind == "conversation.item.input_audio_transcription.completed":
            return [UserTurn(event.item_id, (event.transcript or "").strip(),
                             self._take_input(event.item_id))]  # fmt: skip
        if kind == "response.created":
            self._replies[event.response.id] = _Reply(event.response.id)
        elif kind == "response.output_item.added" and event.item.type == "message":
            reply = self._replies.setdefault(event.response_id, _Reply(event.response_id))
            reply.item_id = event.item.id
            self._by_item[reply.item_id] = reply
            for old in list(self._by_item)[:-_TRUNCATABLE]:  # only recent replies are truncated
                del self._by_item[old]
            return [ResponseStarted(reply.response_id, reply.item_id)]
        elif kind == "response.output_audio.delta":
            reply = self._replies.get(event.response_id)
            pcm = base64.b64decode(event.delta)
            if reply is not None:
                reply.audio += pcm
            return [AudioDelta(event.response_id, event.item_id, pcm)]
        elif kind == "response.output_audio_transcript.delta":
            reply = self._replies.get(event.response_id)
            if reply is not None:
                reply.text.append(event.delta)
                reply.starts.append(len(reply.audio))
            return [TranscriptDelta(event.response_id, event.item_id, event.delta)]
        elif kind == "response.done":
            return self._done(event.response)
        elif kind == "error":
            return [ConversationError(event.error.message, ErrorKind.INVALID_INPUT.value)]
        return []

    def _done(self, response) -> list:
        reply = self._replies.pop(response.id, None) or _Reply(response.id)
        status = response.status if response.status in ("completed", "cancelled") else "failed"
        return [ResponseDone(reply.response_id, reply.item_id, status,
                             "".join(reply.text).strip(), bytes(reply.audio))]  # fmt: skip

    def _take_input(self, item_id: str) -> bytes:
        start, end = self._spans.pop(item_id, [0.0, 0.0])
        lo = max(0, int(start * 24_000) * 2 - self._input_start)
        hi = max(lo, min(len(self._input), int(end * 24_000) * 2 - self._input_start))
        audio = bytes(self._input[lo:hi])
        del self._input[:hi]
        self._input_start += hi
        return audio
