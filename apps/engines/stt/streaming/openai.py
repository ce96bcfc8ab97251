"""OpenAI realtime transcription sessions (`intent=transcription`), relayed through the official
SDK's asyncio client. The key stays on the server; the browser talks only to the portal."""

import base64
import contextlib

from ...cloud import kind_for_status, openai_error
from ...errors import ErrorKind, ProviderError
from ..base import ModelInfo, Segment
from .base import (
    Final,
    Partial,
    SpeechStarted,
    SpeechStopped,
    StreamConfig,
    StreamError,
    StreamingSpeechToTextBackend,
)
from .relayed import RelayedSession

_MODELS = ("gpt-4o-transcribe", "gpt-4o-mini-transcribe", "whisper-1")


class OpenAIRealtimeStreaming(StreamingSpeechToTextBackend):
    label = "OpenAI realtime transcription"

    def __init__(self, *, alias: str, api_key: str, base_url: str | None = None,
                 websocket_base_url: str | None = None, **options):  # fmt: skip
        super().__init__(alias=alias, **options)
        self.api_key, self.base_url = api_key, base_url
        self.websocket_base_url = websocket_base_url

    def configuration_problem(self) -> str | None:
        return None if self.api_key else "no API key (OPENAI_API_KEY)"

    def models(self) -> list[ModelInfo]:
        return [ModelInfo(name, name) for name in _MODELS]

    async def open(self, config: StreamConfig) -> "OpenAIRealtimeSession":
        from openai import AsyncOpenAI

        info = self.resolve_model(config.model)
        if info is None:
            raise ProviderError(f"Unknown model {config.model!r}.", kind=ErrorKind.INVALID_INPUT)
        client = AsyncOpenAI(api_key=self.api_key, base_url=self.base_url, max_retries=0,
                             websocket_base_url=self.websocket_base_url)  # fmt: skip
        try:
            conn = await client.realtime.connect(extra_query={"intent": "transcription"}).enter()
            await conn.session.update(session=_session(config, info.name))
        except ProviderError:
            raise
        except Exception as exc:
            raise _error(exc) from exc
        session = OpenAIRealtimeSession(config, conn)
        session.start_reading(session.read())
        return session


def _session(config: StreamConfig, model: str) -> dict:
    transcription = {"model": model, "prompt": config.prompt}
    if config.language:
        transcription["language"] = config.language
    vad = {"type": "server_vad", "silence_duration_ms": 500} if config.turn_detection else None
    return {"type": "transcription", "audio": {"input": {
        "format": {"type": "audio/pcm", "rate": 24000},
        "transcription": transcription, "turn_detection": vad}}}  # fmt: skip


def _error(exc: Exception) -> ProviderError:
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if isinstance(status, int):  # the handshake was refused (websockets' InvalidStatus)
        return ProviderError(f"OpenAI refused the stream ({status}).", kind=kind_for_status(status))
    return openai_error(exc)


class OpenAIRealtimeSession(RelayedSession):
    def __init__(self, config: StreamConfig, conn):
        super().__init__(config)
        self.conn = conn
        self.texts: dict[int, str] = {}
        self.started: dict[int, float] = {}
        self.stopped: dict[int, float] = {}
        self.pending: set[int] = set()  # committed, not transcribed yet
        self.finishing = False
        # Answers owed to our own commits. Server VAD commits too, and its `committed` events
        # look the same; so with VAD on, our commits are counted only once a session.update
        # has turned VAD off (at finish), after which every commit is ours.
        self.counting = not config.turn_detection
        self.owed = 0
        self.updates_owed = 1  # the session.update that opened the session
        self.committed_until = self.at(0)

    async def send(self, pcm16: bytes) -> None:
        if not self.closed:
            self.sent += len(pcm16)
            await self.conn.input_audio_buffer.append(audio=base64.b64encode(pcm16).decode())

    async def commit(self) -> None:
        if not self.closed:
            self.owed += 1
            await self.conn.input_audio_buffer.commit()

    async def finish(self) -> None:
        """Turn VAD off, commit what is left, and end once every commit has its transcript."""
        if self.closed:
            return
        self.finishing = True
        if not self.counting:
            self.owed = 0
            off = {"type": "transcription", "audio": {"input": {"turn_detection": None}}}
            self.updates_owed += 1
            await self.conn.session.update(session=off)
        await self.commit()

    async def close(self) -> None:
        self.end()
        with contextlib.suppress(Exception):
            await self.conn.close()

    async def read(self) -> None:
        async for event in self.conn:
            self.handle(event)
            if self.finishing and self.counting and not self.owed and not self.pending:
                break
        with contextlib.suppress(Exception):
            await self.conn.close()

    def handle(self, event) -> None:
        kind = event.type
        if kind == "session.updated":
            self.updates_owed -= 1
            self.counting = self.counting or (self.finishing and not self.updates_owed)
        elif kind == "input_audio_buffer.speech_started":
            u = self.utterance(event.item_id)
            self.started[u] = self.at(event.audio_start_ms / 1000)
            self.put(SpeechStarted(u, self.started[u]))
        elif kind == "input_audio_buffer.speech_stopped":
            u = self.utterance(event.item_id)
            self.stopped[u] = self.at(event.audio_end_ms / 1000)
            self.put(SpeechStopped(u, self.stopped[u]))
        elif kind == "input_audio_buffer.committed":
            self._answered()
            u = self.utterance(event.item_id)
            self.pending.add(u)
            # A commit by hand has no VAD times: it holds the audio since the previous one.
            self.started.setdefault(u, self.committed_until)
            self.stopped.setdefault(u, self.now)
            self.committed_until = self.stopped[u]
        elif kind == "conversation.item.input_audio_transcription.delta":
            u = self.utterance(event.item_id)
            self.texts[u] = self.texts.get(u, "") + (event.delta or "")
            text = self.texts[u].strip()
            self.put(Partial(u, self.started.get(u, self.at(0)), text, text))
        elif kind == "conversation.item.input_audio_transcription.completed":
            self._completed(event)
        elif kind == "conversation.item.input_audio_transcription.failed":
            self.pending.discard(self.utterance(event.item_id))
        elif kind == "error":
            self._error(event.error)

    def _completed(self, event) -> None:
        u = self.utterance(event.item_id)
        self.pending.discard(u)
        text = (event.transcript or "").strip()
        if not text:
            return
        start = self.started.get(u, self.stopped.get(u, self.now))
        end = max(start, self.stopped.get(u, self.now))
        self.put(
            Final(u, Segment(start=start, end=end, text=" " + text), self.config.language or "")
        )

    def _answered(self) -> None:
        if self.counting:
            self.owed = max(0, self.owed - 1)

    def _error(self, error) -> None:
        if error.code == "input_audio_buffer_commit_empty":
            self._answered()  # a commit with nothing new: at finish this is normal
            return
        self.put(StreamError(error.message, ErrorKind.INVALID_INPUT.value, fatal=False))
