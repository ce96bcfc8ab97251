"""apps/core/storage.py and the ranged responses, on a storage without local paths (as an
object store): files are read through the storage, copied where a path is needed, and a file
that grows in one process is followed from another."""

import pytest
from django.core.files.base import ContentFile
from django.test import RequestFactory

from apps.core.http import ranged_file_response
from apps.core.storage import (
    GrowingFile,
    GrowingReader,
    StoredFile,
    folder_delete,
    local_copy,
    media_save,
)
from tests.conftest import local_media


def test_a_stored_file_is_served_whole_and_by_range(object_store):
    data = bytes(range(256)) * 4000  # past one read chunk
    stored = StoredFile(object_store.save("media/clip.wav", ContentFile(data)), object_store)
    rf = RequestFactory()

    whole = ranged_file_response(rf.get("/"), stored)
    assert whole.status_code == 200 and whole["Content-Length"] == str(len(data))
    assert whole["Content-Type"] == "audio/x-wav" and b"".join(whole.streaming_content) == data

    part = ranged_file_response(rf.get("/", HTTP_RANGE="bytes=1000-300000"), stored)
    assert part.status_code == 206 and part["Content-Range"] == f"bytes 1000-300000/{len(data)}"
    assert b"".join(part.streaming_content) == data[1000:300001]
    tail = ranged_file_response(rf.get("/", HTTP_RANGE="bytes=-10"), stored)
    assert b"".join(tail.streaming_content) == data[-10:]
    past = ranged_file_response(rf.get("/", HTTP_RANGE=f"bytes={len(data)}-"), stored)
    assert past.status_code == 416


def test_a_missing_file_is_404(object_store):
    from django.http import Http404

    with pytest.raises(Http404):
        ranged_file_response(RequestFactory().get("/"), StoredFile("gone.wav", object_store))


def test_a_path_is_a_copy_that_goes_when_the_block_ends(object_store):
    name = object_store.save("voices/1/take.wav", ContentFile(b"RIFF-data"))
    with local_copy(StoredFile(name, object_store)) as path:
        assert path.name == "take.wav" and path.read_bytes() == b"RIFF-data"
    assert not path.exists() and not path.parent.exists()


def test_saving_replaces_and_a_folder_goes_whole(object_store):
    assert media_save("music/1/2/track.wav", b"one") == "music/1/2/track.wav"
    assert media_save("music/1/2/track.wav", b"two") == "music/1/2/track.wav"
    media_save("music/1/2/stems/drums.wav", b"x")
    media_save("music/1/3/track.wav", b"other")
    assert object_store.open("music/1/2/track.wav").read() == b"two"
    folder_delete("music/1/2")
    assert object_store.objects() == {"music/1/3/track.wav"}


def test_a_growing_file_is_followed_through_the_store_and_stored_whole(object_store):
    before = local_media()
    out = GrowingFile("speech/1/9/speech.mp3")
    reader = GrowingReader("speech/1/9/speech.mp3")
    assert not out.in_place and reader.read(1024) == b""
    out.write(b"first ")
    out.write(b"second ")
    assert reader.read(1024) == b"first " and reader.read(1024) == b"second "
    assert reader.read(1024) == b""
    out.write(b"third")
    out.store()
    assert object_store.objects() == {"speech/1/9/speech.mp3"}  # the parts are gone
    assert reader.read(1024) == b"third" and reader.read(1024) == b""
    # A reader that starts late reads the stored file.
    assert GrowingReader("speech/1/9/speech.mp3").read(1024) == b"first second third"
    assert local_media() == before  # nothing left in the spool


def test_with_redirects_the_owner_is_sent_to_the_stores_url(
    alice, alice_client, bob_client, make_transcript, object_store, settings
):
    from django.urls import reverse

    t = make_transcript(alice)
    settings.VOICEPORTAL_MEDIA_REDIRECT = True
    url = reverse("transcripts:media", args=[t.pk])
    response = alice_client.get(url)
    assert response.status_code == 302 and response["Location"] == f"/objects/{t.media.name}"
    assert bob_client.get(url).status_code == 404
