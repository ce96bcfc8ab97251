import io

import av
import pytest
from django.conf import settings as django_settings
from openai import OpenAI

from apps.api.services import api_key_create
from apps.speech import services
from apps.voices.models import CustomVoice

# The fake engine: a tone per sentence, 0.05 s of audio per character at speed 1.
SECONDS_PER_CHAR = 0.05
THREE_SENTENCES = "The first sentence is here. A second one follows it. And the third ends it."


@pytest.fixture
def fake_tts(settings):
    """Adds the fake engine as "fake" (voices "fake:low" and "fake:high"); call it again with
    options (delay=..., fail_with=...) to change them."""

    def configure(**options):
        settings.TEXT_TO_SPEECH = {
            **django_settings.TEXT_TO_SPEECH,
            "fake": {"BACKEND": "apps.engines.tts.fake.FakeTextToSpeech", "OPTIONS": options},
        }

    configure()
    return configure


@pytest.fixture
def queued(settings):
    """Generations stay queued (no inline run) so a test drives the worker side itself."""
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.dummy.DummyBackend",
            "QUEUES": ["default", "speech"],
        }
    }


@pytest.fixture
def make_generation(fake_tts):
    def make(owner, text=THREE_SENTENCES, *, voice_id="fake:low", **options):
        return services.generation_create(owner=owner, text=text, voice_id=voice_id, **options)

    return make


@pytest.fixture
def alice_voice(alice):
    """A ready custom voice of alice's: Piper's Joe, pitched up."""
    return CustomVoice.objects.create(
        owner=alice,
        name="Alice's voice",
        status=CustomVoice.Status.DONE,
        match={
            "engine": "piper",
            "voice": "joe",
            "source_f0": 110.0,
            "target_f0": 150.0,
            "f0_range": 1.0,
        },
    )


def decoded_seconds(data: bytes, audio_format: str) -> float:
    """Seconds of audio in `data`, decoded with PyAV (raw PCM: 24 kHz 16-bit mono)."""
    if audio_format == "pcm":
        return len(data) / 2 / 24_000
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        samples = sum(frame.samples for frame in container.decode(stream))
        return samples / stream.rate


@pytest.fixture
def alice_key(alice):
    return api_key_create(owner=alice, name="tests")[1]


@pytest.fixture
def bob_key(bob):
    return api_key_create(owner=bob, name="tests")[1]


@pytest.fixture
def openai_client(live_server, alice_key):
    return OpenAI(base_url=f"{live_server.url}/v1", api_key=alice_key, max_retries=0, timeout=120)
