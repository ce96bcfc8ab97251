"""`/v1/realtime?intent=transcription`: OpenAI Realtime transcription sessions for API clients.
The Bearer key is checked (API clients send no Origin and have no browser session); the session
is recorded into the key owner's library like one from the live page."""

import asyncio
import json
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from apps.engines.errors import ProviderError
from apps.live.params import live_params_validate
from apps.live.relay import LiveRelay
from apps.live.services import LiveError

from . import realtime_protocol as rp
from .services import api_key_authenticate
from .transcription_models import transcription_model_resolve


class RealtimeTranscriptionConsumer(AsyncWebsocketConsumer):
    relay: LiveRelay | None = None

    async def connect(self):
        self.user = await sync_to_async(api_key_authenticate)(_bearer(self.scope))
        if self.user is None:
            await self.close(code=4401)  # before accept: the handshake is refused (403)
            return
        await self.accept()
        self.session = rp.TranscriptionSession()
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        if query.get("intent") != ["transcription"]:
            await self._error(rp.ProtocolError(
                "The portal serves transcription sessions only: connect with "
                "?intent=transcription.", code="invalid_intent", param="intent"))  # fmt: skip
            await self.close(code=4400)
            return
        await self._send({"type": "session.created", "session": self.session.description()})
        self.idle = asyncio.get_running_loop().call_later(
            settings.VOICEPORTAL_LIVE_IDLE_SECONDS, lambda: asyncio.ensure_future(self._idle())
        )

    async def receive(self, text_data=None, bytes_data=None):
        try:
            event = _parse(text_data, bytes_data)
            await self._handle(event)
        except rp.ProtocolError as exc:
            await self._error(exc)
        except (LiveError, ProviderError) as exc:
            code = getattr(exc, "code", None) or exc.kind.value
            await self._send(rp.error_event(exc.message, code=code))
            await self.close(code=4400)

    async def disconnect(self, code):
        if getattr(self, "idle", None) is not None:
            self.idle.cancel()
        if self.relay is not None:
            await self.relay.abort()

    async def _idle(self) -> None:
        """A socket that never sends audio is closed (once audio flows, the relay watches)."""
        if self.relay is None:
            limit = settings.VOICEPORTAL_LIVE_IDLE_SECONDS
            await self._send(rp.error_event(f"No audio for {limit} seconds.", code="idle"))
            await self.close(code=4408)

    async def _handle(self, event: dict) -> None:
        kind = event.get("type")
        if kind == "session.update":
            rp.session_update(self.session, event)
            await self._send({"type": "session.updated", "session": self.session.description()})
        elif kind == "input_audio_buffer.append":
            pcm = rp.decode_audio(event)
            await self._relay()
            await self.relay.audio(pcm)
        elif kind == "input_audio_buffer.commit":
            await self._relay()
            await self.relay.commit()
        elif kind == "input_audio_buffer.clear":
            # Audio already sent stays in the recording; the portal keeps no uncommitted buffer.
            await self._send({"type": "input_audio_buffer.cleared"})
        else:
            raise rp.ProtocolError(f"Unknown or unsupported event type {kind!r}.",
                                   code="invalid_event", param="type",
                                   event_id=event.get("event_id"))  # fmt: skip

    async def _relay(self) -> None:
        """The recording starts with the first audio, as the session is configured then."""
        if self.relay is not None:
            if self.relay.ended:
                raise rp.ProtocolError("The session has ended.", code="session_ended")
            return
        s = self.session
        chosen = await sync_to_async(transcription_model_resolve)(s.model, endpoint="realtime")
        params = await sync_to_async(live_params_validate)(
            language=s.language, model=chosen.model, source="api"
        )
        s.started = True
        self.relay = LiveRelay(user=self.user, params=params, emit=self._emit,
                               turn_detection=s.turn_detection is not None)  # fmt: skip
        await self.relay.start()

    async def _emit(self, event) -> None:
        for payload in rp.server_events(self.session, event):
            await self._send(payload)

    async def _error(self, exc: rp.ProtocolError) -> None:
        await self._send(rp.error_event(exc.message, code=exc.code, param=exc.param,
                                        event_id=exc.event_id))  # fmt: skip

    async def _send(self, payload: dict) -> None:
        payload = {"type": payload["type"], "event_id": self.session.event_id(), **payload}
        await self.send(text_data=json.dumps(payload))


def _bearer(scope) -> str:
    headers = dict(scope.get("headers", []))
    scheme, _, key = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
    return key.strip() if scheme.lower() == "bearer" else ""


def _parse(text_data, bytes_data) -> dict:
    if text_data is None:
        raise rp.ProtocolError("Events are JSON text frames.", code="invalid_json")
    try:
        event = json.loads(text_data)
    except ValueError as exc:
        raise rp.ProtocolError(f"The event is not valid JSON: {exc}.",
                               code="invalid_json") from exc  # fmt: skip
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        raise rp.ProtocolError("An event is a JSON object with a type.", code="invalid_event")
    return event
