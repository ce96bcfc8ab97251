"""What the cloud streaming engines share: a session whose events come from a provider's socket
(read by a task on the event loop; these SDKs are asyncio-native, so nothing blocks it), with
the provider's utterance ids numbered in order and times kept on the session's clock."""

import asyncio
from collections.abc import AsyncIterator

from ...errors import ErrorKind, ProviderError
from .base import BYTES_PER_SECOND, StreamConfig, StreamError, StreamEvent, StreamingSession


class RelayedSession(StreamingSession):
    def __init__(self, config: StreamConfig):
        self.config = config
        self._events: asyncio.Queue = asyncio.Queue()
        self._utterances: dict[str, int] = {}
        self.sent = 0  # bytes sent: the audio clock
        self.closed = False
        self.reader: asyncio.Task | None = None

    def utterance(self, provider_id: str) -> int:
        return self._utterances.setdefault(provider_id, len(self._utterances))

    def at(self, seconds: float) -> float:
        return round(self.config.offset + seconds, 3)

    @property
    def now(self) -> float:
        """Seconds of audio sent so far, on the session's clock."""
        return self.at(self.sent / BYTES_PER_SECOND)

    def put(self, event: StreamEvent) -> None:
        self._events.put_nowait(event)

    def end(self) -> None:
        if not self.closed:
            self.closed = True
            self._events.put_nowait(None)

    def fail(self, exc: ProviderError) -> None:
        self.put(StreamError(exc.message, exc.kind.value))
        self.end()

    async def events(self) -> AsyncIterator[StreamEvent]:
        while (event := await self._events.get()) is not None:
            yield event

    def start_reading(self, coroutine) -> None:
        self.reader = asyncio.create_task(self._read(coroutine))

    async def _read(self, coroutine) -> None:
        try:
            await coroutine
        except ProviderError as exc:
            self.fail(exc)
        except Exception as exc:  # the SDK's own errors: the provider went away
            self.fail(ProviderError(f"The provider closed the stream: {exc}",
                                    kind=ErrorKind.UNAVAILABLE))  # fmt: skip
        else:
            self.end()
