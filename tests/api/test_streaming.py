"""stream=True on the real stack (daphne and a transcription worker, separate processes): the text
reaches the client while the worker is still decoding a three-minute recording."""

import time

import numpy as np
import pytest
from django.conf import settings as django_settings
from django.db import connection
from openai import OpenAI

from apps.core.media import decode_all
from apps.transcripts.models import Transcript
from tests.media_factory import write_wav
from tests.speech.stack import Stack

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# English speech of the corpus, one recording after the other: 194 s.
RECORDINGS = [
    "sample.wav",
    "ami_trn04.wav",
    "jfk.flac",
    "ami_trn05.wav",
    "falcon_3spk.wav",
    "libri_2412-153948-0000.flac",
    "libri_2412-153948-0001.flac",
    "eagle_spk1_utt1.wav",
    "eagle_spk1_utt2.wav",
    "eagle_spk1_test.wav",
    "eagle_spk2_test.wav",
    "librivox_sns_0870.wav",
    "librivox_sns_0890.wav",
]


@pytest.fixture(scope="module")
def three_minutes(corpus, tmp_path_factory):
    audio = np.concatenate([decode_all(corpus / name) for name in RECORDINGS])
    return write_wav(tmp_path_factory.mktemp("audio") / "three_minutes.wav", audio)


@pytest.fixture(scope="module")
def stack(django_db_setup, django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock():
        db_path = connection.settings_dict["NAME"]
    with Stack(
        db_path=db_path,
        media_root=str(django_settings.MEDIA_ROOT),
        logs=tmp_path_factory.mktemp("stack-logs"),
        queue="default",
    ) as running:
        yield running


def test_the_first_delta_comes_long_before_the_end(stack, alice_key, three_minutes):
    client = OpenAI(base_url=f"{stack.url}/v1", api_key=alice_key, max_retries=0, timeout=600)
    started = time.monotonic()
    arrivals, first_state = [], None
    with open(three_minutes, "rb") as audio_file:  # as in OpenAI's guide to streaming
        stream = client.audio.transcriptions.create(
            model="gpt-4o-transcribe", file=audio_file, response_format="text", stream=True
        )
        for event in stream:
            arrivals.append((time.monotonic() - started, event))
            if first_state is None:
                t = Transcript.objects.get()
                first_state = (t.status, t.progress_done, t.duration)
    deltas = [(at, e) for at, e in arrivals if e.type == "transcript.text.delta"]
    (done_at, done), *_ = [(at, e) for at, e in arrivals if e.type == "transcript.text.done"]
    status, progress, duration = first_state
    assert duration == pytest.approx(194, abs=1), stack.log_tail()
    # The first text came while most of the audio was still to decode, and more kept coming.
    assert status == "running" and progress < duration / 2, first_state
    assert deltas[0][0] < done_at / 2, (deltas[0][0], done_at)
    # More kept coming as decoding went on: the deltas came at several moments (a 30 s view's
    # segments come out together), not in one burst at the end.
    moments = {round(at, 1) for at, _ in deltas if at < done_at * 0.9}
    assert len(deltas) >= 20 and len(moments) >= 4, (sorted(moments), done_at)
    assert "ask not what your country can do for you" in done.text.lower()
    assert done.text == "".join(e.delta for _, e in deltas).strip()
    assert done.usage.type == "tokens" and done.usage.input_tokens == round(duration * 10)
