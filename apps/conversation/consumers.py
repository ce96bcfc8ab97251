"""The conversation page's socket, `/ws/conversation/<id>/`. Up: binary frames are the
microphone's PCM16 (24 kHz mono); text frames are JSON ({"type": "text", "text": ...} a typed
turn, {"type": "cancel"}, {"type": "truncate", "item_id", "audio_end_ms"} after a barge-in).
Down: binary frames are the assistant's PCM16 24 kHz audio of the reply under way; text frames
are JSON events (`events.py`). The session and the Origin are checked by the ASGI stack."""

import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.http import Http404

from apps.engines.conversation.base import AudioDelta
from apps.engines.errors import ProviderError

from . import selectors, services
from .events import error_json, event_json
from .relay import ConversationRelay

MAX_FRAME_BYTES = 24_000 * 2  # a second of audio; the page sends 100 ms
MAX_TEXT_CHARS = 4000


class ConversationConsumer(AsyncWebsocketConsumer):
    relay: ConversationRelay | None = None

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        try:
            conversation = await database_sync_to_async(selectors.conversation_get)(
                owner=user, pk=self.scope["url_route"]["kwargs"]["pk"]
            )
        except Http404:
            await self.close(code=4404)  # another user's conversation is as unknown as none
            return
        await self.accept()
        try:
            config = await database_sync_to_async(services.conversation_config)(conversation)
            self.relay = ConversationRelay(conversation=conversation, config=config,
                                           emit=self._emit, on_idle=self._idle,
                                           on_end=self._ended)  # fmt: skip
            await self.relay.start()
        except ProviderError as exc:
            await self._send(error_json(exc.kind.value, exc.message))
            self.relay = None
            await self.close(code=4400)
            return
        await self._send({"type": "ready", "conversation": str(conversation.pk)})

    async def receive(self, text_data=None, bytes_data=None):
        if self.relay is None:
            return
        if bytes_data is not None:
            if len(bytes_data) % 2 or len(bytes_data) > MAX_FRAME_BYTES:
                await self._send(error_json("invalid_audio", "Audio frames are PCM16, at most "
                                            "a second each; this one was dropped."))  # fmt: skip
                return
            await self.relay.send(bytes_data)
            return
        await self._control(text_data or "")

    async def disconnect(self, code):
        if self.relay is not None:
            await self.relay.close()

    async def _idle(self) -> None:
        await self._send(error_json("idle", "Nothing came for a while: the conversation ended "
                                    "(it is saved)."))  # fmt: skip
        await self.close(code=4408)

    async def _ended(self) -> None:
        """The engine stopped (its error was sent): what was said is saved; nothing can go on."""
        await self.close(code=4500)

    async def _control(self, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            message = None
        kind = message.get("type") if isinstance(message, dict) else None
        if kind == "text" and isinstance(message.get("text"), str) and message["text"].strip():
            await self.relay.add_text(message["text"].strip()[:MAX_TEXT_CHARS])
            await self.relay.respond()
        elif kind == "cancel":
            await self.relay.cancel()
        elif kind == "truncate" and isinstance(message.get("audio_end_ms"), int):
            try:
                await self.relay.truncate(
                    str(message.get("item_id")), max(0, message["audio_end_ms"])
                )
            except ProviderError as exc:
                await self._send(error_json("item_not_found", exc.message))
        else:
            await self._send(error_json("invalid_event", "Expected text, cancel or truncate."))

    async def _emit(self, event) -> None:
        if isinstance(event, AudioDelta):
            await self.send(bytes_data=event.pcm)
        elif (payload := event_json(event)) is not None:
            await self._send(payload)

    async def _send(self, payload: dict) -> None:
        await self.send(text_data=json.dumps(payload))
