"""The wire of conversations in a live inference worker: events and the session's configuration
survive the channel layer's encoding (msgpack, as channels-redis sends them), a library voice
travels by reference and is rebuilt, and a conversation with no worker to take it is refused
with a reason. A whole conversation through a worker process is tested with Redis in
tests/scale/test_live.py."""

import msgpack
import pytest
from asgiref.sync import async_to_sync
from django.conf import settings

from apps.conversation.services import conversation_config, conversation_create, turn_save
from apps.engines.conversation.base import (
    AudioDelta,
    ConversationConfig,
    ConversationError,
    ResponseDone,
    ResponseStarted,
    TranscriptDelta,
    UserSpeechStarted,
    UserSpeechStopped,
    UserTurn,
)
from apps.engines.conversation.remote import (
    RemoteConversationBackend,
    config_decode,
    config_encode,
    event_decode,
    event_encode,
)
from apps.engines.errors import ErrorKind, ProviderError
from apps.engines.llm.base import ChatMessage

EVENTS = [
    UserSpeechStarted("item_1", 0.5),
    UserSpeechStopped("item_1", 2.0),
    UserTurn("item_1", "Hello there.", b"\x01\x00\xff\x7f"),
    UserTurn("item_2", "Typed.", spoken=False),
    ResponseStarted("resp_1", "item_3"),
    TranscriptDelta("resp_1", "item_3", "Hi."),
    AudioDelta("resp_1", "item_3", b"\x00\x01" * 10),
    ResponseDone("resp_1", "item_3", "cancelled", "Hi.", b"\x00\x01" * 10),
    ConversationError("The worker stopped.", "unavailable", fatal=True),
]


def _wire(data: dict) -> dict:
    return msgpack.unpackb(msgpack.packb(data, use_bin_type=True), raw=False)


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: type(e).__name__)
def test_events_come_out_of_the_wire_as_they_went_in(event):
    assert event_decode(_wire(event_encode(event))) == event


@pytest.mark.django_db
def test_a_continued_conversation_with_a_library_voice_is_rebuilt_in_the_worker(alice):
    conversation = conversation_create(owner=alice, voice_id="piper:joe", instructions="Be brief.")
    turn_save(conversation=conversation, role="user", text="Hi.")
    turn_save(conversation=conversation, role="assistant", text="Hello!")
    config = conversation_config(conversation, turn_detection=False)

    rebuilt = config_decode(_wire(config_encode(config)))

    assert rebuilt == config  # `synthesize` aside: a function cannot travel
    assert rebuilt.history == (ChatMessage("user", "Hi."), ChatMessage("assistant", "Hello!"))
    assert rebuilt.library_voice == (alice.pk, "piper:joe") and callable(rebuilt.synthesize)


def test_a_conversation_with_no_worker_is_refused_with_a_reason():
    backend = RemoteConversationBackend(alias="cascade", engine=_cascade_engine(), open_timeout=0.2)
    with pytest.raises(ProviderError) as caught:
        async_to_sync(backend.open)(ConversationConfig())
    assert caught.value.kind == ErrorKind.UNAVAILABLE
    assert "no inference worker" in caught.value.message


def _cascade_engine() -> dict:
    engine = settings.CONVERSATION_ENGINES["cascade"]
    return engine["OPTIONS"].get("engine", engine)
