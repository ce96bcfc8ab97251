"""Per-user quotas on uploads: a clear refusal (403 storage, 429 minutes per day) before
anything is kept; defaults from settings, a user's own limits from the admin."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from apps.api.services import api_key_create
from apps.jobs.models import UserQuota
from apps.transcripts.models import Transcript

pytestmark = pytest.mark.django_db(transaction=True)


def _web_upload(client, corpus):
    data = {"engine": "fake", "model": "fake", "task": "transcribe"}
    data["file"] = SimpleUploadedFile("jfk.flac", (corpus / "jfk.flac").read_bytes())
    return client.post(reverse("transcripts:new"), data)


def _api_upload(client, key, corpus):
    audio = SimpleUploadedFile("jfk.flac", (corpus / "jfk.flac").read_bytes())
    return client.post(
        "/v1/audio/transcriptions",
        {"model": "whisper-1", "file": audio},
        headers={"Authorization": f"Bearer {key}"},
    )


def _media_files(settings) -> list:
    return [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()]


def test_an_upload_past_the_storage_limit_is_refused_and_nothing_is_kept(
    alice, alice_client, make_transcript, corpus, settings
):
    kept = make_transcript(alice)
    Transcript.objects.filter(pk=kept.pk).update(media_size=1024 * 1024)
    UserQuota.objects.create(user=alice, storage_mb=1)
    files = _media_files(settings)
    response = _web_upload(alice_client, corpus)
    assert response.status_code == 403
    assert "storage limit of 1 MB" in response.content.decode()
    assert list(Transcript.objects.filter(owner=alice)) == [kept]
    assert _media_files(settings) == files


def test_the_api_refuses_past_the_daily_minutes_with_429_and_no_retry(
    alice, client, make_transcript, corpus, settings
):
    settings.VOICEPORTAL_QUOTA_MINUTES_PER_DAY = 1
    today = make_transcript(alice)  # 11 s
    Transcript.objects.filter(pk=today.pk).update(duration=55.0)
    key = api_key_create(owner=alice, name="t")[1]
    response = _api_upload(client, key, corpus)
    assert response.status_code == 429
    error = response.json()["error"]
    assert error["code"] == "quota_exceeded" and "1 minutes of audio a day" in error["message"]
    assert response["x-should-retry"] == "false"
    assert Transcript.objects.filter(owner=alice).count() == 1
    # Yesterday's minutes do not count today.
    Transcript.objects.filter(pk=today.pk).update(created_at=timezone.now() - timedelta(days=1))
    assert _api_upload(client, key, corpus).status_code == 200


def test_a_users_own_limit_wins_over_the_default(
    alice, alice_client, bob_client, make_transcript, bob, corpus, settings
):
    for owner in (alice, bob):
        Transcript.objects.filter(pk=make_transcript(owner).pk).update(media_size=1024 * 1024)
    settings.VOICEPORTAL_QUOTA_STORAGE_MB = 1
    UserQuota.objects.create(user=alice, storage_mb=0)  # staff lifted alice's limit
    assert _web_upload(alice_client, corpus).status_code == 302
    assert _web_upload(bob_client, corpus).status_code == 403  # bob has the default
