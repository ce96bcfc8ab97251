"""Each API key's usage (requests, audio transcribed, characters spoken), counted from what the
official SDK sends and shown on the account page."""

import openai
import pytest
from django.urls import reverse

from apps.api.models import ApiKey

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # The test server is WSGI: it gathers the async stream first (daphne streams it).
    pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume"),
]


def test_usage_is_counted_per_key_and_shown_on_the_account_page(
    openai_client, alice_client, bob_key, corpus
):
    with open(corpus / "jfk.flac", "rb") as f:
        openai_client.audio.transcriptions.create(model="whisper-1", file=f)
    text = "Counting what each key costs."
    with openai_client.audio.speech.with_streaming_response.create(
        model="tts-1", voice="echo", input=text
    ) as response:
        response.read()
    with pytest.raises(openai.BadRequestError):  # refused, yet a request all the same
        openai_client.audio.speech.create(model="tts-1", voice="no-such-voice", input="Hi.")

    alice_key = ApiKey.objects.get(owner__username="alice")
    assert alice_key.request_count == 3
    assert alice_key.audio_seconds == pytest.approx(11.0, abs=0.2)  # jfk.flac
    assert alice_key.characters == len(text)
    assert ApiKey.objects.get(owner__username="bob").request_count == 0

    page = alice_client.get(reverse("account_settings")).content.decode()
    assert ">3</td>" in page and "0.2 min" in page and f">{len(text)}</td>" in page
