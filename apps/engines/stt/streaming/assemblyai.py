"""AssemblyAI Universal-Streaming (v3), relayed through the official SDK's asyncio client
(`assemblyai.streaming.v3.AsyncStreamingClient`, the asyncio twin of `StreamingClient`). Turns
map to the portal's events: an unfinished turn is a partial (its final words are the stable
part), the formatted end of a turn is the final text with its words."""

from ...cloud import kind_for_status
from ...errors import ErrorKind, ProviderError
from ..base import ModelInfo, Segment, Word
from .base import (
    BYTES_PER_SECOND,
    Final,
    Partial,
    SpeechStarted,
    SpeechStopped,
    StreamConfig,
    StreamError,
    StreamingSpeechToTextBackend,
)
from .relayed import RelayedSession

# The SDK refuses chunks outside 50–1000 ms (error 3007): audio is sent in 100 ms chunks.
_CHUNK = BYTES_PER_SECOND // 10
_MIN_CHUNK = BYTES_PER_SECOND // 20
# Close codes and HTTP statuses that mean our key is wrong.
_AUTH_CODES = {401, 403, 1008, 4001, 4002}


class AssemblyAIStreaming(StreamingSpeechToTextBackend):
    label = "AssemblyAI Universal-Streaming"

    def __init__(self, *, alias: str, api_key: str, api_host: str = "streaming.assemblyai.com",
                 **options):  # fmt: skip
        super().__init__(alias=alias, **options)
        self.api_key, self.api_host = api_key, api_host

    def configuration_problem(self) -> str | None:
        return None if self.api_key else "no API key (ASSEMBLYAI_API_KEY)"

    def models(self) -> list[ModelInfo]:
        return [
            ModelInfo("universal-streaming-english", "Universal-Streaming (English)", False),
            ModelInfo("universal-streaming-multilingual", "Universal-Streaming (multilingual)"),
        ]

    async def open(self, config: StreamConfig) -> "AssemblyAISession":
        from assemblyai.streaming import v3

        info = self.resolve_model(config.model)
        if info is None:
            raise ProviderError(f"Unknown model {config.model!r}.", kind=ErrorKind.INVALID_INPUT)
        client = v3.AsyncStreamingClient(
            v3.StreamingClientOptions(
                api_key=self.api_key, api_host=self.api_host, max_connection_retries=0
            )  # fmt: skip
        )
        session = AssemblyAISession(config, client)
        client.on(v3.StreamingEvents.Turn, lambda _, event: session.turn(event))
        client.on(v3.StreamingEvents.Error, lambda _, error: session.error(error))
        client.on(v3.StreamingEvents.Termination, lambda _, event: session.end())
        params = v3.StreamingParameters(
            sample_rate=24000, encoding=v3.Encoding.pcm_s16le, format_turns=True,
            speech_model=info.name,
            language_detection=True if info.multilingual and not config.language else None,
        )  # fmt: skip
        session.connecting = True
        await client.connect(params)  # a refused handshake comes to the Error handler
        session.connecting = False
        if session.refused is not None:
            raise session.refused
        return session


class AssemblyAISession(RelayedSession):
    def __init__(self, config: StreamConfig, client):
        super().__init__(config)
        self.client = client
        self.buffer = bytearray()
        self.refused: ProviderError | None = None  # the handshake failed
        self.connecting = False
        self.seen: set[int] = set()

    async def send(self, pcm16: bytes) -> None:
        if self.closed:
            return
        self.sent += len(pcm16)
        self.buffer += pcm16
        while len(self.buffer) >= _CHUNK:
            chunk, self.buffer = bytes(self.buffer[:_CHUNK]), self.buffer[_CHUNK:]
            await self.client.stream(chunk)

    async def commit(self) -> None:
        if not self.closed:
            await self._flush()
            await self.client.force_endpoint()

    async def finish(self) -> None:
        """Send what is left, then Terminate: the SDK waits for AssemblyAI's Termination, which
        comes after the last turn."""
        if self.closed:
            return
        await self._flush()
        await self.client.disconnect(terminate=True)
        self.end()

    async def close(self) -> None:
        self.end()
        await self.client.disconnect(terminate=False)

    async def _flush(self) -> None:
        if self.buffer:
            chunk = bytes(self.buffer) + bytes(max(0, _MIN_CHUNK - len(self.buffer)))
            self.buffer.clear()
            await self.client.stream(chunk)

    def turn(self, event) -> None:
        u = event.turn_order
        words = [w for w in event.words or []]
        if u not in self.seen and words:
            self.seen.add(u)
            self.put(SpeechStarted(u, self.at(words[0].start / 1000)))
        if not event.end_of_turn:
            stable = " ".join(w.text for w in words if w.word_is_final)
            start = self.at(words[0].start / 1000) if words else self.now
            self.put(Partial(u, start, event.transcript, stable))
        elif event.turn_is_formatted and words and event.transcript.strip():
            self.put(SpeechStopped(u, self.at(words[-1].end / 1000)))
            self.put(Final(u, _segment(self, event, words), event.language_code or ""))

    def error(self, error) -> None:
        code = getattr(error, "code", None)
        kind = ErrorKind.AUTHENTICATION if code in _AUTH_CODES else (
            kind_for_status(code) if isinstance(code, int) and 400 <= code < 600
            else ErrorKind.UNAVAILABLE
        )  # fmt: skip
        exc = ProviderError(f"AssemblyAI: {error}", kind=kind)
        if self.connecting:
            self.refused = exc
            return
        self.put(StreamError(exc.message, exc.kind.value))
        self.end()


def _segment(session: AssemblyAISession, event, words) -> Segment:
    return Segment(
        start=session.at(words[0].start / 1000),
        end=session.at(words[-1].end / 1000),
        text=" " + event.transcript.strip(),
        words=tuple(
            Word(
                " " + w.text,
                session.at(w.start / 1000),
                session.at(w.end / 1000),
                float(w.confidence),
            )  # fmt: skip
            for w in words
        ),
    )
