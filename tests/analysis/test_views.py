"""Every analysis view: for the owner, for anonymous users (to the login page) and for another
user (404, as if nothing were there)."""

import pytest
from django.urls import reverse

from apps.analysis.models import VoiceProfile

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fake_analysis")]


@pytest.fixture
def transcript(alice, analysed):
    return analysed(alice, speakers=2)


@pytest.fixture
def profile(alice, transcript):
    return VoiceProfile.objects.create(owner=alice, name="Ada", embedding=[1.0], engine="fake")


def urls(transcript, profile) -> list[tuple[str, str, dict]]:
    a, b = transcript.speakers.order_by("label")
    segment = transcript.segments.first()
    return [
        ("post", reverse("analysis:start", args=[transcript.pk]), {"analyses": ["chapters"]}),
        ("get", reverse("analysis:status", args=[transcript.pk, "speakers"]), {}),
        ("post", reverse("analysis:speaker_rename", args=[a.pk]), {"name": "X"}),
        ("post", reverse("analysis:speaker_merge", args=[b.pk]), {"into": a.pk}),
        ("post", reverse("analysis:speaker_profile", args=[a.pk]), {"name": "X"}),
        ("post", reverse("analysis:segment_reassign", args=[segment.pk]), {"speaker": b.pk}),
        ("post", reverse("analysis:profile_rename", args=[profile.pk]), {"name": "X"}),
        ("post", reverse("analysis:profile_delete", args=[profile.pk]), {}),
    ]


def test_it_sends_anonymous_users_to_log_in(client, transcript, profile):
    for method, url, data in [
        *urls(transcript, profile),
        ("get", reverse("analysis:profiles"), {}),
    ]:
        response = getattr(client, method)(url, data)
        assert response.status_code == 302 and "/login" in response["Location"], url


def test_it_answers_404_for_another_users_things(bob_client, transcript, profile):
    for method, url, data in urls(transcript, profile):
        assert getattr(bob_client, method)(url, data).status_code == 404, url
    a = transcript.speakers.get(label="SPEAKER_00")
    assert a.name == "" and transcript.speakers.count() == 2
    assert VoiceProfile.objects.get(pk=profile.pk).name == "Ada"


def test_it_will_not_merge_into_another_users_speaker(bob, bob_client, analysed, transcript):
    bobs = analysed(bob, speakers=2)
    mine = bobs.speakers.first()
    url = reverse("analysis:speaker_merge", args=[mine.pk])
    theirs = transcript.speakers.first()
    assert bob_client.post(url, {"into": theirs.pk}).status_code == 404
    url = reverse("analysis:segment_reassign", args=[bobs.segments.first().pk])
    assert bob_client.post(url, {"speaker": theirs.pk}).status_code == 404
    assert bobs.speakers.count() == 2 and transcript.speakers.count() == 2


def test_the_owner_sees_every_analysis_on_the_page(alice_client, transcript):
    page = alice_client.get(transcript.get_absolute_url()).content.decode()
    for section in ('id="analyses"', 'id="summary"', 'id="speakers"', 'id="chapters"',
                    'id="entities"', 'id="sentiment"', 'class="sentiment-plot"'):  # fmt: skip
        assert section in page, section
    assert 'data-seek="0.0"' in page  # a chapter that seeks the player
    assert 'data-entity-filter="PERSON"' in page


def test_voice_profiles_are_private(alice_client, bob_client, profile):
    assert "Ada" in alice_client.get(reverse("analysis:profiles")).content.decode()
    assert "Ada" not in bob_client.get(reverse("analysis:profiles")).content.decode()


def test_the_owner_renames_and_deletes_a_profile(alice, alice_client, profile):
    alice_client.post(reverse("analysis:profile_rename", args=[profile.pk]), {"name": "Ada L."})
    assert VoiceProfile.objects.get(pk=profile.pk).name == "Ada L."
    VoiceProfile.objects.create(owner=alice, name="Bo", embedding=[1.0], engine="fake")
    alice_client.post(reverse("analysis:profile_rename", args=[profile.pk]), {"name": "Bo"})
    assert VoiceProfile.objects.get(pk=profile.pk).name == "Ada L."  # names are unique
    alice_client.post(reverse("analysis:profile_delete", args=[profile.pk]))
    assert not VoiceProfile.objects.filter(pk=profile.pk).exists()


def test_the_upload_form_asks_which_analyses_and_how_many_speakers(alice_client, corpus):
    page = alice_client.get(reverse("transcripts:new")).content.decode()
    assert 'name="analyses" value="speakers"' in page and 'name="speakers"' in page
    with open(corpus / "jfk.flac", "rb") as f:
        response = alice_client.post(
            reverse("transcripts:new"),
            {
                "file": f,
                "engine": "fake",
                "model": "fake",
                "task": "transcribe",
                "analyses": ["speakers", "keywords"],
                "speakers": "3",
            },  # fmt: skip
        )
    assert response.status_code == 302
    page = alice_client.get(response["Location"]).content.decode()
    assert "Speaker C" in page and 'id="summary"' in page  # keywords show with the summary
