"""A conversation's replies are spoken with the owner's pronunciation dictionary, whether or not
a voice from the library was chosen."""

import pytest
from django.conf import settings as django_settings

from apps.conversation import services
from apps.voices.services import pronunciation_set

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("voice_id", ["fake:high", ""])
def test_replies_read_the_owners_words(settings, alice, bob, voice_id):
    settings.TEXT_TO_SPEECH = {
        **django_settings.TEXT_TO_SPEECH,
        "fake": {"BACKEND": "apps.engines.tts.fake.FakeTextToSpeech", "OPTIONS": {}},
    }
    settings.TEXT_TO_SPEECH_DEFAULT = "fake"  # the cascade's voice when none is chosen
    pronunciation_set(owner=alice, word="Nevers", say_as="nuh-VAIR")
    pronunciation_set(owner=bob, word="drove", say_as="DROHV")
    conversation = services.conversation_create(owner=alice, voice_id=voice_id)
    said = services.conversation_config(conversation).synthesize("We drove to Nevers.")
    assert [c.text for c in said] == ["We drove to nuh-VAIR."]
