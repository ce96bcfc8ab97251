import pytest
from django.urls import reverse

from apps.transcripts.models import Transcript

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_transcribes_an_upload_end_to_end(alice_client, corpus):
    with open(corpus / "jfk.flac", "rb") as f:
        response = alice_client.post(
            reverse("transcripts:new"),
            {"file": f, "engine": "local", "model": "tiny.en", "task": "transcribe"},
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    transcript = Transcript.objects.get()
    assert transcript.status == "done", transcript.error
    assert "ask not what your country" in transcript.text.lower()
    page = alice_client.get(transcript.get_absolute_url())
    assert b'class="w"' in page.content
