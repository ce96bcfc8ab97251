"""The voice pages: the library with its filters and previews, making a voice, a voice's page,
and who may see what (another user gets 404; a user it is shared with may look and use)."""

import io
from pathlib import Path

import av
import pytest
from django.urls import reverse

from apps.jobs.runner import job_run
from apps.voices import services
from apps.voices.models import CustomVoice, VoicePreview, VoiceShare
from apps.voices.selectors import voice_resolve

from .conftest import CANNED_MATCH, upload, voice_files

pytestmark = pytest.mark.django_db


def stock_ids(response) -> set[str]:
    html = response.content.decode()
    return {part.split('"')[0] for part in html.split('data-voice-id="')[1:]}


# --- The library ---------------------------------------------------------------------------------


def test_the_library_needs_a_login(client):
    for name in ("voices:library", "voices:new"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/login" in response["Location"]


def test_it_shows_stock_voices_of_every_engine(alice_client):
    response = alice_client.get(reverse("voices:library"), {"engine": "kokoro"})
    assert response.status_code == 200
    assert stock_ids(response) == {
        "kokoro:jf_alpha", "kokoro:jf_gongitsune", "kokoro:jf_nezumi", "kokoro:jf_tebukuro",
        "kokoro:jm_kumo",
    }  # fmt: skip
    html = response.content.decode()
    for label in ("Piper (neural, offline)", "eSpeak NG", "Kokoro (neural, offline)"):
        assert label in html  # in the engine filter


@pytest.mark.parametrize(
    "query,inside,outside",
    [
        ({"language": "de"}, "espeak:de", "piper:joe"),
        ({"gender": "female", "engine": "kokoro"}, "kokoro:jf_alpha", "kokoro:jm_kumo"),
        ({"style": "robotic"}, "espeak:fr-fr", "kokoro:jf_alpha"),
        ({"q": "joe"}, "piper:joe", "kokoro:jf_alpha"),
    ],
)
def test_it_filters_stock_voices(alice_client, query, inside, outside):
    ids = stock_ids(alice_client.get(reverse("voices:library"), query | {"page": "1"}))
    assert inside in ids and outside not in ids


def test_an_htmx_filter_answers_the_list_alone(alice_client):
    response = alice_client.get(
        reverse("voices:library"),
        {"language": "de"},
        headers={"HX-Request": "true", "HX-Target": "stock-voices"},
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="stock-voices">') and "<html" not in html
    assert "espeak:de" in stock_ids(response)


@pytest.mark.django_db(transaction=True)
def test_a_preview_is_made_once_and_then_played(alice_client):
    url = reverse("voices:preview", args=["fake:low"])
    response = alice_client.post(url)
    audio_url = reverse("voices:preview_audio", args=["fake:low"])
    assert f'data-preview-src="{audio_url}"' in response.content.decode()
    assert "data-autoplay" in response.content.decode()
    audio = b"".join(alice_client.get(audio_url).streaming_content)
    with av.open(io.BytesIO(audio)) as container:
        assert container.format.name == "mp3"
    assert alice_client.post(url).status_code == 200 and VoicePreview.objects.count() == 1
    # The library now links the ready clip.
    response = alice_client.get(reverse("voices:library"), {"engine": "fake"})
    assert f'data-preview-src="{audio_url}"' in response.content.decode()


def test_a_preview_is_polled_until_a_worker_made_it(alice_client, queued):
    url = reverse("voices:preview", args=["fake:high"])
    assert "Preparing preview" in alice_client.post(url).content.decode()
    assert "Preparing preview" in alice_client.get(url).content.decode()
    job_run(model=VoicePreview, job_id=VoicePreview.objects.get(key="fake:high").pk)
    assert "data-preview-src" in alice_client.get(url).content.decode()


def test_unknown_voices_have_no_preview(alice_client):
    for voice_id in ("piper:nobody", "voice_" + "2" * 32):
        assert alice_client.post(reverse("voices:preview", args=[voice_id])).status_code == 404
        assert alice_client.get(reverse("voices:preview_audio", args=[voice_id])).status_code == 404


# --- Making a voice ------------------------------------------------------------------------------


def form_data(corpus, **overrides):
    return {
        "name": "Eagle",
        "samples": [upload(corpus / "eagle_spk1_utt1.wav")],
        "consent_basis": "own_voice",
        "speaker_name": "Alice Example",
        "consent": "on",
    } | overrides


def test_the_form_shows_the_consent_statements(alice_client):
    html = alice_client.get(reverse("voices:new")).content.decode()
    assert "I confirm that these recordings are of my own voice" in html
    assert "written permission of <span data-speaker-slot>the speaker</span>" in html


def test_no_voice_without_consent(alice_client, corpus, queued):
    data = form_data(corpus)
    del data["consent"]
    response = alice_client.post(reverse("voices:new"), data)
    assert response.status_code == 400
    assert "only after you confirm the consent statement" in response.content.decode()
    assert not CustomVoice.objects.exists()


def test_a_sample_that_is_not_audio_is_named_in_the_error(alice_client, corpus, queued):
    data = form_data(corpus, samples=[upload(corpus / "jfk.txt")])
    response = alice_client.post(reverse("voices:new"), data)
    assert response.status_code == 400 and "jfk.txt:" in response.content.decode()
    assert not CustomVoice.objects.exists()


def test_making_a_voice_stores_the_consent_and_queues_the_build(
    alice, alice_client, corpus, queued
):
    data = form_data(
        corpus,
        consent_basis="written_permission",
        speaker_name="Jo Speaker",
        recordings=[upload(corpus / "eagle_spk1_utt2.wav", "recording-1.webm")],
    )
    response = alice_client.post(reverse("voices:new"), data, headers={"User-Agent": "Tester"})
    voice = CustomVoice.objects.get()
    assert response.status_code == 302 and response["Location"] == voice.get_absolute_url()
    consent = voice.consents.get()
    assert (consent.basis, consent.speaker_name, consent.confirmed_by) == (
        "written_permission", "Jo Speaker", alice,
    )  # fmt: skip
    assert (consent.ip_address, consent.user_agent) == ("127.0.0.1", "Tester")
    assert "written permission of Jo Speaker" in consent.statement
    sources = dict(voice.samples.values_list("original_filename", "source"))
    assert sources == {"eagle_spk1_utt1.wav": "upload", "recording-1.webm": "recording"}
    page = alice_client.get(voice.get_absolute_url()).content.decode()
    assert "Queued" in page and 'hx-get="' + reverse("voices:status", args=[voice.pk]) in page


# --- A voice's page ------------------------------------------------------------------------------


def test_the_page_says_what_the_voice_is(alice_client, alice, ready_voice):
    voice = ready_voice(alice)
    html = alice_client.get(voice.get_absolute_url()).content.decode()
    assert "A similar stock voice adjusted to sound closer, not a clone." in html
    for figure in ("0.61", "0.64", "0.78"):  # stock, vocoder only, matched
        assert figure in html
    assert voice.public_id in html and "Alice Example" in html  # id and consent
    assert reverse("voices:sample_audio", args=[voice.pk, voice.samples.get().pk]) in html


def test_the_page_lists_the_stock_voices_it_could_start_from(alice_client, alice, ready_voice):
    voice = ready_voice(alice, match=CANNED_MATCH.as_dict() | {"language": "en"})
    html = alice_client.get(voice.get_absolute_url()).content.decode()
    assert "the samples' language (English (en))" in html
    assert 'value="fake:low" checked' in html and 'value="fake:high">' in html
    assert "0.60" in html and "0.50" in html  # each candidate's similarity


def test_choosing_another_stock_voice_makes_the_voice_again(
    alice_client, alice, ready_voice, queued
):
    voice = ready_voice(alice)
    response = alice_client.post(reverse("voices:rebase", args=[voice.pk]), {"base": "fake:high"})
    assert response.status_code == 302
    voice.refresh_from_db()
    assert voice.status == "queued" and voice.base_voice == "fake:high"
    response = alice_client.post(reverse("voices:rebase", args=[voice.pk]), {"base": "x:y"})
    assert "once the voice is made" in alice_client.get(response.url).content.decode()


def test_status_polling_stops_when_the_voice_is_done(alice_client, alice, ready_voice):
    voice = ready_voice(alice, status="matching", match=None)
    url = reverse("voices:status", args=[voice.pk])
    assert alice_client.get(url).status_code == 200
    CustomVoice.objects.filter(pk=voice.pk).update(status="done")
    response = alice_client.get(url)
    assert response.status_code == 286 and response["HX-Refresh"] == "true"


def test_the_clone_and_its_verification_are_shown(alice_client, alice, ready_voice, cloning):
    cloning()
    voice = ready_voice(
        alice, cloud_engine="fake", cloud_voice_id="fake-voice-9", cloud_tts_engine="fake",
        cloud_status="done", cloud_requires_verification=True,
    )  # fmt: skip
    html = alice_client.get(voice.get_absolute_url()).content.decode()
    assert "fake-voice-9" in html and 'id="requires-verification"' in html
    assert "Until then the local voice match speaks" in html


def test_a_failed_clone_is_reported(alice_client, alice, ready_voice, cloning):
    cloning()
    voice = ready_voice(
        alice, cloud_engine="fake", cloud_status="failed", cloud_error="Quota exceeded."
    )
    html = alice_client.get(voice.get_absolute_url()).content.decode()
    assert 'id="voice-clone-state"' in html and "Quota exceeded." in html
    assert reverse("voices:clone_retry", args=[voice.pk]) in html  # the owner can try again


def test_delete_removes_the_voice_and_its_files(alice_client, alice, ready_voice):
    voice = ready_voice(alice)
    folder = voice_files(voice)
    assert folder.exists()
    response = alice_client.post(reverse("voices:delete", args=[voice.pk]))
    assert response.status_code == 302 and not CustomVoice.objects.exists()
    assert not folder.exists()


def test_a_failed_delete_at_the_provider_is_reported(alice_client, alice, ready_voice, cloning):
    backend = cloning(fail_with="unavailable")
    voice = ready_voice(
        alice, cloud_engine="fake", cloud_voice_id="fake-voice-3", cloud_status="done"
    )
    response = alice_client.post(reverse("voices:delete", args=[voice.pk]))
    assert response.status_code == 502 and CustomVoice.objects.exists()
    html = response.content.decode()
    assert "could not be deleted at the cloud provider" in html and "fake-voice-3" in html
    assert "Delete here anyway" in html
    response = alice_client.post(reverse("voices:delete", args=[voice.pk]), {"keep_cloud": "1"})
    assert response.status_code == 302 and not CustomVoice.objects.exists()
    assert backend.deleted == []


# --- Who may see what ----------------------------------------------------------------------------


def make_preview(user, voice) -> None:
    services.preview_request(voice=voice_resolve(user=user, voice_id=voice.public_id))
    job_run(model=VoicePreview, job_id=VoicePreview.objects.get(key=voice.public_id).pk)
    assert VoicePreview.objects.get(key=voice.public_id).status == "done"


def owner_urls(voice) -> list[tuple[str, str]]:
    sample = voice.samples.get()
    return [
        ("post", reverse("voices:retry", args=[voice.pk])),
        ("post", reverse("voices:rebase", args=[voice.pk])),
        ("post", reverse("voices:clone_retry", args=[voice.pk])),
        ("post", reverse("voices:delete", args=[voice.pk])),
        ("post", reverse("voices:share", args=[voice.pk])),
        ("post", reverse("voices:unshare", args=[voice.pk, voice.owner_id])),
        ("post", reverse("voices:samples_add", args=[voice.pk])),
        ("get", reverse("voices:sample_audio", args=[voice.pk, sample.pk])),
        ("post", reverse("voices:sample_delete", args=[voice.pk, sample.pk])),
    ]


def test_another_user_gets_404_everywhere(bob_client, alice, ready_voice, queued):
    voice = ready_voice(alice)
    make_preview(alice, voice)
    urls = owner_urls(voice) + [
        ("get", voice.get_absolute_url()),
        ("get", reverse("voices:status", args=[voice.pk])),
        ("post", reverse("voices:preview", args=[voice.public_id])),
        ("get", reverse("voices:preview", args=[voice.public_id])),
        ("get", reverse("voices:preview_audio", args=[voice.public_id])),
    ]
    for method, url in urls:
        assert getattr(bob_client, method)(url).status_code == 404, url
    assert voice.public_id not in bob_client.get(reverse("voices:library")).content.decode()
    assert CustomVoice.objects.filter(pk=voice.pk).exists()


def test_a_shared_voice_can_be_seen_and_used_but_not_changed(
    alice_client, bob_client, bob, alice, ready_voice, queued
):
    voice = ready_voice(alice)
    alice_client.post(reverse("voices:share", args=[voice.pk]), {"username": "bob"})
    assert VoiceShare.objects.filter(voice=voice, user=bob).exists()
    make_preview(alice, voice)

    library = bob_client.get(reverse("voices:library")).content.decode()
    assert 'id="shared-voices"' in library and voice.public_id in library
    page = bob_client.get(voice.get_absolute_url())
    html = page.content.decode()
    assert page.status_code == 200 and "shared with you by alice" in html
    assert 'id="samples"' not in html and 'id="consents"' not in html and "Delete" not in html
    assert (
        bob_client.get(reverse("voices:preview_audio", args=[voice.public_id])).status_code == 200
    )
    for method, url in owner_urls(voice):
        assert getattr(bob_client, method)(url).status_code == 404, url
    assert CustomVoice.objects.filter(pk=voice.pk).exists()


def test_the_share_form_does_not_tell_who_has_an_account(alice_client, bob, alice, ready_voice):
    voice = ready_voice(alice)
    url = reverse("voices:share", args=[voice.pk])

    def said(username: str) -> list[str]:
        answer = alice_client.post(url, {"username": username}, follow=True)
        return [str(m).replace(username, "NAME") for m in answer.context["messages"]]

    assert (
        said("bob")
        == said("nobody-here")
        == ["If “NAME” has an account here, they can use it now."]
    )
    assert list(VoiceShare.objects.values_list("user__username", flat=True)) == ["bob"]


def test_sample_audio_is_served_to_the_owner(alice_client, alice, ready_voice):
    voice = ready_voice(alice)
    url = reverse("voices:sample_audio", args=[voice.pk, voice.samples.get().pk])
    response = alice_client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == Path(voice.samples.get().file.path).read_bytes()
