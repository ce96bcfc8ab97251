"""Live inference in another process: the web process's session hands audio to an inference
worker (`manage.py run_live_worker`) over the channel layer and relays the events it sends back,
so the web processes hold no models and any number of workers share the sessions.

The backend wraps the engine the workers run (`engine`: an alias entry, {"BACKEND", "OPTIONS"}),
whose models and limits it reports as its own. Opening a session sends `stream.open` to the
workers' channel, which every worker reads from (each request reaches one of them); the worker
that takes it answers from a channel of its own, where the audio then goes. Both ends say they
are alive every few seconds, so a worker that dies ends its sessions with an error, and a web
process that dies frees the worker's. Only with a channel layer that reaches other processes
(Redis): see VOICEPORTAL_LIVE_INFERENCE.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict
from pathlib import Path

from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer
from django.conf import settings
from django.utils.module_loading import import_string

from ...errors import ErrorKind, ProviderError
from ..base import Segment, TokenLogprob, Word
from .base import (
    Final,
    Lagging,
    Partial,
    SpeechStarted,
    SpeechStopped,
    StreamConfig,
    StreamError,
    StreamEvent,
    StreamingSession,
    StreamingSpeechToTextBackend,
)

logger = logging.getLogger(__name__)

DEFAULT_CHANNEL = "live-inference"
_UNAVAILABLE = ErrorKind.UNAVAILABLE.value


def alive_timeout() -> float:
    """Seconds without a word after which the other end is taken for gone."""
    return settings.VOICEPORTAL_LIVE_WORKER_TIMEOUT


def alive_every() -> float:
    """How often each end says it is alive: five times within the timeout."""
    return alive_timeout() / 5


class RemoteStreamingBackend(StreamingSpeechToTextBackend):
    runs_locally = True  # on this deployment's machines, only not in this process

    def __init__(self, *, alias: str, engine: dict, channel: str = DEFAULT_CHANNEL,
                 open_timeout: float = 10.0, **options):  # fmt: skip
        super().__init__(alias=alias, **options)
        backend_class = import_string(engine["BACKEND"])
        self.engine = backend_class(alias=alias, **engine.get("OPTIONS", {}))
        self.channel = channel
        self.open_timeout = open_timeout
        self.label = f"{self.engine.label}, in an inference worker"
        self.supports_partials = self.engine.supports_partials

    def models(self):
        return self.engine.models()

    def configuration_problem(self) -> str | None:
        return getattr(self.engine, "configuration_problem", lambda: None)()

    async def open(self, config: StreamConfig) -> RemoteSession:
        layer, inbox, reply = await open_remote(
            self.channel, {"type": "stream.open", "alias": self.alias, "config": asdict(config)},
            timeout=self.open_timeout, unavailable="Live transcription is unavailable",
        )  # fmt: skip
        return RemoteSession(layer, inbox=inbox, reply=reply)


async def open_remote(channel: str, request: dict, *, timeout: float, unavailable: str):
    """Ask the workers on `channel` for a session; returns (layer, the worker's inbox, our reply
    channel). ProviderError when the worker refuses it, or UNAVAILABLE when none answers."""
    layer = get_channel_layer()
    reply = await layer.new_channel()
    await layer.send(channel, {**request, "reply": reply, "expires": time.time() + timeout})
    try:
        answer = await asyncio.wait_for(layer.receive(reply), timeout)
    except TimeoutError:
        logger.error("No live inference worker answered on %r", channel)
        raise ProviderError(
            f"{unavailable}: no inference worker answered.", kind=ErrorKind.UNAVAILABLE
        ) from None
    if answer["type"] == "stream.failed":
        raise ProviderError(answer["message"], kind=ErrorKind(answer["kind"]))
    return layer, answer["channel"], reply


class RemoteSession(StreamingSession):
    """The web process's end: what it is told goes to the worker's inbox; events come back on
    `reply`."""

    def __init__(self, layer, *, inbox: str, reply: str):
        self.layer, self.inbox, self.reply = layer, inbox, reply
        self.closed = False
        self._alive = asyncio.create_task(say_alive(layer, inbox))

    async def send(self, pcm16: bytes) -> None:
        await self._tell({"type": "stream.audio", "pcm": pcm16})

    async def commit(self) -> None:
        await self._tell({"type": "stream.commit"})

    async def finish(self) -> None:
        await self._tell({"type": "stream.finish"})

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._alive.cancel()
        await self._tell({"type": "stream.close"})
        with contextlib.suppress(Exception):  # wakes events() (ours: the worker may be gone)
            await self.layer.send(self.reply, {"type": "stream.end"})

    async def events(self) -> AsyncIterator[StreamEvent]:
        while True:
            try:
                message = await asyncio.wait_for(self.layer.receive(self.reply), alive_timeout())
            except TimeoutError:
                if not self.closed:
                    yield StreamError(
                        "The live inference worker stopped.", ErrorKind.UNAVAILABLE.value
                    )
                return
            if message["type"] == "stream.end" or self.closed:
                return
            if message["type"] == "stream.event":
                yield event_decode(message["event"])

    async def _tell(self, message: dict) -> None:
        try:
            await send_patiently(self.layer, self.inbox, message)
        except ChannelFull:  # the worker stopped reading: events() will say it is gone
            logger.warning("A live inference worker's inbox is full; audio was dropped")


async def send_patiently(layer, channel: str, message: dict) -> None:
    """While `channel` is full (audio sent faster than real time, a burst of a reply's audio, a
    busy reader), wait for room rather than lose what is said, for as long as the other end may
    still be alive; then ChannelFull."""
    deadline = time.monotonic() + alive_timeout()
    while True:
        try:
            return await layer.send(channel, message)
        except ChannelFull:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.02)


async def say_alive(layer, channel: str) -> None:
    while True:
        await asyncio.sleep(alive_every())
        with contextlib.suppress(ChannelFull):
            await layer.send(channel, {"type": "stream.alive"})


# --- The worker's end -------------------------------------------------------------------------


async def serve(channel: str = DEFAULT_CHANNEL, *, alive_file: Path | None = None,
                openers: dict[str, Opener] | None = None) -> None:  # fmt: skip
    """Take sessions from `channel` for as long as the process runs (the inference worker):
    each request's type picks its opener (live transcription's own by default). `alive_file`
    is touched while messages go round through Redis (for health checks)."""
    openers = openers or {"stream.open": serve_stream}
    layer = get_channel_layer()
    sessions: set[asyncio.Task] = set()
    if alive_file is not None:
        sessions.add(asyncio.create_task(_touch_while_alive(layer, alive_file)))
    logger.info("Live inference worker listening on %r", channel)
    while True:
        try:
            message = await layer.receive(channel)
        except Exception:  # Redis restarting: try again, as the web processes will
            logger.warning("Waiting for live sessions failed; trying again", exc_info=True)
            await asyncio.sleep(1)
            continue
        opener = openers.get(message.get("type"))
        if opener is None or message.get("expires", 0) < time.time():
            continue  # a request nobody waits for any more
        task = asyncio.create_task(_serve_opened(layer, message, opener))
        sessions.add(task)
        task.add_done_callback(sessions.discard)


async def _touch_while_alive(layer, path: Path) -> None:
    channel = await layer.new_channel()
    while True:
        with contextlib.suppress(Exception):
            await layer.send(channel, {"type": "stream.alive"})
            await asyncio.wait_for(layer.receive(channel), alive_timeout())
            path.touch()
        await asyncio.sleep(alive_timeout())


def worker_engine(alias: str) -> StreamingSpeechToTextBackend:
    """What the worker runs for a session of `alias`: the engine a remote alias wraps."""
    from . import streaming_backends

    backend = streaming_backends[alias]
    return backend.engine if isinstance(backend, RemoteStreamingBackend) else backend


async def serve_stream(request: dict) -> Served:
    session = await worker_engine(request["alias"]).open(StreamConfig(**request["config"]))
    return _ServedStream(session)


async def _serve_opened(layer, request: dict, opener: Opener) -> None:
    reply = request["reply"]
    try:
        served = await opener(request)
    except ProviderError as exc:
        await layer.send(reply, {"type": "stream.failed", "message": exc.message,
                                 "kind": exc.kind.value})  # fmt: skip
        return
    except Exception:
        logger.exception("A live session could not open")
        await layer.send(reply, {"type": "stream.failed", "message": "The live session failed.",
                                 "kind": ErrorKind.INTERNAL.value})  # fmt: skip
        return
    inbox = await layer.new_channel()
    await layer.send(reply, {"type": "stream.opened", "channel": inbox})
    logger.info("Opened a %s (%s)", served.what, request["alias"])
    await served.run(layer, inbox=inbox, reply=reply)


class Served:
    """One session in the worker: what the web process's end sends to the inbox goes into it
    (`handle`), its events go back (`encode`), until that end closes it or stops saying it is
    alive, or the session ends by itself."""

    what = "session"
    # After the web end closes: how long the session's last events (a reply cut short…) may
    # take to go back.
    drain_seconds = 0.0

    def __init__(self, session):
        self.session = session
        self.events = 0

    async def handle(self, message: dict) -> None:
        raise NotImplementedError

    def encode(self, event) -> dict:
        raise NotImplementedError

    def summary(self) -> str:
        return f"{self.events} events"

    async def run(self, layer, *, inbox: str, reply: str) -> None:
        self.layer, self.inbox, self.reply = layer, inbox, reply
        started = time.monotonic()
        pump = asyncio.create_task(self._pump())
        alive = asyncio.create_task(say_alive(layer, reply))
        read = asyncio.create_task(self._read())
        try:
            await asyncio.wait([pump, read], return_when=asyncio.FIRST_COMPLETED)
            if read.done() and read.result() and self.drain_seconds:
                await self.session.close()
                await asyncio.wait([pump], timeout=self.drain_seconds)
        finally:
            for task in (pump, alive, read):
                task.cancel()
            await self.session.close()
        logger.info("Served a %s: %s, %.1f s", self.what, self.summary(),
                    time.monotonic() - started)  # fmt: skip

    async def _read(self) -> bool:
        """Until the web process closes the session (True), or stops saying it is alive."""
        while True:
            try:
                message = await asyncio.wait_for(self.layer.receive(self.inbox), alive_timeout())
            except TimeoutError:
                logger.warning("A %s's web process went away", self.what)
                return False
            if message["type"] == "stream.close":
                return True
            if message["type"] == "stream.alive":
                continue
            try:
                await self.handle(message)
            except Exception:  # the engine broke: the session ends, the web end is told
                logger.exception("A %s failed", self.what)
                return False

    async def _pump(self) -> None:
        try:
            async for event in self.session.events():
                self.events += 1
                await self.send_back({"type": "stream.event", "event": self.encode(event)})
        finally:
            with contextlib.suppress(Exception):
                await self.layer.send(self.reply, {"type": "stream.end"})

    async def send_back(self, message: dict) -> None:
        await send_patiently(self.layer, self.reply, message)


Opener = Callable[[dict], Awaitable[Served]]


class _ServedStream(Served):
    what = "live session"

    def __init__(self, session: StreamingSession):
        super().__init__(session)
        self.audio_bytes = 0

    def summary(self) -> str:
        return f"{self.audio_bytes / 48_000:.1f} s of audio, {self.events} events"

    def encode(self, event: StreamEvent) -> dict:
        return event_encode(event)

    async def handle(self, message: dict) -> None:
        match message["type"]:
            case "stream.audio":
                self.audio_bytes += len(message["pcm"])
                await self.session.send(message["pcm"])
            case "stream.commit":
                await self.session.commit()
            case "stream.finish":
                await self.session.finish()


# --- Events on the wire (msgpack: plain values only) ------------------------------------------

_EVENTS = {cls.__name__: cls for cls in (SpeechStarted, SpeechStopped, Partial, Final, Lagging,
                                         StreamError)}  # fmt: skip


def event_encode(event: StreamEvent) -> dict:
    return {"event": type(event).__name__, **asdict(event)}


def event_decode(data: dict) -> StreamEvent:
    fields = dict(data)
    cls = _EVENTS[fields.pop("event")]
    if cls is Final:
        fields["segment"] = _segment(fields["segment"])
    return cls(**fields)


def _segment(data: dict) -> Segment:
    fields = dict(data)
    fields["words"] = tuple(Word(**w) for w in fields.get("words", ()))
    fields["logprobs"] = tuple(
        TokenLogprob(p["token"], p["logprob"], tuple(p["bytes"]))
        for p in fields.get("logprobs", ())
    )
    fields["tokens"] = tuple(fields.get("tokens", ()))
    fields["flags"] = tuple(fields.get("flags", ()))
    return Segment(**fields)
