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
