"""The model workers every live session shares, and a session that runs its recognizer there.

Inference never runs on the event loop. Each session has at most one step queued or running in
the pool; audio that arrives meanwhile waits in the session's backlog and the next step takes
all of it at once (partials are computed once per step, so a session that falls behind catches
up instead of queueing work). The backlog is bounded: past `max_backlog_seconds` the oldest
audio is skipped for captions and a `Lagging` event says so. One slow session therefore holds
at most one worker at a time and never stalls the others.
"""

import asyncio
import contextlib
import logging
import os
import threading
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

from ...errors import ErrorKind, ProviderError
from .base import BYTES_PER_SECOND, Lagging, StreamError, StreamEvent, StreamingSession

logger = logging.getLogger(__name__)

_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()

# Captions lagging more than this are reported to the user.
LAG_REPORT_SECONDS = 1.0


def pool_size(workers: int = 0) -> int:
    """`workers`, or one per core when 0."""
    return workers or os.cpu_count() or 1


def inference_pool(workers: int = 0) -> ThreadPoolExecutor:
    """The process-wide pool of model workers (threads: CTranslate2 and ONNX Runtime release
    the GIL while they compute). `workers` 0: one per core."""
    workers = pool_size(workers)
    with _pools_lock:
        if workers not in _pools:
            _pools[workers] = ThreadPoolExecutor(workers, thread_name_prefix="live-inference")
        return _pools[workers]


class Recognizer:
    """The synchronous half of a session, only ever called from one pool thread at a time."""

    def feed(self, pcm16: bytes) -> list[StreamEvent]:
        raise NotImplementedError

    def skip(self, seconds: float) -> list[StreamEvent]:
        """Audio that was dropped for captions: end the utterance, move the clock on."""
        raise NotImplementedError

    def end_utterance(self) -> list[StreamEvent]:
        raise NotImplementedError


class PooledSession(StreamingSession):
    def __init__(self, recognizer: Recognizer, pool: ThreadPoolExecutor, *, max_backlog: float):
        self.recognizer = recognizer
        self.pool = pool
        self.max_backlog_bytes = int(max_backlog * BYTES_PER_SECOND) & ~1
        self._loop = asyncio.get_running_loop()
        self._events: asyncio.Queue = asyncio.Queue()
        self._backlog = bytearray()
        self._dropped = 0  # bytes skipped since the last step
        self._commit = self._finishing = self._closed = self._running = False

    async def send(self, pcm16: bytes) -> None:
        if self._closed or self._finishing:
            return
        self._backlog += pcm16
        overflow = len(self._backlog) - self.max_backlog_bytes
        if overflow > 0:
            overflow += overflow & 1
            del self._backlog[:overflow]
            self._dropped += overflow
        self._kick()

    async def commit(self) -> None:
        self._commit = True
        self._kick()

    async def finish(self) -> None:
        self._finishing = True
        self._kick()

    async def close(self) -> None:
        self._closed = True
        self._backlog.clear()
        self._events.put_nowait(None)

    async def events(self) -> AsyncIterator[StreamEvent]:
        while (event := await self._events.get()) is not None:
            yield event

    def _kick(self) -> None:
        if self._running or self._closed:
            return
        if not (self._backlog or self._dropped or self._commit or self._finishing):
            return
        audio, dropped = bytes(self._backlog), self._dropped
        commit, finishing = self._commit, self._finishing
        self._backlog.clear()
        self._dropped, self._commit = 0, False
        self._running = True
        future = self.pool.submit(self._step, audio, dropped, commit or finishing)
        future.add_done_callback(lambda f: self._deliver(f, dropped, finishing))

    def _deliver(self, future, dropped: int, finishing: bool) -> None:
        # RuntimeError: the loop is gone (its socket was torn down), so nobody listens.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._stepped, future, dropped, finishing)

    def _step(self, audio: bytes, dropped: int, end: bool) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        if dropped:
            events += self.recognizer.skip(dropped / BYTES_PER_SECOND)
        events += self.recognizer.feed(audio)
        if end:
            events += self.recognizer.end_utterance()
        return events

    def _stepped(self, future, dropped: int, finishing: bool) -> None:
        self._running = False
        if self._closed:
            return
        try:
            events = future.result()
        except ProviderError as exc:
            events = [StreamError(exc.message, exc.kind.value)]
        except Exception:  # a bug: the user reads a reason, the log keeps the traceback
            logger.exception("Live recognition failed")
            events = [StreamError("Live recognition failed.", ErrorKind.INTERNAL.value)]
        behind = len(self._backlog) / BYTES_PER_SECOND
        if behind > LAG_REPORT_SECONDS or dropped:
            events.append(Lagging(round(behind, 2), round(dropped / BYTES_PER_SECOND, 2)))
        for event in events:
            self._events.put_nowait(event)
        if any(isinstance(e, StreamError) and e.fatal for e in events):
            self._closed = True
            self._events.put_nowait(None)
        elif finishing and not self._backlog:
            self._events.put_nowait(None)
        else:
            self._kick()
