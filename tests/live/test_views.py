import pytest
from django.urls import reverse

from apps.jobs.models import JobStatus
from apps.live.models import LiveSession
from apps.transcripts.models import Transcript

pytestmark = pytest.mark.django_db


@pytest.fixture
def cut_off(alice):
    """A live recording whose web process died mid-session (the reaper failed the session)."""
    transcript = Transcript.objects.create(
        owner=alice, title="Cut off", engine="local", model="tiny.en", status=JobStatus.WAITING
    )
    LiveSession.objects.create(
        owner=alice, transcript=transcript, engine="local", status=JobStatus.FAILED
    )
    return transcript


def test_the_page_needs_a_login(client):
    response = client.get(reverse("live:page"))
    assert response.status_code == 302


def test_the_page_has_the_recorder_and_no_inline_script(alice_client):
    response = alice_client.get(reverse("live:page"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="live-record"' in html and "js/live.js" in html
    assert "<script>" not in html


def test_it_offers_to_continue_or_save_a_cut_off_recording(alice_client, cut_off):
    response = alice_client.get(reverse("live:page"))
    assert f"?transcript={cut_off.pk}" in response.content.decode()
    response = alice_client.get(reverse("live:page") + f"?transcript={cut_off.pk}")
    assert response.context["continued"] == cut_off


def test_save_makes_a_cut_off_recording_a_done_transcript(alice_client, cut_off):
    response = alice_client.post(reverse("live:save", args=[cut_off.pk]))
    assert response.status_code == 302
    cut_off.refresh_from_db()
    assert cut_off.status == JobStatus.DONE


def test_another_user_gets_404(bob_client, cut_off):
    assert bob_client.get(reverse("live:page") + f"?transcript={cut_off.pk}").status_code == 404
    assert bob_client.post(reverse("live:save", args=[cut_off.pk])).status_code == 404
    assert bob_client.get(reverse("live:page") + "?transcript=nonsense").status_code == 404


def test_the_reaper_fails_a_session_whose_process_died(alice, cut_off):
    from datetime import timedelta

    from django.utils import timezone

    from apps.jobs.services import jobs_reap

    stale = timezone.now() - timedelta(hours=1)
    session = LiveSession.objects.create(
        owner=alice, transcript=cut_off, engine="local", status=JobStatus.RUNNING,
        worker_id="elsewhere:1", heartbeat_at=stale,
    )  # fmt: skip
    jobs_reap(stale_after=60)
    session.refresh_from_db()
    assert session.status == JobStatus.FAILED  # not resumable: saved or continued by the user


def test_a_saved_live_recording_is_an_ordinary_transcript(alice, alice_client):
    from apps.engines.stt.base import Segment, Word
    from apps.live import services
    from apps.live.recording import recording_append

    params = services.LiveParams(engine="local", model="tiny.en", language="en")
    session = services.live_session_start(owner=alice, params=params)
    recording_append(services.recording_path(session.transcript), bytes(48000 * 3))
    words = (Word(" Hello", 0.5, 0.9), Word(" there.", 0.9, 1.4))
    segment = Segment(start=0.5, end=1.4, text=" Hello there.", words=words)
    services.live_segment_save(session=session, segment=segment, language="en")
    transcript = services.live_session_end(session=session)

    assert transcript.status == JobStatus.DONE and transcript.duration == 3.0
    assert transcript.text == "Hello there."
    srt = alice_client.get(reverse("transcripts:export", args=[transcript.pk, "srt"]))
    assert srt.status_code == 200 and "Hello there." in srt.content.decode()
    media = alice_client.get(reverse("transcripts:media", args=[transcript.pk]))
    assert media.status_code == 200
    assert b"".join(media.streaming_content)[:4] == b"RIFF"
    page = alice_client.get(transcript.get_absolute_url())
    assert page.status_code == 200
