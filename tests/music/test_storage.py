"""Music in a storage without local paths (as an object store shared with workers on other
machines): a track's files are stored, served to their owner only, read back as a bed under
a spoken summary and by the API, and deleted through the storage."""

import wave

import pytest
from django.urls import reverse

from apps.api.music import audio_bytes
from apps.engines.music.audio import output_format_parse
from apps.music import services
from apps.music.models import Track
from tests.conftest import local_media

from . import test_spoken

fake_tts, transcript = test_spoken.fake_tts, test_spoken.transcript  # their fixtures

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_track_is_stored_served_mixed_and_deleted_in_an_object_store(
    alice,
    alice_client,
    bob_client,
    transcript,
    fake_tts,
    object_store,
):
    before = local_media()
    track = services.track_create(owner=alice, prompt="calm ambient", seconds=3, seed=2)
    track.refresh_from_db()
    assert track.status == "done"
    names = {track.audio.name, track.mp3.name, track.midi.name}
    assert object_store.objects() == names and local_media() == before

    for fmt, start in [("wav", b"RIFF"), ("mp3", b"ID3"), ("mid", b"MThd")]:
        url = reverse("music:file", args=[track.pk, fmt])
        response = alice_client.get(url, {"download": "1"})
        assert b"".join(response.streaming_content).startswith(start), fmt
        assert bob_client.get(url).status_code == 404
    with object_store.open(track.audio.name) as f, wave.open(f) as w:
        assert abs(w.getnframes() / w.getframerate() - 3) < 0.01
    assert audio_bytes(track, output_format_parse("mp3_44100_128"))  # the API's copy

    alice_client.post(
        reverse("music:spoken", args=[transcript.pk]), {"voice": "fake:low", "bed": str(track.pk)}
    )
    spoken = Track.objects.get(kind="spoken")
    assert spoken.status == "done" and "over “" in spoken.understood  # the bed was read

    alice_client.post(reverse("music:delete", args=[track.pk]))
    assert not object_store.objects() & names
