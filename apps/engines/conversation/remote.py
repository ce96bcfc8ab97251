"""Conversations in a live inference worker: the web process's session hands the user's audio and
requests to a worker (`manage.py run_live_worker`) over the channel layer and relays the events
it sends back, so a conversation's speech recognition, language model and speech synthesis run
beside the live sessions' models, and the web processes load none. The same channel and
heartbeats as live transcription (stt/streaming/remote.py): a worker that dies ends its
conversations with an error (the turns saved so far stay), a web process that dies frees the
worker's session.

A cancel is passed on to the worker, and this end drops at once whatever audio of that reply is
still on its way, so the listener hears the reply stop as promptly as in one process; the reply
saved is what was relayed. A voice of the portal's library travels by reference
(`ConversationConfig.library_voice`): the worker rebuilds it through `voice_library`, which the
conversation app registers (engines import no feature app).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Callable
from dataclasses import asdict, replace

from channels.db import database_sync_to_async
from channels.exceptions import ChannelFull
from django.utils.module_loading import import_string

from ..errors import ErrorKind, ProviderError
from ..llm.base import ChatMessage
from ..stt.streaming.remote import (
    DEFAULT_CHANNEL,
    Served,
    alive_timeout,
    open_remote,
    say_alive,
    send_patiently,
)
from .base import (
    AudioDelta,
    ConversationBackend,
    ConversationConfig,
    ConversationError,
    ConversationEvent,
    ConversationSession,
    ResponseDone,
    ResponseStarted,
    Synthesizer,
    TranscriptDelta,
    UserSpeechStarted,
    UserSpeechStopped,
    UserTurn,
)

logger = logging.getLogger(__name__)

# (owner id, voice id) -> what speaks with that voice; registered by the conversation app.
voice_library: Callable[[int, str], Synthesizer] | None = None
_GONE = "The conversation's inference worker stopped."


class RemoteConversationBackend(ConversationBackend):
    runs_locally = True  # on this deployment's machines, only not in this process

    def __init__(self, *, alias: str, engine: dict, channel: str = DEFAULT_CHANNEL,
                 open_timeout: float = 10.0, **options):  # fmt: skip
        super().__init__(alias=alias, **options)
        backend_class = import_string(engine["BACKEND"])
        # Only the worker opens it, so its speech recognition is the worker's own engine.
        self.engine = backend_class(alias=alias, in_worker=True, **engine.get("OPTIONS", {}))
        self.channel, self.open_timeout = channel, open_timeout
        self.label = f"{self.engine.label}, in an inference worker"
        self.uses_voice_library = self.engine.uses_voice_library
        self.tts = getattr(self.engine, "tts", "")  # its speaking engine picks the default voice

    def configuration_problem(self) -> str | None:
        return self.engine.configuration_problem()

    async def open(self, config: ConversationConfig) -> RemoteConversation:
        layer, inbox, reply = await open_remote(
            self.channel,
            {"type": "conversation.open", "alias": self.alias, "config": config_encode(config)},
            timeout=self.open_timeout, unavailable="Conversations are unavailable",
        )  # fmt: skip
        return RemoteConversation(layer, inbox=inbox, reply=reply)


class RemoteConversation(ConversationSession):
    """The web process's end: requests go to the worker's inbox; events and the answers to
    add_text and truncate come back on `reply`."""

    def __init__(self, layer, *, inbox: str, reply: str):
        self.layer, self.inbox, self.reply = layer, inbox, reply
        self.closed = False
        self._events: asyncio.Queue = asyncio.Queue()
        self._calls: dict[int, asyncio.Future] = {}
        self._call_ids = itertools.count(1)
        self._playing = ""  # the reply under way, as its events tell
        self._dropped: set[str] = set()  # replies cancelled here whose audio is still coming
        self._relayed: dict[str, tuple[list[str], bytearray]] = {}  # text and audio, per reply
        self._alive = asyncio.create_task(say_alive(layer, inbox))
        self._reader = asyncio.create_task(self._read())

    async def send(self, pcm16: bytes) -> None:
        await self._tell({"type": "conversation.audio", "pcm": pcm16})

    async def commit(self) -> None:
        await self._tell({"type": "conversation.commit"})

    async def add_text(self, text: str, *, role: str = "user") -> str:
        return await self._call("add_text", text=text, role=role)

    async def respond(self) -> None:
        self._drop_playing()  # a new reply cancels the one under way
        await self._tell({"type": "conversation.respond"})

    async def cancel(self) -> None:
        self._drop_playing()
        await self._tell({"type": "conversation.cancel"})

    def _drop_playing(self) -> None:
        if self._playing:
            self._dropped.add(self._playing)

    async def truncate(self, item_id: str, audio_end_ms: int) -> str:
        return await self._call("truncate", item_id=item_id, audio_end_ms=audio_end_ms)

    async def instruct(self, instructions: str) -> None:
        await self._tell({"type": "conversation.instruct", "instructions": instructions})

    async def close(self) -> None:
        """The worker closes its session; its last events (a reply cut short) still come."""
        if self.closed:
            return
        self.closed = True
        self._alive.cancel()
        await self._tell({"type": "stream.close"})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._reader), 2.0)
        self._reader.cancel()
        self._events.put_nowait(None)

    async def events(self):
        while (event := await self._events.get()) is not None:
            yield event

    async def _call(self, method: str, **kwargs):
        call = next(self._call_ids)
        future = asyncio.get_running_loop().create_future()
        self._calls[call] = future
        await self._tell({"type": "conversation.call", "id": call, "method": method,
                          "kwargs": kwargs})  # fmt: skip
        try:
            return await asyncio.wait_for(future, alive_timeout())
        except TimeoutError:
            raise ProviderError(_GONE, kind=ErrorKind.UNAVAILABLE) from None
        finally:
            self._calls.pop(call, None)

    async def _tell(self, message: dict) -> None:
        try:
            await send_patiently(self.layer, self.inbox, message)
        except ChannelFull:  # the worker stopped reading: the reader will say it is gone
            logger.warning("A conversation worker's inbox is full; a message was dropped")

    async def _read(self) -> None:
        try:
            while True:
                try:
                    message = await asyncio.wait_for(self.layer.receive(self.reply),
                                                     alive_timeout())  # fmt: skip
                except TimeoutError:
                    if not self.closed:
                        self._events.put_nowait(ConversationError(
                            _GONE, ErrorKind.UNAVAILABLE.value, fatal=True))  # fmt: skip
                    return
                match message["type"]:
                    case "stream.end":
                        if not self.closed:  # not asked for: the engine failed there
                            self._events.put_nowait(ConversationError(
                                "The conversation failed in its inference worker.",
                                ErrorKind.INTERNAL.value, fatal=True))  # fmt: skip
                        return
                    case "stream.event":
                        self._deliver(event_decode(message["event"]))
                    case "conversation.result":
                        self._answer(message)
        finally:
            for future in self._calls.values():
                if not future.done():
                    future.set_exception(ProviderError(_GONE, kind=ErrorKind.UNAVAILABLE))
            self._events.put_nowait(None)

    def _answer(self, message: dict) -> None:
        future = self._calls.get(message["id"])
        if future is None or future.done():
            return  # given up on
        if "error" in message:
            future.set_exception(ProviderError(message["error"], kind=ErrorKind(message["kind"])))
        else:
            future.set_result(message["value"])

    def _deliver(self, event: ConversationEvent) -> None:
        match event:
            case ResponseStarted():
                self._playing = event.response_id
                self._relayed[event.response_id] = ([], bytearray())
            case AudioDelta() | TranscriptDelta() if event.response_id in self._dropped:
                return  # cancelled here: never played
            case AudioDelta():
                self._relayed.setdefault(event.response_id, ([], bytearray()))[1].extend(event.pcm)
            case TranscriptDelta():
                self._relayed.setdefault(event.response_id, ([], bytearray()))[0].append(event.text)
            case ResponseDone():
                self._dropped.discard(event.response_id)
                if self._playing == event.response_id:
                    self._playing = ""
                text, audio = self._relayed.pop(event.response_id, ([], bytearray()))
                # What the listener got: the worker may have made more before the cancel came.
                event = replace(event, text="".join(text).strip(), audio=bytes(audio))
        self._events.put_nowait(event)


# --- The worker's end -------------------------------------------------------------------------


async def serve_conversation(request: dict) -> Served:
    """Open the conversation a web process asked for (an opener of `serve`)."""
    from . import conversation_backends

    backend = conversation_backends[request["alias"]]
    engine = backend.engine if isinstance(backend, RemoteConversationBackend) else backend
    config = await database_sync_to_async(config_decode)(request["config"])
    return _ServedConversation(await engine.open(config))


class _ServedConversation(Served):
    what = "conversation"
    drain_seconds = 1.0

    def __init__(self, session: ConversationSession):
        super().__init__(session)
        self.audio_bytes = self.requests = 0

    def summary(self) -> str:
        seconds = self.audio_bytes / 48_000
        return f"{seconds:.1f} s of audio in, {self.requests} requests, {self.events} events"

    def encode(self, event: ConversationEvent) -> dict:
        return event_encode(event)

    async def handle(self, message: dict) -> None:
        session = self.session
        match message["type"]:
            case "conversation.audio":
                self.audio_bytes += len(message["pcm"])
                await session.send(message["pcm"])
                return
            case "conversation.commit":
                await session.commit()
            case "conversation.respond":
                await session.respond()
            case "conversation.cancel":
                await session.cancel()
            case "conversation.instruct":
                await session.instruct(message["instructions"])
            case "conversation.call":
                await self._call(message)
        self.requests += 1

    async def _call(self, message: dict) -> None:
        method = {"add_text": self.session.add_text, "truncate": self.session.truncate}
        answer = {"type": "conversation.result", "id": message["id"]}
        try:
            answer["value"] = await method[message["method"]](**message["kwargs"])
        except ProviderError as exc:
            answer.update(error=exc.message, kind=exc.kind.value)
        except Exception:
            logger.exception("A conversation's %s failed", message["method"])
            answer.update(error="The request failed.", kind=ErrorKind.INTERNAL.value)
        await self.send_back(answer)


# --- On the wire (msgpack: plain values only) -------------------------------------------------


def config_encode(config: ConversationConfig) -> dict:
    fields = asdict(replace(config, synthesize=None))
    fields.pop("synthesize")
    fields["history"] = [[m.role, m.content] for m in config.history]
    return fields


def config_decode(fields: dict) -> ConversationConfig:
    """In the worker (blocking: a library voice is looked up in the database)."""
    fields = dict(fields)
    fields["history"] = tuple(ChatMessage(role, content) for role, content in fields["history"])
    voice = fields["library_voice"] = tuple(fields.get("library_voice") or ()) or None
    if voice is not None:
        if voice_library is None:
            raise ProviderError("This worker cannot speak with the portal's voices.")
        fields["synthesize"] = voice_library(*voice)
    return ConversationConfig(**fields)


_EVENTS = {cls.__name__: cls for cls in (UserSpeechStarted, UserSpeechStopped, UserTurn,
                                         ResponseStarted, AudioDelta, TranscriptDelta,
                                         ResponseDone, ConversationError)}  # fmt: skip


def event_encode(event: ConversationEvent) -> dict:
    return {"event": type(event).__name__, **asdict(event)}


def event_decode(data: dict) -> ConversationEvent:
    fields = dict(data)
    return _EVENTS[fields.pop("event")](**fields)
