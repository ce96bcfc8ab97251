"""Between a socket and a conversation engine session: relays the user's audio and requests,
saves every finished turn (both sides' text and audio) and hands each engine event to `emit`,
which translates it for its socket (the page's, or OpenAI's Realtime protocol)."""

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable

from channels.db import database_sync_to_async
from django.conf import settings

from apps.engines.conversation.base import (
    ConversationConfig,
    ConversationEvent,
    ConversationSession,
    ResponseDone,
    UserTurn,
)
from apps.engines.errors import ErrorKind, ProviderError

from . import services
from .models import Conversation, Turn

logger = logging.getLogger(__name__)

Emit = Callable[[ConversationEvent], Awaitable[None]]


# Conversations open per user in this web process (each holds model workers and a socket).
_open: Counter = Counter()


class ConversationRelay:
    def __init__(self, *, conversation: Conversation, config: ConversationConfig, emit: Emit,
                 on_idle: Callable[[], Awaitable[None]] | None = None,
                 on_end: Callable[[], Awaitable[None]] | None = None):  # fmt: skip
        self.conversation, self.config, self.emit = conversation, config, emit
        self.on_idle = on_idle  # called once nothing came from the client for a while
        # Called when the engine ended the session by itself (a fatal error: its worker died…).
        self.on_end = on_end
        self.closing = False
        self.session: ConversationSession | None = None
        self._reader: asyncio.Task | None = None
        self._watch: asyncio.Task | None = None
        self._counted = False
        self.last_activity = time.monotonic()

    async def start(self) -> None:
        """Raises ProviderError when the engine cannot start or the user has too many
        conversations open."""
        owner = self.conversation.owner_id
        limit = settings.VOICEPORTAL_CONVERSATION_MAX_SESSIONS
        if _open[owner] >= limit:
            raise ProviderError(f"You have {limit} conversations open already; end one first.",
                                kind=ErrorKind.RATE_LIMITED)  # fmt: skip
        _open[owner] += 1
        self._counted = True
        try:
            self.session = await services.conversation_open(self.conversation, self.config)
        except BaseException:
            self._release()
            raise
        self._reader = asyncio.create_task(self._read())
        if self.on_idle is not None:
            self._watch = asyncio.create_task(self._watch_idle())

    async def _watch_idle(self) -> None:
        limit = settings.VOICEPORTAL_CONVERSATION_IDLE_SECONDS
        while (left := self.last_activity + limit - time.monotonic()) > 0:
            await asyncio.sleep(min(left, 5.0))
        await self.on_idle()

    def _release(self) -> None:
        if self._counted:
            self._counted = False
            _open[self.conversation.owner_id] -= 1

    async def send(self, pcm: bytes) -> None:
        self.last_activity = time.monotonic()
        await self.session.send(pcm)

    async def commit(self) -> None:
        await self.session.commit()

    async def add_text(self, text: str, *, role: str = "user") -> str:
        self.last_activity = time.monotonic()
        item = await self.session.add_text(text, role=role)
        if role == "user":
            await self._save(Turn.Role.USER, text, b"", item)
        return item

    async def respond(self) -> None:
        self.last_activity = time.monotonic()
        await self.session.respond()

    async def cancel(self) -> None:
        await self.session.cancel()

    async def truncate(self, item_id: str, audio_end_ms: int) -> str:
        heard = await self.session.truncate(item_id, audio_end_ms)
        await database_sync_to_async(services.turn_truncate)(
            conversation=self.conversation, item_id=item_id, text=heard
        )
        return heard

    async def instruct(self, instructions: str) -> None:
        await self.session.instruct(instructions)
        await database_sync_to_async(services.conversation_instruct)(
            conversation=self.conversation, instructions=instructions
        )

    async def close(self) -> None:
        self.closing = True
        self._release()
        if self._watch is not None:
            self._watch.cancel()
        if self.session is not None:
            await self.session.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    async def _read(self) -> None:
        async for event in self.session.events():
            try:
                await self.emit(event)
            except Exception:  # the socket is gone: the turn is still saved
                logger.debug("Could not send a conversation event", exc_info=True)
            match event:
                case UserTurn(spoken=True) if event.text:  # not noise
                    await self._save(Turn.Role.USER, event.text, event.audio, event.item_id)
                case ResponseDone() if event.text or event.audio:
                    cut = event.status == "cancelled"
                    await self._save(Turn.Role.ASSISTANT, event.text, event.audio,
                                     event.item_id, interrupted=cut)  # fmt: skip
        if not self.closing and self.on_end is not None:
            await self.on_end()

    async def _save(self, role, text, audio, item_id, *, interrupted=False) -> None:
        try:
            await database_sync_to_async(services.turn_save)(
                conversation=self.conversation, role=role, text=text, pcm=audio,
                item_id=item_id, interrupted=interrupted,
            )  # fmt: skip
        except Exception:  # the conversation goes on; the log says what was not saved
            logger.exception("Could not save a turn of conversation %s", self.conversation.pk)
