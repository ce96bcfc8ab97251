"""The live page's socket: binary frames are PCM16 audio (24 kHz mono); text frames are JSON
control messages ({"type": "commit"} ends an utterance, {"type": "stop"} saves). The session and
the Origin are checked by the ASGI stack (voiceportal/asgi.py)."""

import json

from channels.generic.websocket import AsyncWebsocketConsumer

from apps.engines.errors import ProviderError

from . import params as live_params
from .events import error_json, event_json
from .relay import LiveRelay, Saved
from .services import LiveError

# Frames above this are refused (100 ms is typical; a second is generous).
MAX_FRAME_BYTES = 24_000 * 2


class LiveConsumer(AsyncWebsocketConsumer):
    relay: LiveRelay | None = None
    closing = False

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        await self.accept()
        try:
            params = live_params.from_query(self.scope.get("query_string", b""))
            self.relay = LiveRelay(user=user, params=params, emit=self._emit)
            await self.relay.start()
        except (LiveError, ProviderError) as exc:
            code = getattr(exc, "code", None) or exc.kind.value
            await self._send(error_json(code, exc.message))
            self.relay = None
            await self.close(code=4400)

    async def receive(self, text_data=None, bytes_data=None):
        if self.relay is None or self.relay.ended:
            return
        if bytes_data is not None:
            await self._audio(bytes_data)
        else:
            await self._control(text_data or "")

    async def disconnect(self, code):
        if self.relay is not None:
            await self.relay.abort()

    async def _audio(self, data: bytes) -> None:
        if len(data) % 2 or len(data) > MAX_FRAME_BYTES:
            await self._send(error_json(
                "invalid_audio",
                f"Audio frames are PCM16: an even number of bytes, at most {MAX_FRAME_BYTES}; "
                f"this one had {len(data)} and was dropped.",
            ))  # fmt: skip
            return
        await self.relay.audio(data)

    async def _control(self, text: str) -> None:
        try:
            message = json.loads(text)
            kind = message.get("type") if isinstance(message, dict) else None
        except ValueError:
            kind = None
        if kind == "stop":
            await self.relay.stop()
            await self._close()
        elif kind == "commit":
            await self.relay.commit()
        else:
            await self._send(error_json(
                "invalid_event", 'Expected {"type": "stop"} or {"type": "commit"}.'
            ))  # fmt: skip

    async def _emit(self, event) -> None:
        await self._send(event_json(event))
        if isinstance(event, Saved):  # stopped, or cut off by an error: either way, over
            await self._close()

    async def _close(self) -> None:
        if not self.closing:
            self.closing = True
            await self.close()

    async def _send(self, payload: dict) -> None:
        await self.send(text_data=json.dumps(payload))
