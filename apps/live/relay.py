"""Between a socket and a streaming engine: records every byte that arrives, relays it to the
engine session, saves each final utterance, beats the session's heartbeat and enforces the
limits. Both the live page's consumer and the Realtime API's use it, each translating events
to its own protocol through `emit`."""

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import IntegrityError

from apps.engines.errors import ErrorKind, ProviderError
from apps.engines.stt.streaming import streaming_backends
from apps.engines.stt.streaming.base import (
    BYTES_PER_SECOND,
    Final,
    StreamConfig,
    StreamError,
    StreamEvent,
    StreamingSession,
)

from . import services
from .models import LiveSession
from .recording import recording_append

logger = logging.getLogger(__name__)

# Recorded audio is written to disk at least this often.
_FLUSH_BYTES = BYTES_PER_SECOND // 2
# How long stop waits for the last utterance's final text; after a dropped connection less,
# since the server gives a closing application only seconds (daphne: 10).
_FINISH_TIMEOUT = 30.0
_ABORT_TIMEOUT = 5.0


@dataclass(frozen=True)
class Ready:
    session_id: str
    transcript_id: str
    offset: float


@dataclass(frozen=True)
class Saved:
    transcript_id: str
    url: str
    duration: float
    text: str


RelayEvent = StreamEvent | Ready | Saved
Emit = Callable[[RelayEvent], Awaitable[None]]


