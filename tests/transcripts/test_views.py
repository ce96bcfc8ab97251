from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.transcripts.models import Transcript
from tests import media_factory

pytestmark = pytest.mark.django_db(transaction=True)


def upload(client, path, name=None, **fields):
    data = {"engine": "local", "model": "tiny.en", "task": "transcribe", **fields}
    data["file"] = SimpleUploadedFile(name or path.name, path.read_bytes())
    return client.post(reverse("transcripts:new"), data)


def test_it_sends_anonymous_users_to_log_in(client):
    response = client.get(reverse("transcripts:list"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_it_lists_only_the_users_own_transcripts_newest_first(
    alice_client, alice, bob, make_transcript
):
    first = make_transcript(alice)
    second = make_transcript(alice)
    make_transcript(bob).title = "bob's"
    page = alice_client.get(reverse("transcripts:list")).context["page"]
    assert [t.pk for t in page] == [second.pk, first.pk]


def test_it_searches_titles_and_text(alice_client, alice, make_transcript):
    t = make_transcript(alice)
    assert (
        Transcript.objects.get(pk=t.pk).text
        == "Segment 0. Segment 1. Segment 2. Segment 3. Segment 4. Segment 5."
    )
    found = alice_client.get(reverse("transcripts:list"), {"q": "segment 3"}).context["page"]
    assert [x.pk for x in found] == [t.pk]
    assert not alice_client.get(reverse("transcripts:list"), {"q": "nothing"}).context["page"]


def test_it_paginates(alice_client, alice, make_transcript):
    for _ in range(21):
        make_transcript(alice, path=None)
    response = alice_client.get(reverse("transcripts:list"), {"page": 2})
    assert len(response.context["page"]) == 1


def test_it_filters_by_source_status_and_language(alice_client, alice, make_transcript):
    web, api, running = make_transcript(alice), make_transcript(alice), make_transcript(alice)
    Transcript.objects.filter(pk=api.pk).update(source="api", detected_language="fr")
    Transcript.objects.filter(pk=running.pk).update(status="running")

    def listed(**filters):
        page = alice_client.get(reverse("transcripts:list"), filters).context["page"]
        return {t.pk for t in page}

    assert listed(source="api") == {api.pk}
    assert listed(source="web") == {web.pk, running.pk}
    assert listed(status="running") == {running.pk}
    assert listed(language="fr") == {api.pk}
    assert listed(language="en", status="done") == {web.pk}
    assert listed(source="nonsense") == {web.pk, api.pk, running.pk}  # ignored, not an error


def test_it_keeps_the_filters_across_pages(alice_client, alice, make_transcript):
    for _ in range(21):
        make_transcript(alice)
    response = alice_client.get(reverse("transcripts:list"), {"status": "done"})
    assert "?page=2&status=done" in response.content.decode()


def test_it_deletes_the_selected_transcripts_only_the_owners(
    alice_client, alice, bob, make_transcript
):
    gone, kept, bobs = make_transcript(alice), make_transcript(alice), make_transcript(bob)
    response = alice_client.post(
        reverse("transcripts:delete_selected"), {"ids": [gone.pk, bobs.pk, "not-an-id"]}
    )
    assert response.status_code == 302
    assert set(Transcript.objects.values_list("pk", flat=True)) == {kept.pk, bobs.pk}
    assert not Path(gone.media.path).exists()


def test_it_shows_the_transcript_with_words_to_click(alice_client, alice, corpus):
    response = upload(alice_client, corpus / "jfk.flac")
    transcript = Transcript.objects.get()
    page = alice_client.get(response["Location"]).content.decode()
    assert "ask" in page and 'class="w"' in page and 'data-start="' in page
    assert f'src="{reverse("transcripts:media", args=[transcript.pk])}"' in page
    assert "Real-time factor" in page


@pytest.mark.parametrize("content,message", [(b"", "empty"), (b"not audio " * 100, "not audio")])
def test_it_refuses_bad_files_with_a_clear_error(alice_client, tmp_path, content, message):
    bad = tmp_path / "recording.mp3"
    bad.write_bytes(content)
    response = upload(alice_client, bad)
    assert response.status_code == 400
    assert message in response.content.decode().lower()
    assert not Transcript.objects.exists()


def test_it_refuses_an_upload_over_the_limit(alice_client, corpus, settings):
    settings.VOICEPORTAL_MAX_UPLOAD_BYTES = 200_000
    response = upload(alice_client, corpus / "jfk.flac")
    assert response.status_code == 413
    assert "larger than" in response.content.decode()
    assert not Transcript.objects.exists()
    assert alice_client.get(reverse("transcripts:list")).status_code == 200


def test_it_gives_an_empty_transcript_for_silence(alice_client, tmp_path):
    upload(alice_client, media_factory.silence(tmp_path / "quiet.wav", 2.0))
    transcript = Transcript.objects.get()
    assert transcript.status == "done" and transcript.text == ""
    assert "No speech was found" in alice_client.get(transcript.get_absolute_url()).content.decode()


def test_it_transcribes_a_short_blip(alice_client, tmp_path):
    upload(alice_client, media_factory.tone(tmp_path / "blip.wav", 0.2))
    assert Transcript.objects.get().status == "done"


def test_it_transcribes_the_sound_of_a_video(alice_client, tmp_path, corpus):
    film = media_factory.video_with_speech(tmp_path / "talk.mp4", corpus / "jfk.flac")
    upload(alice_client, film)
    transcript = Transcript.objects.get()
    assert transcript.has_video and "your country" in transcript.text.lower()
    assert "<video" in alice_client.get(transcript.get_absolute_url()).content.decode()


def test_it_transcribes_a_truncated_mp3(alice_client, tmp_path, corpus):
    upload(alice_client, media_factory.truncated(tmp_path / "cut.mp3", corpus / "jfk.flac", 0.6))
    transcript = Transcript.objects.get()
    assert transcript.status == "done" and "americans" in transcript.text.lower()


@pytest.mark.parametrize(
    "name", ["../../x.wav", "üñí©ødé 録音.wav", "...wav", "a" * 300 + ".wav", "$(rm -rf).wav"]
)
def test_it_stores_hostile_file_names_safely(alice_client, alice, corpus, name, settings):
    upload(alice_client, corpus / "jfk.flac", name=name, engine="fake", model="fake")
    transcript = Transcript.objects.get()
    stored = transcript.media.path
    assert stored.startswith(str(settings.MEDIA_ROOT / "transcripts" / str(alice.pk)))
    assert ".." not in transcript.media.name
    assert transcript.status == "done"


def test_it_refuses_an_unknown_language(alice_client, corpus):
    response = upload(alice_client, corpus / "jfk.flac", model="base", language="xx")
    assert response.status_code == 400 and not Transcript.objects.exists()


def test_it_exports_every_format(alice_client, alice, make_transcript):
    t = make_transcript(alice)
    url = lambda fmt: reverse("transcripts:export", args=[t.pk, fmt])  # noqa: E731
    srt = alice_client.get(url("srt"))
    assert srt.content.decode().startswith("1\n00:00:00,000 --> 00:00:02,000\nSegment 0.")
    assert "attachment" in srt["Content-Disposition"]
    assert alice_client.get(url("vtt")).content.decode().startswith("WEBVTT\n\n00:00:00.000 -->")
    assert alice_client.get(url("txt")).content.decode().startswith("Segment 0. Segment 1.")
    body = alice_client.get(url("json")).json()
    assert body["duration"] == 11.0 and body["segments"][1]["start"] == 2.0
    assert body["words"][0] == {"word": "Segment", "start": 0.0, "end": 1.0}
    assert alice_client.get(url("pdf")).status_code == 404


def test_it_serves_media_with_ranges(alice_client, alice, make_transcript, corpus):
    t = make_transcript(alice)
    url = reverse("transcripts:media", args=[t.pk])
    whole = b"".join(alice_client.get(url).streaming_content)
    assert whole == (corpus / "jfk.flac").read_bytes()
    part = alice_client.get(url, HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206 and part["Content-Range"].startswith("bytes 100-199/")
    assert b"".join(part.streaming_content) == whole[100:200]
    assert alice_client.get(url, HTTP_RANGE=f"bytes={len(whole) + 5}-").status_code == 416


def test_it_serves_media_as_its_container_says_not_as_the_client_claimed(
    alice_client, alice, tmp_path
):
    from apps.transcripts import services
    from apps.transcripts.options import options_validate

    wav = media_factory.tone(tmp_path / "page.wav", 1.0)
    page = wav.read_bytes() + b"<html><script>alert(document.cookie)</script></html>"
    upload = SimpleUploadedFile("page.html", page, content_type="text/html")
    options = options_validate(engine="fake", model="fake")
    t = services.transcript_create(owner=alice, upload=upload, options=options)
    response = alice_client.get(reverse("transcripts:media", args=[t.pk]))
    assert response["Content-Type"] == "audio/wav"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_it_renames_and_deletes_with_the_media(alice_client, alice, make_transcript):
    from pathlib import Path

    t = make_transcript(alice)
    alice_client.post(reverse("transcripts:rename", args=[t.pk]), {"title": "Inaugural"})
    assert Transcript.objects.get(pk=t.pk).title == "Inaugural"
    media = Path(t.media.path)
    assert media.exists()
    response = alice_client.post(reverse("transcripts:delete", args=[t.pk]))
    assert response.status_code == 302
    assert not Transcript.objects.exists() and not media.exists() and not media.parent.exists()


def test_it_stops_polling_when_the_job_is_done(alice_client, alice, make_transcript):
    t = make_transcript(alice)
    response = alice_client.get(
        reverse("transcripts:progress", args=[t.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 286 and response["HX-Refresh"] == "true"


def test_it_shows_progress_while_running(alice_client, alice, make_transcript):
    t = make_transcript(alice)
    Transcript.objects.filter(pk=t.pk).update(status="running", progress_done=5.5)
    response = alice_client.get(
        reverse("transcripts:progress", args=[t.pk]), HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200 and 'value="50"' in html and "0:05 of 0:11" in html


def test_it_shows_a_moving_bar_until_the_first_position(alice_client, alice, make_transcript):
    t = make_transcript(alice)
    Transcript.objects.filter(pk=t.pk).update(status="running", progress_done=0)
    response = alice_client.get(
        reverse("transcripts:progress", args=[t.pk]), HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200 and "Working…" in html and 'value="0"' not in html


def test_it_sends_the_segments_saved_so_far_while_running(alice_client, alice, make_transcript):
    t = make_transcript(alice)
    Transcript.objects.filter(pk=t.pk).update(status="running")
    url = reverse("transcripts:detail", args=[t.pk]) + "?part=segments"
    response = alice_client.get(url, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.strip().startswith('<div id="segments"') and 'hx-trigger="every 2s"' in html
    assert html.count('class="segment') == 6 and "<header" not in html


def test_it_stops_fetching_segments_once_done(alice_client, alice, make_transcript):
    t = make_transcript(alice)
    response = alice_client.get(
        reverse("transcripts:detail", args=[t.pk]) + "?part=segments", HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert html.count('class="segment') == 6 and "hx-get" not in html


@pytest.mark.parametrize(
    "name,method",
    [
        ("detail", "get"),
        ("progress", "get"),
        ("media", "get"),
        ("cancel", "post"),
        ("retry", "post"),
        ("rename", "post"),
        ("delete", "post"),
    ],
)
def test_it_hides_alices_transcript_from_bob(bob_client, alice, make_transcript, name, method):
    t = make_transcript(alice)
    response = getattr(bob_client, method)(reverse(f"transcripts:{name}", args=[t.pk]))
    assert response.status_code == 404
    assert Transcript.objects.get(pk=t.pk).title == t.title


def test_it_hides_alices_exports_from_bob(bob_client, alice, make_transcript):
    t = make_transcript(alice)
    for fmt in ("txt", "srt", "vtt", "json"):
        assert bob_client.get(reverse("transcripts:export", args=[t.pk, fmt])).status_code == 404


def test_it_ties_help_and_errors_to_their_fields(alice_client):
    response = alice_client.post(reverse("transcripts:new"), {"title": "x"})
    html = response.content.decode()
    assert 'aria-describedby="id_file_error"' in html and 'id="id_file_error"' in html
    assert 'aria-describedby="id_title_helptext"' in html and 'id="id_title_helptext"' in html
