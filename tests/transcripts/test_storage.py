"""Transcripts through Django's STORAGES: with a storage that has no local paths (as an object
store shared by web servers and workers on other machines), an upload is probed, transcribed
from a temporary local copy, and deleted."""

from pathlib import Path

import pytest

from apps.core.storage import local_path
from apps.transcripts.models import Transcript
from apps.transcripts.services import transcript_delete

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def no_local_paths(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }


def test_a_transcript_is_made_from_a_storage_without_local_paths(
    alice, make_transcript, no_local_paths, settings
):
    on_disk = set(settings.MEDIA_ROOT.rglob("*"))
    t = make_transcript(alice)
    t.refresh_from_db()
    assert local_path(t.media) is None and t.media.storage.exists(t.media.name)
    assert t.status == "done" and t.duration == pytest.approx(11.0, abs=0.1)
    assert t.segments.count() == 6
    assert set(settings.MEDIA_ROOT.rglob("*")) == on_disk  # nothing went to the local folder
    # The temporary copy the engine read is gone as well.
    assert not list(Path(settings.FILE_UPLOAD_TEMP_DIR).rglob("*.flac"))
    name, storage = t.media.name, t.media.storage
    transcript_delete(transcript=t)
    assert not storage.exists(name) and not Transcript.objects.filter(pk=t.pk).exists()


def test_an_upload_is_transcribed_served_edited_and_deleted_in_an_object_store(
    alice_client, bob_client, corpus, object_store
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from apps.transcripts import editing
    from apps.transcripts.models import SegmentAlignment
    from tests.conftest import local_media

    before = local_media()
    data = (corpus / "jfk.flac").read_bytes()
    fields = {"engine": "local", "model": "tiny.en", "task": "transcribe"}
    alice_client.post(
        reverse("transcripts:new"), {**fields, "file": SimpleUploadedFile("jfk.flac", data)}
    )
    t = Transcript.objects.get()
    assert t.status == "done" and "country" in t.text.lower()
    assert object_store.objects() == {t.media.name}
    assert local_media() == before  # probed and transcribed without a file left here

    media = reverse("transcripts:media", args=[t.pk])
    whole = alice_client.get(media)
    assert whole["Content-Type"] == "audio/flac" and b"".join(whole.streaming_content) == data
    part = alice_client.get(media, HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206 and b"".join(part.streaming_content) == data[100:200]
    assert bob_client.get(media).status_code == 404
    redacted = alice_client.get(reverse("analysis:redacted_audio", args=[t.pk]))
    assert b"".join(redacted.streaming_content)[:4] == b"RIFF"

    # An edit is aligned again from the stored recording, read where the segment is.
    segment = t.segments.order_by("index").last()
    editing.segment_edit(segment=segment, editor=t.owner, text=segment.text + " Thank you.")
    assert SegmentAlignment.objects.get(segment=segment).status == "done"

    alice_client.post(reverse("transcripts:delete", args=[t.pk]))
    assert object_store.objects() == set() and local_media() == before
