from django.urls import path

from . import consumers

websocket_urlpatterns = [
    path("ws/jobs/", consumers.JobUpdatesConsumer.as_asgi()),
]
