"""Following a generation's audio file while the worker writes it, for async views.

The worker appends encoded audio and flushes it before it updates the row, so a reader that
has seen the row finished and then reads to the end of the file has every byte. The file is
read through its storage (apps.core.storage.GrowingReader), wherever the worker runs.
"""

import asyncio
import base64
import json
import logging
import time
import weakref
from collections.abc import AsyncIterator

from django.http import StreamingHttpResponse

from apps.core.storage import GrowingReader
from apps.engines.tts.encode import OUTPUT_RATE, streaming_wav_header

from .models import Generation

logger = logging.getLogger(__name__)

# Fast at first, while someone waits for the first sound; slower once audio is playing, or
# when the queue is long.
FIRST_POLL_SECONDS = 0.01
FAST_POLL_FOR = 2.0
POLL_SECONDS = 0.05
# The file is looked at on every poll (cheap); the rows, which only say whether a synthesis
# ended, at most this often, in one query for every listener of the process (see _Rows).
ROW_CHECK_SECONDS = 0.1
READ_BYTES = 256 * 1024
# No new audio for this long: the worker is gone or stuck (recovery happens only when a worker
# starts), so the listener is told rather than kept waiting.
STALL_SECONDS = 120.0


class SynthesisFailed(Exception):
    def __init__(self, message: str, kind: str):
        super().__init__(message)
        self.message, self.kind = message, kind or "internal"


class GrowingAudio:
    """The bytes of a generation's audio, as they are written."""

    def __init__(self, generation: Generation):
        self.pk = generation.pk
        # The file itself on a local storage, the stored parts on an object store (see
        # GrowingFile): a worker on another machine can be followed either way.
        self.reader = GrowingReader(generation.audio.name, storage=generation.audio.storage)
        self.position = 0
        self._last_data = time.monotonic()
        self._row_checked = 0.0

    async def next(self) -> bytes | None:
        """The next bytes, waiting for them; None once the audio is complete (or cancelled).

        Raises SynthesisFailed when the synthesis failed, stalled, or the generation was deleted.
        """
        while True:
            if data := await self._read():
                return data
            if time.monotonic() - self._row_checked < ROW_CHECK_SECONDS:
                await asyncio.sleep(self._poll_interval())
                continue
            row, self._row_checked = await _Rows.of_this_loop().row(self)
            # Bytes may have come between the read and the query: read again before deciding.
            if data := await self._read():
                return data
            if row is None:
                raise SynthesisFailed("The generation was deleted.", "invalid_input")
            # Cancelled: what was made is complete audio, ending where the speaking stopped.
            if row["status"] in (Generation.Status.DONE, Generation.Status.CANCELLED):
                return None
            if row["status"] == Generation.Status.FAILED:
                raise SynthesisFailed(row["error"] or "The synthesis failed.", row["error_kind"])
            waited = time.monotonic() - self._last_data
            if waited > STALL_SECONDS:
                raise SynthesisFailed(
                    f"No audio came for {STALL_SECONDS:.0f} seconds: is a speech worker running?",
                    "timeout",
                )
            await asyncio.sleep(self._poll_interval())

    def _poll_interval(self) -> float:
        waited = time.monotonic() - self._last_data
        fast = not self.position and waited < FAST_POLL_FOR
        return FIRST_POLL_SECONDS if fast else POLL_SECONDS

    async def chunks(self) -> AsyncIterator[bytes]:
        while (data := await self.next()) is not None:
            yield data

    async def _read(self) -> bytes:
        # Most polls find nothing new: a stat here is cheaper than a hop to a thread, which
        # many listeners polling every 10 ms would pay for in CPU the worker needs.
        if self.reader.nothing_new():
            return b""
        data = await asyncio.to_thread(self.reader.read, READ_BYTES)
        if data:
            self.position += len(data)
            self._last_data = time.monotonic()
        return data


