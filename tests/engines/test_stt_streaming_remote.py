"""The live inference worker's wire: events survive the channel layer's encoding (msgpack, as
channels-redis sends them), and a session with no worker to take it is refused with a reason.
A whole session through a worker process is tested with Redis in tests/scale/test_live.py."""

import msgpack
import pytest
from asgiref.sync import async_to_sync
from django.conf import settings

from apps.engines.errors import ErrorKind, ProviderError
from apps.engines.stt.base import Segment, TokenLogprob, Word
from apps.engines.stt.streaming.base import (
    Final,
    Lagging,
    Partial,
    SpeechStarted,
    SpeechStopped,
    StreamConfig,
    StreamError,
)
from apps.engines.stt.streaming.remote import (
    RemoteStreamingBackend,
    event_decode,
    event_encode,
)

EVENTS = [
    SpeechStarted(0, 1.25),
    Partial(0, 1.25, "ask not what", "ask not"),
    SpeechStopped(0, 3.5),
    Final(
        0,
        Segment(
            1.25,
            3.5,
            " Ask not what your country",
            words=(Word(" Ask", 1.25, 1.5, 0.9), Word(" not", 1.5, 1.75)),
            tokens=(123, 456),
            logprobs=(TokenLogprob(" Ask", -0.1, (32, 65, 115, 107)),),
            flags=("loop",),
        ),
        language="en",
    ),  # fmt: skip
    Lagging(1.5, 0.5),
    StreamError("The model went away.", "unavailable", fatal=False),
]


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: type(e).__name__)
def test_events_come_out_of_the_wire_as_they_went_in(event):
    wire = msgpack.unpackb(msgpack.packb(event_encode(event), use_bin_type=True), raw=False)
    assert event_decode(wire) == event


def test_a_session_with_no_worker_is_refused_with_a_reason():
    backend = RemoteStreamingBackend(
        alias="local", engine=settings.STREAMING_SPEECH_TO_TEXT["local"], open_timeout=0.2
    )
    with pytest.raises(ProviderError) as caught:
        async_to_sync(backend.open)(StreamConfig())
    assert caught.value.kind == ErrorKind.UNAVAILABLE
    assert "no inference worker" in caught.value.message
