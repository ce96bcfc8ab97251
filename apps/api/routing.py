from urllib.parse import parse_qs

from django.urls import path

from . import consumers
from .conversation_consumer import RealtimeConversationConsumer

_transcription = consumers.RealtimeTranscriptionConsumer.as_asgi()
_conversation = RealtimeConversationConsumer.as_asgi()


async def realtime(scope, receive, send):
    """OpenAI's one URL for both kinds: `?intent=transcription` transcribes, anything else
    (`?model=gpt-realtime`) holds a conversation."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    app = _transcription if "intent" in query else _conversation
    return await app(scope, receive, send)


# Key-authenticated sockets: API clients send no Origin and carry no browser session.
websocket_urlpatterns = [
    path("v1/realtime", realtime),
]
