"""The ElevenLabs-compatible endpoints, driven by the official `elevenlabs` SDK against the
running portal: music and sound effects land in the key owner's library."""

import io

import av
import pytest
from elevenlabs.client import ElevenLabs
from elevenlabs.core import ApiError

from apps.api.services import api_key_create
from apps.music.models import Track

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def alice_key(alice):
    return api_key_create(owner=alice, name="tests")[1]


@pytest.fixture
def client(live_server, alice_key):
    return ElevenLabs(base_url=live_server.url, api_key=alice_key, timeout=60)


def _seconds(data: bytes) -> float:
    with av.open(io.BytesIO(data)) as media:
        stream = media.streams.audio[0]
        return sum(f.samples for f in media.decode(stream)) / stream.codec_context.sample_rate


def test_music_compose_through_the_sdk(client, alice):
    audio = b"".join(
        client.music.compose(prompt="calm lo-fi with piano, 80 bpm", music_length_ms=4000, seed=5)
    )
    assert abs(_seconds(audio) - 4.0) < 0.1  # an mp3 (mp3_44100_128, the default)
    track = Track.objects.get()
    assert track.owner == alice and track.source == "api" and track.seed == 5
    assert "80 bpm" in track.understood


def test_a_composition_plan_sets_the_sections(client):
    from elevenlabs import MusicPrompt, SongSection

    plan = MusicPrompt(
        positive_global_styles=["epic cinematic", "D minor"],
        negative_global_styles=[],
        sections=[
            SongSection(
                section_name=name,
                positive_local_styles=[],
                negative_local_styles=[],
                duration_ms=ms,
                lines=[],
            )  # fmt: skip
            for name, ms in (("Intro", 2000), ("Chorus", 3000))
        ],
    )
    pcm = b"".join(client.music.compose(composition_plan=plan, output_format="pcm_16000"))
    assert len(pcm) == 5 * 16000 * 2  # raw 16-bit mono, 5 s
    track = Track.objects.get()
    assert [s["name"] for s in track.sections] == ["Intro", "Chorus"]
    assert "D minor" in track.understood


def test_sound_effects_through_the_sdk(client, live_server, alice_key):
    audio = b"".join(
        client.text_to_sound_effects.convert(
            text="heavy rain", duration_seconds=1.5, output_format="wav_22050"
        )  # fmt: skip
    )
    assert audio[:4] == b"RIFF" and abs(_seconds(audio) - 1.5) < 0.01
    assert Track.objects.get().kind == "effect"


def test_bad_requests_get_clear_errors(client, live_server):
    for params, words in [
        ({"prompt": "", "music_length_ms": 5000}, "prompt is empty"),
        ({"prompt": "jazz", "music_length_ms": 0}, "from 3 seconds to 10 minutes"),
        ({"prompt": "jazz", "music_length_ms": 20 * 60_000}, "from 3 seconds to 10 minutes"),
        ({"prompt": "jazz", "output_format": "flac_44100"}, "Unknown output_format"),
    ]:
        with pytest.raises(ApiError) as caught:
            b"".join(client.music.compose(**params))
        assert caught.value.status_code == 422, params
        assert words in str(caught.value.body), params
    with pytest.raises(ApiError) as effect:
        b"".join(client.text_to_sound_effects.convert(text="a unicorn sneezing"))
    assert effect.value.status_code == 422 and "makes only these sounds" in str(effect.value.body)
    assert not Track.objects.exists()
    wrong_key = ElevenLabs(base_url=live_server.url, api_key="sk-wrong")
    with pytest.raises(ApiError) as refused:
        b"".join(wrong_key.text_to_sound_effects.convert(text="rain"))
    assert refused.value.status_code == 401


def test_the_key_also_works_as_a_bearer_token(live_server, alice_key):
    import httpx

    response = httpx.post(
        f"{live_server.url}/v1/sound-generation?output_format=pcm_16000",
        json={"text": "a short beep", "duration_seconds": 0.5},
        headers={"Authorization": f"Bearer {alice_key}"},
        timeout=30,
    )
    assert response.status_code == 200 and len(response.content) == 16000


def test_a_cloud_engine_behind_the_portal(client, settings):
    """The portal's API in front of its ElevenLabs engine (in front of the fake): the audio is
    ElevenLabs', and ElevenLabs' refusal reaches the client as the same status."""
    from django.conf import settings as django_settings

    from tests.fakes.elevenlabs_music_server import FakeElevenLabsMusicServer

    with FakeElevenLabsMusicServer() as fake:
        settings.MUSIC = {
            **django_settings.MUSIC,
            "elevenlabs": {
                "BACKEND": "apps.engines.music.elevenlabs.ElevenLabsMusic",
                "OPTIONS": {"api_key": fake.api_key, "base_url": fake.url, "max_retries": 0},
            },
        }
        audio = b"".join(
            client.music.compose(prompt="lo-fi", music_length_ms=3000, model_id="elevenlabs")
        )
        assert abs(_seconds(audio) - 3.0) < 0.1
        assert fake.requests_to("/v1/music")[0].json["prompt"] == "lo-fi"
        fake.script(status=429, path="/v1/music")
        with pytest.raises(ApiError) as caught:
            b"".join(
                client.music.compose(
                    prompt="jazz", model_id="elevenlabs", request_options={"max_retries": 0}
                )
            )
        assert caught.value.status_code == 429
        assert "Too many concurrent requests" in str(caught.value.body)
    assert [t.status for t in Track.objects.order_by("created_at")] == ["done", "failed"]
