"""Speech in a storage without local paths (as an object store shared with workers on other
machines): a listener follows the audio while the worker speaks it, and the finished file is
downloaded, ranged and deleted through the storage."""

import threading

import pytest
from django.urls import reverse

from apps.core.storage import GrowingReader
from apps.jobs.runner import job_run
from apps.speech.models import Generation
from tests.conftest import local_media
from tests.speech.test_services import wait_until
from tests.speech.test_views import read_async

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume"),
]


def test_speech_streams_while_spoken_and_downloads_from_an_object_store(
    alice, alice_client, bob_client, make_generation, fake_tts, queued, object_store
):
    before = local_media()
    fake_tts(delay=0.3)
    g = make_generation(alice, audio_format="mp3")
    runner = threading.Thread(target=job_run, kwargs={"model": Generation, "job_id": g.pk})
    runner.start()
    # While it is spoken, the pieces are in the store, and a listener hears them.
    wait_until(lambda: any(".parts/" in name for name in object_store.objects()))
    early = GrowingReader(g.audio.name).read(1 << 20)
    assert early and Generation.objects.get(pk=g.pk).status == "running"
    # The listener reads the pieces, then the rest from the whole file.
    streamed = read_async(alice_client.get(reverse("speech:stream", args=[g.pk])))
    runner.join(timeout=30)
    g.refresh_from_db()
    assert g.status == "done" and g.duration > 1
    assert object_store.objects() == {g.audio.name}  # the pieces are gone
    stored = object_store.open(g.audio.name).read()
    assert streamed == stored and stored.startswith(early) and len(stored) == g.audio_size
    assert local_media() == before  # the spool is empty again

    url = reverse("speech:audio", args=[g.pk])
    download = alice_client.get(url + "?download=1")
    assert download["Content-Disposition"].startswith("attachment;")
    assert b"".join(download.streaming_content) == stored
    part = alice_client.get(url, HTTP_RANGE="bytes=10-19")
    assert part.status_code == 206 and b"".join(part.streaming_content) == stored[10:20]
    assert bob_client.get(url).status_code == 404

    alice_client.post(reverse("speech:delete", args=[g.pk]))
    assert object_store.objects() == set()


def test_a_wav_is_stored_with_its_real_sizes(alice, make_generation, object_store):
    g = make_generation(alice, audio_format="wav")  # spoken inline
    g.refresh_from_db()
    data = object_store.open(g.audio.name).read()
    assert g.status == "done" and len(data) == g.audio_size
    assert int.from_bytes(data[4:8], "little") == len(data) - 8
    assert int.from_bytes(data[40:44], "little") == len(data) - 44
