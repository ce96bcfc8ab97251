from django.urls import path

from . import consumers

websocket_urlpatterns = [
    path("ws/conversation/<uuid:pk>/", consumers.ConversationConsumer.as_asgi()),
]
