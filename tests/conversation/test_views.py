"""The conversation pages: owner-scoped lists, pages and audio; a new conversation with its
instructions and a library voice; the page's socket refuses other users."""

from pathlib import Path

import pytest
from django.urls import reverse

from apps.conversation import services
from apps.conversation.models import Conversation
from tests.live.conftest import run_async, session_cookie
from tests.sockets import Communicator as WebsocketCommunicator

pytestmark = pytest.mark.django_db


@pytest.fixture
def talk(alice):
    conversation = services.conversation_create(owner=alice, instructions="Be brief.")
    services.turn_save(conversation=conversation, role="user", text="Hello there", pcm=bytes(4800),
                       item_id="item_1")  # fmt: skip
    services.turn_save(conversation=conversation, role="assistant", text="Hi! How can I help?",
                       pcm=bytes(9600), item_id="item_2")  # fmt: skip
    return conversation


def test_it_lists_the_owners_conversations_only(alice_client, bob_client, talk):
    assert "Hello there" in alice_client.get(reverse("conversation:list")).content.decode()
    assert "Hello there" not in bob_client.get(reverse("conversation:list")).content.decode()


def test_it_starts_a_conversation_with_instructions_and_a_voice(alice_client, alice):
    form = {"instructions": "Speak like a pirate.", "voice": "piper:joe"}
    response = alice_client.post(reverse("conversation:list"), form)
    conversation = Conversation.objects.get(owner=alice)
    assert response.url == reverse("conversation:page", args=[conversation.pk])
    assert (conversation.instructions, conversation.voice_id) == (
        "Speak like a pirate.",
        "piper:joe",
    )


def test_an_unknown_voice_is_refused(alice_client, alice):
    response = alice_client.post(reverse("conversation:list"), {"voice": "voice_" + "0" * 32})
    assert response.status_code == 200 and not Conversation.objects.exists()


def test_the_page_shows_the_saved_turns_with_their_audio(alice_client, talk):
    page = alice_client.get(reverse("conversation:page", args=[talk.pk])).content.decode()
    assert "Hello there" in page and "Hi! How can I help?" in page
    turn = talk.turns.get(role="assistant")
    audio = alice_client.get(reverse("conversation:turn_audio", args=[turn.pk]))
    assert audio["Content-Type"] == "audio/wav"
    assert b"".join(audio.streaming_content)[:4] == b"RIFF"


def test_another_user_gets_404_and_anonymous_users_log_in(client, bob_client, talk):
    turn = talk.turns.first()
    for url in (reverse("conversation:page", args=[talk.pk]),
                reverse("conversation:turn_audio", args=[turn.pk])):  # fmt: skip
        assert bob_client.get(url).status_code == 404
        assert client.get(url).status_code == 302
    assert bob_client.post(reverse("conversation:delete", args=[talk.pk])).status_code == 404


def test_the_owner_deletes_a_conversation_and_its_audio(alice_client, talk):
    path = talk.turns.first().audio.path
    alice_client.post(reverse("conversation:delete", args=[talk.pk]))
    assert not Conversation.objects.exists()
    assert not Path(path).exists()


@pytest.mark.django_db(transaction=True)
@run_async
async def test_the_socket_refuses_another_users_conversation(talk, bob):
    from channels.db import database_sync_to_async

    from voiceportal.asgi import application

    cookie = await database_sync_to_async(session_cookie)(bob)
    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost"), (b"cookie", cookie)]
    ws = WebsocketCommunicator(application, f"/ws/conversation/{talk.pk}/", headers=headers)
    connected, code = await ws.connect()
    assert (connected, code) == (False, 4404)
