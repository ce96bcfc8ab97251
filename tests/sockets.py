"""Channels' test communicator with room for a loaded machine."""

from channels.testing import WebsocketCommunicator


class Communicator(WebsocketCommunicator):
    """WebsocketCommunicator whose connect waits 10 s, not 1 s: the handshake runs the auth
    middleware and a database query, which can take over a second while other tests run."""

    async def connect(self, timeout: float = 10):
        return await super().connect(timeout)
