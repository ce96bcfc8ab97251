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
