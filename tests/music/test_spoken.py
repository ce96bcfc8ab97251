"""The spoken summary: a transcript's summary in a chosen voice, over a music bed ducked under
the voice, made from the transcript page into the music library."""

import numpy as np
import pytest
from django.urls import reverse

from apps.analysis.models import AnalysisRun
from apps.music import services
from apps.music.models import Track
from apps.music.spoken import BED_GAIN, DUCKED_GAIN, LEAD_IN, RATE, TAIL, duck_mix

pytestmark = pytest.mark.django_db(transaction=True)
SUMMARY = "Numbers are counted. Then the counting stops."


@pytest.fixture
def fake_tts(settings):
    from django.conf import settings as django_settings

    settings.TEXT_TO_SPEECH = {
        **django_settings.TEXT_TO_SPEECH,
        "fake": {"BACKEND": "apps.engines.tts.fake.FakeTextToSpeech", "OPTIONS": {}},
    }


@pytest.fixture
def transcript(alice, make_transcript):
    transcript = make_transcript(alice)
    transcript.refresh_from_db()
    AnalysisRun.objects.update_or_create(
        transcript=transcript, owner=alice, kind="summary",
        defaults={"status": "done", "result": {"text": SUMMARY, "method": "extractive",
                                               "model": "lexrank"}},
    )  # fmt: skip
    return transcript


def test_the_bed_is_lowered_while_the_voice_speaks():
    t = np.arange(3 * RATE) / RATE
    speech = (0.5 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    speech[RATE : 2 * RATE] = 0  # a second's pause in the middle
    bed = np.full((RATE, 2), 0.3, dtype=np.float32)  # shorter than the mix: looped
    mix, gain = duck_mix(speech, bed)
    assert len(mix) == round((LEAD_IN + 3 + TAIL) * RATE)
    at = lambda seconds: gain[round(seconds * RATE)]  # noqa: E731
    assert at(1.0) == pytest.approx(BED_GAIN, rel=0.05)  # the lead-in: music alone
    assert at(LEAD_IN + 0.8) == pytest.approx(DUCKED_GAIN, rel=0.1)  # under the voice
    assert at(LEAD_IN + 1.95) > 2 * DUCKED_GAIN  # raised again in the pause
    assert at(LEAD_IN + 2.8) == pytest.approx(DUCKED_GAIN, rel=0.1)
    assert gain[-1] == 0 and np.abs(mix).max() <= 0.9  # faded out, no clipping


def test_it_speaks_the_summary_over_a_bed_from_the_transcript_page(
    alice_client, alice, transcript, fake_tts
):
    page = alice_client.get(transcript.get_absolute_url()).content.decode()
    assert reverse("music:spoken_form", args=[transcript.pk]) in page
    bed = services.track_create(owner=alice, prompt="calm ambient", seconds=4, seed=2)
    form = alice_client.get(reverse("music:spoken_form", args=[transcript.pk])).content.decode()
    assert f'value="{bed.pk}"' in form
    response = alice_client.post(
        reverse("music:spoken", args=[transcript.pk]), {"voice": "fake:low", "bed": str(bed.pk)}
    )
    spoken = Track.objects.get(kind="spoken")
    assert response.url == spoken.get_absolute_url()
    assert spoken.status == "done" and spoken.prompt == SUMMARY and spoken.bed == bed
    assert "over “" in spoken.understood
    assert spoken.duration > LEAD_IN + TAIL + 1  # the voice, with the bed before and after


def test_it_refuses_another_users_bed_and_transcript(alice, bob, bob_client, transcript, fake_tts):
    bed = services.track_create(owner=alice, prompt="calm ambient", seconds=3, seed=2)
    post = {"voice": "fake:low", "bed": str(bed.pk)}
    assert bob_client.post(reverse("music:spoken", args=[transcript.pk]), post).status_code == 404
    with pytest.raises(Exception, match="finished music track of your library"):
        services.spoken_summary_create(owner=bob, transcript=transcript, voice_id="fake:low",
                                       bed_id=bed.pk)  # fmt: skip
    assert not Track.objects.filter(kind="spoken").exists()