class _Rows:
    """The rows of every generation followed in one event loop, read together: one query each
    ROW_CHECK_SECONDS for all listeners. Eight listeners reading their own rows took ~70 % of
    the web's CPU while they waited for their first audio, CPU the speech worker needed to
    make it (docs/benchmarks.md)."""

    _by_loop: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Rows]" = (
        weakref.WeakKeyDictionary()
    )

    def __init__(self):
        self.followed: weakref.WeakSet[GrowingAudio] = weakref.WeakSet()
        self.rows: dict = {}  # pk -> row, None for a generation gone
        self.read_at = float("-inf")
        self.reading: asyncio.Future | None = None

    @classmethod
    def of_this_loop(cls) -> "_Rows":
        loop = asyncio.get_running_loop()
        if (rows := cls._by_loop.get(loop)) is None:
            rows = cls._by_loop[loop] = cls()
        return rows

    async def row(self, audio: GrowingAudio) -> tuple[dict | None, float]:
        """`audio`'s row (None once deleted) and when it was read: at most ROW_CHECK_SECONDS
        before this call."""
        self.followed.add(audio)
        asked = time.monotonic()
        while audio.pk not in self.rows or self.read_at < asked - ROW_CHECK_SECONDS:
            if self.reading is None:
                self.reading = asyncio.ensure_future(self._read())
            # Shielded: a listener that goes away must not cancel the others' read.
            await asyncio.shield(self.reading)
        return self.rows[audio.pk], self.read_at

    async def _read(self) -> None:
        try:
            pks = {audio.pk for audio in list(self.followed)}
            read_at = time.monotonic()
            found = Generation.objects.filter(pk__in=pks).values(
                "pk", "status", "error", "error_kind"
            )
            self.rows = dict.fromkeys(pks) | {row["pk"]: row async for row in found}
            self.read_at = read_at
        finally:
            self.reading = None


def audio_response(
    first: bytes, audio: GrowingAudio, *, content_type: str
) -> StreamingHttpResponse:
    """Raw audio as it is written, starting with `first`."""
    return _streaming(_raw(first, audio), content_type)


def wav_response(first: bytes, audio: GrowingAudio) -> StreamingHttpResponse:
    """Raw PCM wrapped in a WAV header, so a browser can play it while it grows."""
    return _streaming(_raw(streaming_wav_header(OUTPUT_RATE) + first, audio), "audio/wav")


async def _raw(first: bytes, audio: GrowingAudio):
    """A failure after the headers went out cannot be told in raw audio, so it is raised: the
    server then drops the connection without ending the chunked body, and the client sees an
    incomplete response rather than audio that merely ends early (for daphne, see
    voiceportal/asgi.py). The row records why."""
    yield first
    try:
        async for data in audio.chunks():
            yield data
    except SynthesisFailed as exc:
        logger.warning("Generation %s failed while streaming: %s", audio.pk, exc.message)
        raise


def sse_response(first: bytes, audio: GrowingAudio, *, usage) -> StreamingHttpResponse:
    """OpenAI's speech events: speech.audio.delta per piece of audio, then speech.audio.done
    with `usage()` (or an error event when the synthesis fails)."""

    async def body():
        yield _frame({"type": "speech.audio.delta", "audio": base64.b64encode(first).decode()})
        try:
            async for data in audio.chunks():
                yield _frame(
                    {"type": "speech.audio.delta", "audio": base64.b64encode(data).decode()}
                )
        except SynthesisFailed as exc:
            yield _frame(
                {"error": {"message": exc.message, "type": "server_error", "code": exc.kind}}
            )
            return
        yield _frame({"type": "speech.audio.done", "usage": await usage()})

    return _streaming(body(), "text/event-stream")


def _frame(payload: dict) -> bytes:
    return f"data: {json.dumps(payload)}\n\n".encode()


def _streaming(body, content_type: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(body, content_type=content_type)
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # a proxy in front must not hold the audio back
    return response
