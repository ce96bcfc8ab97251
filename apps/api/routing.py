from django.urls import path

from . import consumers

# Key-authenticated sockets: API clients send no Origin and carry no browser session.
websocket_urlpatterns = [
    path("v1/realtime", consumers.RealtimeTranscriptionConsumer.as_asgi()),
]