class LiveRelay:
    def __init__(self, *, user, params: services.LiveParams, emit: Emit, turn_detection=True):
        self.user, self.params, self.emit = user, params, emit
        self.turn_detection = turn_detection
        self.session: LiveSession | None = None
        self.engine: StreamingSession | None = None
        self.received = 0  # bytes of audio in this session
        self.unwritten = bytearray()
        self.last_audio = time.monotonic()
        self.ended = False
        self.stopping = False  # stop() or abort() has begun: the other does nothing
        self._tasks: list[asyncio.Task] = []

    @property
    def seconds(self) -> float:
        return self.received / BYTES_PER_SECOND

    async def start(self) -> None:
        """Raises LiveError or ProviderError when the session cannot start."""
        self.session = await database_sync_to_async(services.live_session_start)(
            owner=self.user, params=self.params
        )
        try:
            self.engine = await streaming_backends[self.params.engine].open(
                StreamConfig(
                    model=self.params.model,
                    language=self.params.language or None,
                    turn_detection=self.turn_detection,
                    offset=self.session.offset,
                )
            )
        except ProviderError as exc:
            await self._end(exc.message, exc.kind.value)
            raise
        self._tasks = [asyncio.create_task(self._pump()), asyncio.create_task(self._watch())]
        await self.emit(
            Ready(str(self.session.pk), str(self.session.transcript_id), self.session.offset)
        )

    async def audio(self, pcm16: bytes) -> None:
        if self.ended or self.stopping:
            return
        left = settings.VOICEPORTAL_LIVE_MAX_SECONDS * BYTES_PER_SECOND - self.received
        pcm16 = pcm16[: max(0, left)]
        self.received += len(pcm16)
        self.last_audio = time.monotonic()
        self.unwritten += pcm16
        if len(self.unwritten) >= _FLUSH_BYTES:
            await self._flush()
        await self.engine.send(pcm16)
        if left <= len(pcm16):
            limit = settings.VOICEPORTAL_LIVE_MAX_SECONDS
            await self.fail(f"A live session lasts at most {limit} seconds; it was saved.",
                            "session_length")  # fmt: skip

    async def commit(self) -> None:
        if not (self.ended or self.stopping):
            await self.engine.commit()

    async def stop(self) -> None:
        """Finish the last utterance, save the transcript, tell the client."""
        if self.ended or self.stopping:
            return
        self.stopping = True
        await self.engine.finish()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._tasks[0]), _FINISH_TIMEOUT)
        await self._saved(await self._end())

    async def _saved(self, transcript) -> None:
        if transcript is None:
            await self.emit(StreamError("The recording was deleted.", "deleted"))
            return
        await self.emit(Saved(str(transcript.pk), transcript.get_absolute_url(),
                              transcript.duration, transcript.text))  # fmt: skip

    async def fail(self, message: str, code: str) -> None:
        """End with an error event; what arrived is saved."""
        if self.ended or self.stopping:
            return
        await self.emit(StreamError(message, code))
        await self.stop()

    async def abort(self) -> None:
        """The connection dropped: keep what arrived, finish what the engine has. Shielded, so
        the save completes even when the closing consumer is cancelled."""
        if self.session is not None and not (self.ended or self.stopping):
            self.stopping = True
            await asyncio.shield(asyncio.ensure_future(self.stop_quietly(_ABORT_TIMEOUT)))

    async def stop_quietly(self, timeout: float = _FINISH_TIMEOUT) -> None:
        with contextlib.suppress(Exception):
            await self.engine.finish()
            await asyncio.wait_for(asyncio.shield(self._tasks[0]), timeout)
        if not self.ended:
            await self._end()

    async def _end(self, error: str = "", kind: str = ""):
        self.ended = True
        for task in self._tasks:
            if task is not asyncio.current_task():
                task.cancel()
        if self.engine is not None:
            await self.engine.close()
        await self._flush()
        return await database_sync_to_async(services.live_session_end)(
            session=self.session, error=error, error_kind=kind
        )

    async def _flush(self) -> None:
        if self.unwritten:
            data, self.unwritten = bytes(self.unwritten), bytearray()
            path = services.recording_path(self.session.transcript)
            await asyncio.to_thread(recording_append, path, data)

    async def _pump(self) -> None:
        async for event in self.engine.events():
            if isinstance(event, Final) and not await self._save(event):
                continue
            await self.emit(event)
            if isinstance(event, StreamError) and event.fatal:
                asyncio.get_running_loop().call_soon(
                    lambda e=event: asyncio.ensure_future(self._end_after(e))
                )
                return

    async def _end_after(self, error: StreamError) -> None:
        """The engine cannot go on (its worker died…): what arrived is saved, the error kept on
        the session, and the client told what was saved. A stop under way saves it itself."""
        if self.ended or self.stopping:
            return
        self.stopping = True
        await self._saved(await self._end(error.message, error.kind))

    async def _save(self, event: Final) -> bool:
        if not event.segment.text.strip():
            return True  # nothing understood: no segment, but clients hear the utterance end
        try:
            await database_sync_to_async(services.live_segment_save)(
                session=self.session, segment=event.segment, language=event.language
            )
        except IntegrityError:  # the transcript was deleted meanwhile; the watch will notice
            return False
        return True

    async def _watch(self) -> None:
        """Heartbeat, and the end of a session that stopped sending."""
        every = min(5.0, settings.VOICEPORTAL_JOB_HEARTBEAT_SECONDS)
        while not self.ended:
            await asyncio.sleep(every)
            alive = await database_sync_to_async(services.live_session_beat)(
                session=self.session, audio_seconds=self.seconds
            )
            idle = time.monotonic() - self.last_audio
            if not alive:  # reaped, or the transcript was deleted: nothing left to save into
                self.ended = True
                await self.engine.close()
                await self.emit(StreamError("This session was closed elsewhere.", "closed"))
                return
            if idle > settings.VOICEPORTAL_LIVE_IDLE_SECONDS:
                idle_limit = settings.VOICEPORTAL_LIVE_IDLE_SECONDS
                asyncio.ensure_future(
                    self.fail(f"No audio for {idle_limit} seconds; the session was saved.", "idle")
                )
                return


def provider_error_code(exc: ProviderError) -> str:
    return exc.kind.value if exc.kind != ErrorKind.INTERNAL else "engine_error"
