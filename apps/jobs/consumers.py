"""A page's socket for job updates: each signed-in user hears about their own jobs only, as
the workers announce them (apps/jobs/events.py), so an open page refreshes its progress when
something changed instead of polling. The session and the Origin are checked by the ASGI stack
(voiceportal/asgi.py); the group comes from the session's user, never from the client."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .events import owner_group


class JobUpdatesConsumer(AsyncJsonWebsocketConsumer):
    group = ""

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.group = owner_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        """Pages only listen."""

    async def job_update(self, event):
        await self.send_json({name: value for name, value in event.items() if name != "type"})
