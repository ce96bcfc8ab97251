"""ElevenLabs Scribe realtime, relayed through the official SDK
(`client.speech_to_text.realtime.connect`): partial transcripts are partials, each committed
transcript (with its word timestamps) is the final text of an utterance."""

import asyncio
import base64
import contextlib

from ...cloud import kind_for_status
from ...errors import ErrorKind, ProviderError
from ..base import ModelInfo, Segment, Word
from .base import Final, Partial, StreamConfig, StreamError, StreamingSpeechToTextBackend
from .relayed import RelayedSession

# After the last commit, how long to wait for its transcript before ending anyway (ElevenLabs
# sends nothing for a commit that held no speech), and how long after a transcript that does
# not reach the end of the audio (it may be a VAD commit that crossed ours on the wire).
_LAST_COMMIT_WAIT = 10.0
_QUIET_AFTER_COMMIT = 2.0
_ERRORS = {
    "auth_error": ErrorKind.AUTHENTICATION,
    "quota_exceeded": ErrorKind.RATE_LIMITED,
    "rate_limited": ErrorKind.RATE_LIMITED,
    "input_error": ErrorKind.INVALID_INPUT,
    "invalid_request": ErrorKind.INVALID_INPUT,
    "chunk_size_exceeded": ErrorKind.INVALID_INPUT,
}


class ElevenLabsRealtimeStreaming(StreamingSpeechToTextBackend):
    label = "ElevenLabs Scribe realtime"

    def __init__(self, *, alias: str, api_key: str, base_url: str | None = None, **options):
        super().__init__(alias=alias, **options)
        self.api_key, self.base_url = api_key, base_url

    def configuration_problem(self) -> str | None:
        return None if self.api_key else "no API key (ELEVENLABS_API_KEY)"

    def models(self) -> list[ModelInfo]:
        return [ModelInfo("scribe_v2_realtime", "Scribe v2 realtime")]

    async def open(self, config: StreamConfig) -> "ElevenLabsSession":
        from elevenlabs import ElevenLabs
        from elevenlabs.realtime import AudioFormat, CommitStrategy, RealtimeEvents

        info = self.resolve_model(config.model)
        if info is None:
            raise ProviderError(f"Unknown model {config.model!r}.", kind=ErrorKind.INVALID_INPUT)
        client = ElevenLabs(api_key=self.api_key, base_url=self.base_url)
        strategy = CommitStrategy.VAD if config.turn_detection else CommitStrategy.MANUAL
        options = {"model_id": info.name, "audio_format": AudioFormat.PCM_24000,
                   "sample_rate": 24000, "commit_strategy": strategy,
                   "include_timestamps": True}  # fmt: skip
        if config.language:
            options["language_code"] = config.language
        try:
            conn = await client.speech_to_text.realtime.connect(options)
        except Exception as exc:
            status = getattr(getattr(exc, "response", None), "status_code", None)
            kind = kind_for_status(status) if isinstance(status, int) else ErrorKind.UNAVAILABLE
            raise ProviderError(f"ElevenLabs refused the stream: {exc}", kind=kind) from exc
        session = ElevenLabsSession(config, conn)
        conn.on(RealtimeEvents.PARTIAL_TRANSCRIPT, session.partial)
        conn.on(RealtimeEvents.COMMITTED_TRANSCRIPT_WITH_TIMESTAMPS, session.committed)
        conn.on(RealtimeEvents.ERROR, session.error)
        conn.on(RealtimeEvents.CLOSE, lambda *_: session.end())
        return session


class ElevenLabsSession(RelayedSession):
    def __init__(self, config: StreamConfig, conn):
        super().__init__(config)
        self.conn = conn
        self.count = 0  # the utterance being spoken
        self.last_end = self.at(0)
        self._committed = asyncio.Event()

    async def send(self, pcm16: bytes) -> None:
        if not self.closed:
            self.sent += len(pcm16)
            await self.conn.send({"audio_base_64": base64.b64encode(pcm16).decode()})

    async def commit(self) -> None:
        if not self.closed:
            await self.conn.commit()

    async def finish(self) -> None:
        if self.closed:
            return
        await self.commit()
        deadline = asyncio.get_running_loop().time() + _LAST_COMMIT_WAIT
        wait = _LAST_COMMIT_WAIT
        # Done when a transcript reaches the end of what was sent, or all is quiet after one.
        while self.last_end < self.now - 0.3 and wait > 0:
            self._committed.clear()
            try:
                await asyncio.wait_for(self._committed.wait(), wait)
            except TimeoutError:
                break
            left = deadline - asyncio.get_running_loop().time()
            wait = min(_QUIET_AFTER_COMMIT, left)
        await self.close()

    async def close(self) -> None:
        self.end()
        with contextlib.suppress(Exception):
            await self.conn.close()

    def partial(self, data: dict) -> None:
        text = (data.get("text") or "").strip()
        if text:
            self.put(Partial(self.count, self.last_end, text, ""))

    def committed(self, data: dict) -> None:
        words = [w for w in data.get("words") or [] if w.get("type", "word") == "word"]
        text = (data.get("text") or "").strip()
        self._committed.set()
        if not text:
            return
        start = self.at(words[0]["start"]) if words else self.last_end
        end = self.at(words[-1]["end"]) if words else self.now
        segment = Segment(
            start=start, end=end, text=" " + text,
            words=tuple(Word(" " + w["text"].strip(), self.at(w["start"]), self.at(w["end"]))
                        for w in words),
        )  # fmt: skip
        self.put(Final(self.count, segment, data.get("language_code") or ""))
        self.count += 1
        self.last_end = end

    def error(self, data: dict) -> None:
        kind = _ERRORS.get(data.get("message_type", ""), ErrorKind.UNAVAILABLE)
        message = data.get("error") or data.get("message") or str(data)
        self.put(StreamError(f"ElevenLabs: {message}", kind.value))
        self.end()
