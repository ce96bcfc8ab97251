"""`/v1/realtime?model=gpt-realtime`: OpenAI Realtime conversation sessions for API clients, held
with the configured conversation engine and saved to the key owner's conversations."""

import json
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from apps.conversation import services as conversation_services
from apps.conversation.models import Conversation
from apps.conversation.relay import ConversationRelay
from apps.engines.conversation import conversation_backends
from apps.engines.conversation.base import DEFAULT_INSTRUCTIONS
from apps.engines.errors import ErrorKind, ProviderError

from . import realtime_conversation as rc
from . import realtime_protocol as rp
from .consumers import _bearer, _parse
from .services import api_key_authenticate


class RealtimeConversationConsumer(AsyncWebsocketConsumer):
    relay: ConversationRelay | None = None

    async def connect(self):
        self.user = await sync_to_async(api_key_authenticate)(_bearer(self.scope))
        if self.user is None:
            await self.close(code=4401)  # before accept: the handshake is refused (403)
            return
        await self.accept()
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        try:
            model = rc.model_validate((query.get("model") or [None])[0])
        except rp.ProtocolError as exc:
            self.session = rc.RealtimeSession(model="")
            await self._error(exc)
            await self.close(code=4400)
            return
        self.session = rc.RealtimeSession(model=model)
        await self._send({"type": "session.created", "session": self.session.description()})

    async def receive(self, text_data=None, bytes_data=None):
        try:
            event = _parse(text_data, bytes_data)
            await self._handle(event)
        except rp.ProtocolError as exc:
            await self._error(exc)
        except ProviderError as exc:
            await self._send(rp.error_event(exc.message, code=exc.kind.value,
                                            kind=_error_type(exc)))  # fmt: skip
            if self.relay is None:  # the engine could not start: nothing can go on
                await self.close(code=4400)

    async def disconnect(self, code):
        if self.relay is not None:
            await self.relay.close()

    async def _handle(self, event: dict) -> None:
        kind, s = event.get("type"), self.session
        if kind == "session.update":
            instructions = s.instructions
            rc.session_update(s, event)
            if self.relay is not None and s.instructions != instructions:
                await self.relay.instruct(s.instructions or DEFAULT_INSTRUCTIONS)
            await self._send({"type": "session.updated", "session": s.description()})
        elif kind == "input_audio_buffer.append":
            pcm = rp.decode_audio(event)
            await (await self._relay()).send(pcm)
        elif kind == "input_audio_buffer.commit":
            await (await self._relay()).commit()
        elif kind == "input_audio_buffer.clear":
            await self._send({"type": "input_audio_buffer.cleared"})
        elif kind == "conversation.item.create":
            role, text = rc.item_text(event)
            item = await (await self._relay()).add_text(text, role=role)
            for payload in rc.item_added(s, item, role, text):
                await self._send(payload)
        elif kind == "response.create":
            await (await self._relay()).respond()
        elif kind == "response.cancel":
            if self.relay is not None:
                await self.relay.cancel()
        elif kind == "conversation.item.truncate":
            await self._truncate(event)
        else:
            raise rp.ProtocolError(f"Unknown or unsupported event type {kind!r}.",
                                   code="invalid_event", param="type",
                                   event_id=event.get("event_id"))  # fmt: skip

    async def _truncate(self, event: dict) -> None:
        item_id, end = event.get("item_id"), event.get("audio_end_ms")
        if not isinstance(item_id, str) or not isinstance(end, int) or end < 0:
            raise rp.ProtocolError("truncate takes an item_id and audio_end_ms (ms, >= 0).",
                                   code="invalid_value", param="audio_end_ms")  # fmt: skip
        if self.relay is None:
            raise rp.ProtocolError(f"No item {item_id!r}.", code="item_not_found", param="item_id")
        try:
            await self.relay.truncate(item_id, end)
        except ProviderError as exc:
            raise rp.ProtocolError(exc.message, code="item_not_found", param="item_id") from exc
        await self._send({"type": "conversation.item.truncated", "item_id": item_id,
                          "content_index": event.get("content_index", 0),
                          "audio_end_ms": end})  # fmt: skip

    async def _relay(self) -> ConversationRelay:
        """The engine starts with the first audio, text or response, as configured then."""
        if self.relay is None:
            s = self.session
            detection = s.turn_detection or {}
            # The cascade speaks with a library voice; a relay passes OpenAI's name on.
            library = conversation_backends.default().uses_voice_library
            conversation = await sync_to_async(conversation_services.conversation_create)(
                owner=self.user, instructions=s.instructions,
                voice_id=s.voice_id if library else s.voice,
                source=Conversation.Source.API,
            )  # fmt: skip
            config = await sync_to_async(conversation_services.conversation_config)(
                conversation,
                turn_detection=s.turn_detection is not None,
                create_response=bool(detection.get("create_response", False)),
                interrupt_response=bool(detection.get("interrupt_response", False)),
            )  # fmt: skip
            relay = ConversationRelay(conversation=conversation, config=config, emit=self._emit,
                                      on_idle=self._idle, on_end=self._ended)  # fmt: skip
            await relay.start()
            s.started, self.relay = True, relay
        return self.relay

    async def _idle(self) -> None:
        seconds = settings.VOICEPORTAL_CONVERSATION_IDLE_SECONDS
        await self._send(rp.error_event(f"No audio or events for {seconds:g} seconds.",
                                        code="idle"))  # fmt: skip
        await self.close(code=4408)

    async def _ended(self) -> None:
        """The engine stopped (its error was sent): nothing can go on."""
        await self.close(code=4500)

    async def _emit(self, event) -> None:
        for payload in rc.server_events(self.session, event):
            await self._send(payload)

    async def _error(self, exc: rp.ProtocolError) -> None:
        await self._send(rp.error_event(exc.message, code=exc.code, param=exc.param,
                                        event_id=exc.event_id))  # fmt: skip

    async def _send(self, payload: dict) -> None:
        payload = {"type": payload["type"], "event_id": self.session.event_id(), **payload}
        await self.send(text_data=json.dumps(payload))


def _error_type(exc: ProviderError) -> str:
    return "invalid_request_error" if exc.kind == ErrorKind.INVALID_INPUT else "server_error"
