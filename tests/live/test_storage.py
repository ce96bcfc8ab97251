"""A live recording in a storage without local paths (as an object store shared with workers on
other machines): it grows in this machine's spool while the session runs, is stored when it
ends, and is fetched back when the recording is continued."""

import pytest
from django.urls import reverse

from apps.engines.stt.streaming.base import AUDIO_RATE
from apps.jobs.models import JobStatus
from apps.live import services
from apps.live.recording import recording_append
from tests.conftest import local_media

pytestmark = pytest.mark.django_db

SECOND = AUDIO_RATE * 2  # PCM16 mono


def test_a_live_recording_is_stored_and_continued_in_an_object_store(
    alice, alice_client, bob_client, object_store
):
    before = local_media()
    params = services.LiveParams(engine="local", model="tiny.en", language="en")
    session = services.live_session_start(owner=alice, params=params)
    recording_append(services.recording_path(session.transcript), bytes(3 * SECOND))
    transcript = services.live_session_end(session=session)
    assert transcript.status == JobStatus.DONE and transcript.duration == 3.0
    assert object_store.objects() == {transcript.media.name} and local_media() == before

    again = services.LiveParams(**{**params.__dict__, "transcript_id": str(transcript.pk)})
    session = services.live_session_start(owner=alice, params=again)
    assert session.offset == 3.0  # the stored recording was fetched to grow on
    recording_append(services.recording_path(session.transcript), bytes(SECOND))
    transcript = services.live_session_end(session=session)
    assert transcript.duration == 4.0 and local_media() == before

    url = reverse("transcripts:media", args=[transcript.pk])
    data = b"".join(alice_client.get(url).streaming_content)
    assert data[:4] == b"RIFF" and len(data) == 44 + 4 * SECOND == transcript.media_size
    assert int.from_bytes(data[40:44], "little") == 4 * SECOND  # sealed with its real size
    assert bob_client.get(url).status_code == 404
