"""The seed's pipeline: a transcript (or its summary) read aloud in a chosen voice."""

import pytest
from django.urls import reverse

from apps.analysis.models import AnalysisRun
from apps.speech.models import Generation

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def transcript(alice, make_transcript):
    transcript = make_transcript(alice)  # the fake engine: "Segment 0. Segment 1. …"
    transcript.refresh_from_db()  # the job ran inline and wrote through queries
    return transcript


def test_it_offers_voices_on_the_transcript_page(alice_client, transcript, fake_tts):
    form = alice_client.get(reverse("speech:read_aloud_form", args=[transcript.pk]))
    html = form.content.decode()
    assert 'value="fake:low"' in html and "the whole transcript" in html
    # Grouped as in the studio, the default voice chosen: not 239 options in a row.
    assert html.index('label="Natural voices"') < html.index('label="Robotic voices')
    assert '<option value="piper:joe" selected>' in html


def test_it_reads_the_whole_transcript(alice_client, alice, transcript, fake_tts):
    response = alice_client.post(
        reverse("speech:read_aloud", args=[transcript.pk]),
        {"voice": "fake:low", "what": "transcript"},
    )
    generation = Generation.objects.get(owner=alice)
    assert response["Location"].endswith(f"?g={generation.pk}")
    assert generation.text == transcript.text and generation.status == "done"
    assert generation.duration > 0


def test_it_reads_the_summary_when_there_is_one(alice_client, alice, transcript, fake_tts):
    AnalysisRun.objects.update_or_create(
        transcript=transcript,
        owner=alice,
        kind="summary",
        defaults={
            "status": "done",
            "result": {"text": "Numbers are counted.", "method": "extractive", "model": "lexrank"},
        },
    )
    alice_client.post(
        reverse("speech:read_aloud", args=[transcript.pk]), {"voice": "fake:low", "what": "summary"}
    )
    assert Generation.objects.get(owner=alice).text == "Numbers are counted."


def test_it_reads_texts_longer_than_the_engine_takes_at_once(alice, transcript, fake_tts, settings):
    from apps.speech.services import generation_read_aloud
    from apps.transcripts.models import Transcript

    fake_tts(max_chars=60)
    long_text = " ".join(f"This is sentence number {i}." for i in range(40))
    Transcript.objects.filter(pk=transcript.pk).update(text=long_text)
    transcript.refresh_from_db()
    generation = generation_read_aloud(
        owner=alice, transcript=transcript, voice_id="fake:low", what="transcript"
    )
    generation.refresh_from_db()
    assert generation.status == "done", generation.error
    assert generation.sentences_total == 40


def test_it_hides_alices_transcript_from_bob(bob_client, transcript, fake_tts):
    assert (
        bob_client.get(reverse("speech:read_aloud_form", args=[transcript.pk])).status_code == 404
    )
    response = bob_client.post(
        reverse("speech:read_aloud", args=[transcript.pk]), {"voice": "fake:low"}
    )
    assert response.status_code == 404 and not Generation.objects.exists()


def test_it_plays_in_place_on_the_transcript_page(alice_client, alice, transcript, fake_tts):
    response = alice_client.post(
        reverse("speech:read_aloud", args=[transcript.pk]),
        {"voice": "fake:low", "what": "transcript"},
        HTTP_HX_REQUEST="true",
    )
    generation = Generation.objects.get(owner=alice)
    html = response.content.decode()
    assert response.status_code == 200 and "speech:history" in response["HX-Trigger"]
    assert 'id="read-aloud"' in html and "{#" not in html
    assert f'src="{generation.stream_url}"' in html and "<html" not in html


def test_it_says_in_place_why_it_cannot_read(alice_client, alice, transcript, fake_tts):
    response = alice_client.post(
        reverse("speech:read_aloud", args=[transcript.pk]),
        {"voice": "no:such-voice", "what": "transcript"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200 and 'role="alert"' in html
    assert not Generation.objects.exists()
