"""The studio page and its HTMX fragments, the audio views, and who may see what."""

from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from django.test import Client
from django.urls import reverse

from apps.speech.models import Generation

from .conftest import THREE_SENTENCES

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # The test server is WSGI: it gathers the async stream first (daphne streams it).
    pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume"),
]
HTMX = {"HTTP_HX_REQUEST": "true"}


def generate(client, **fields):
    data = {"text": THREE_SENTENCES, "voice": "fake:low", "speed": "1", "format": "mp3"}
    return client.post(reverse("speech:generate"), data | fields, **HTMX)


def test_it_shows_the_studio_with_voices_and_formats(alice_client, fake_tts):
    response = alice_client.get(reverse("speech:studio"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="voice" value="piper:joe" checked' in html  # the default engine's voice
    assert 'value="fake:high"' in html and 'value="kokoro:jf_alpha"' in html
    for fmt in ("mp3", "wav", "opus", "flac", "aac", "pcm"):
        assert f'<option value="{fmt}"' in html
    assert "Nothing generated yet." in html


def test_it_sends_anonymous_users_to_log_in(client):
    for name in ("speech:studio", "speech:history"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/login/" in response.url
    response = client.post(reverse("speech:generate"), {"text": "Hi.", "voice": "piper:joe"})
    assert response.status_code == 302 and not Generation.objects.exists()


def test_it_generates_and_answers_the_player_and_progress(alice_client, fake_tts):
    response = generate(alice_client)
    assert response.status_code == 200
    assert "speech:history" in response["HX-Trigger"]
    g = Generation.objects.get()
    html = response.content.decode()
    assert (
        f'<audio id="speech-player" controls autoplay preload="auto" src="{g.stream_url}"' in html
    )
    assert 'id="speech-form"' in html and "<html" not in html  # the workspace fragment only
    assert g.status == "done"  # the inline task backend ran it

    progress = alice_client.get(reverse("speech:progress", args=[g.pk]), **HTMX)
    assert progress.status_code == 286  # finished: stop polling
    assert "0:03" in progress.content.decode() and "Download" in progress.content.decode()


def test_it_keeps_polling_while_the_synthesis_runs(alice_client, fake_tts, queued):
    generate(alice_client)
    g = Generation.objects.get()
    progress = alice_client.get(reverse("speech:progress", args=[g.pk]), **HTMX)
    assert progress.status_code == 200
    html = progress.content.decode()
    assert 'hx-trigger="every 400ms"' in html and "Sentence 0 of 3" in html


@pytest.mark.parametrize(
    "fields,message",
    [
        ({"text": ""}, "There is no text to speak."),
        ({"text": "x" * 100_001}, "the limit is 100,000"),
        ({"voice": "piper:nobody"}, "Unknown voice &#x27;piper:nobody&#x27;"),
        ({"format": "ogg"}, "Select a valid choice"),
        ({"speed": "9"}, "less than or equal to 4"),
    ],
)
def test_it_shows_clear_errors_in_the_form(alice_client, fake_tts, fields, message):
    response = generate(alice_client, **fields)
    html = response.content.decode()
    assert response.status_code == 200 and message in html
    assert 'role="alert"' in html and 'id="speech-player"' not in html
    assert not Generation.objects.exists()


def test_it_answers_400_without_htmx(alice_client, fake_tts):
    response = alice_client.post(reverse("speech:generate"), {"text": "", "voice": "fake:low"})
    assert response.status_code == 400 and b"There is no text to speak." in response.content


def test_a_reload_keeps_the_text_the_voice_and_the_player(alice_client, fake_tts):
    response = generate(alice_client, voice="fake:high", speed="1.5")
    g = Generation.objects.get()
    assert response["HX-Push-Url"] == f"{reverse('speech:studio')}?g={g.pk}"
    html = alice_client.get(response["HX-Push-Url"]).content.decode()
    assert f">{THREE_SENTENCES}</textarea>" in html
    assert 'name="voice" value="fake:high" checked' in html and 'value="1.5"' in html
    assert (
        f'<audio id="speech-player" controls autoplay preload="auto" src="{g.stream_url}"' in html
    )


def test_it_keeps_a_text_over_the_limit_whole_and_refuses_it(alice_client, fake_tts):
    text = "Word. " * 16_800  # 100,800 characters
    html = alice_client.get(reverse("speech:studio")).content.decode()
    assert "maxlength" not in html.split('id="id_text"')[1].split(">")[0]
    response = generate(alice_client, text=text)
    assert "100000" in response.content.decode() and not Generation.objects.exists()
    assert text in response.content.decode()  # handed back whole, to shorten


def test_a_long_text_is_read_whole_in_pieces(alice_client, fake_tts):
    """Past the engines' 4,096 characters: read in pieces, every sentence counted in the
    progress, none cut off."""
    text = " ".join(f"Sentence number {i} is here, and it goes on a while." for i in range(90))
    assert len(text) > 4_600
    generate(alice_client, text=text, format="pcm")  # no encoding: the reading is under test
    g = Generation.objects.get()
    assert g.status == "done", g.error
    assert g.progress_total == 90 and g.text == text


def test_it_redirects_to_the_studio_without_htmx(alice_client, fake_tts):
    data = {"text": "Hello.", "voice": "fake:low", "speed": "1", "format": "wav"}
    response = alice_client.post(reverse("speech:generate"), data)
    g = Generation.objects.get()
    assert response.status_code == 302 and response.url.endswith(f"?g={g.pk}")
    page = alice_client.get(response.url)
    assert f'src="{g.stream_url}"' in page.content.decode()


def test_it_refuses_another_users_private_voice(alice_voice, bob_client, fake_tts):
    response = generate(bob_client, voice=alice_voice.public_id)
    assert "Unknown voice" in response.content.decode()
    assert not Generation.objects.exists()


def test_it_offers_and_uses_the_users_custom_voice(alice_client, alice_voice, fake_tts):
    page = alice_client.get(reverse("speech:studio")).content.decode()
    assert "My voices" in page and alice_voice.public_id in page
    generate(alice_client, voice=alice_voice.public_id, text="Hello there.")
    g = Generation.objects.get()
    assert g.status == "done" and g.voice_name == "Alice's voice" and g.duration > 0.3


def test_it_serves_downloads_and_ranges(alice_client, fake_tts):
    generate(alice_client, format="flac")
    g = Generation.objects.get()
    url = reverse("speech:audio", args=[g.pk])
    full = alice_client.get(url + "?download=1")
    assert full["Content-Type"] == "audio/flac"
    assert (
        full["Content-Disposition"].startswith("attachment;")
        and ".flac" in full["Content-Disposition"]
    )
    data = b"".join(full.streaming_content)
    assert data == Path(g.audio.path).read_bytes() and data[:4] == b"fLaC"
    part = alice_client.get(url, HTTP_RANGE="bytes=0-99")
    assert part.status_code == 206 and len(b"".join(part.streaming_content)) == 100


def test_it_streams_the_audio(alice_client, fake_tts):
    generate(alice_client, format="pcm")
    g = Generation.objects.get()
    raw = alice_client.get(reverse("speech:stream", args=[g.pk]))
    assert raw["Content-Type"] == "audio/pcm"
    data = read_async(raw)
    assert data == Path(g.audio.path).read_bytes()
    wav = alice_client.get(g.stream_url)  # wrapped, for the browser's player
    assert wav["Content-Type"] == "audio/wav"
    assert read_async(wav)[44:] == data


def read_async(response) -> bytes:
    async def read():
        return b"".join([chunk async for chunk in response.streaming_content])

    return async_to_sync(read)()


def test_it_lists_the_history_paginated_and_deletes(alice_client, fake_tts, queued):
    for i in range(12):
        generate(alice_client, text=f"Number {i}.")
    page1 = alice_client.get(reverse("speech:history"), **HTMX).content.decode()
    assert "Number 11." in page1 and "Number 2." in page1 and "Number 1." not in page1
    assert "Page 1 of 2" in page1
    page2 = alice_client.get(reverse("speech:history") + "?page=2", **HTMX).content.decode()
    assert "Number 1." in page2 and "Number 0." in page2

    g = Generation.objects.get(text="Number 0.")
    response = alice_client.post(reverse("speech:delete", args=[g.pk]), {"page": "2"}, **HTMX)
    assert response.status_code == 200 and "Number 0." not in response.content.decode()
    assert not Generation.objects.filter(pk=g.pk).exists()


def test_deleting_removes_the_audio_file(alice_client, fake_tts):
    generate(alice_client)
    g = Generation.objects.get()
    path = Path(g.audio.path)
    assert path.is_file()
    response = alice_client.post(reverse("speech:delete", args=[g.pk]))
    assert response.status_code == 302
    assert not path.exists() and not path.parent.exists()


def test_another_user_gets_404_everywhere(alice_client, bob_client, fake_tts):
    generate(alice_client)
    g = Generation.objects.get()
    for name in ("speech:progress", "speech:stream", "speech:audio"):
        assert bob_client.get(reverse(name, args=[g.pk])).status_code == 404, name
    assert bob_client.post(reverse("speech:delete", args=[g.pk])).status_code == 404
    assert bob_client.get(reverse("speech:studio") + f"?g={g.pk}").status_code == 404
    assert Path(g.audio.path).is_file()
    history = bob_client.get(reverse("speech:history")).content.decode()
    assert "first sentence" not in history


def test_it_cancels_from_the_progress_card(alice_client, fake_tts, queued):
    generate(alice_client)
    g = Generation.objects.get()
    studio = alice_client.get(reverse("speech:studio") + f"?g={g.pk}").content.decode()
    assert f'hx-post="{reverse("speech:cancel", args=[g.pk])}"' in studio
    response = alice_client.post(
        reverse("speech:cancel", args=[g.pk]), **HTMX, HTTP_HX_TARGET="gen-progress"
    )
    assert response.status_code == 200 and "speech:history" in response["HX-Trigger"]
    html = response.content.decode()
    assert "Cancelled" in html and "every 400ms" not in html and ">Cancel<" not in html
    g.refresh_from_db()
    assert g.status == "cancelled"
    assert alice_client.get(reverse("speech:audio", args=[g.pk])).status_code == 404  # no audio


def test_it_cancels_from_the_history_and_without_htmx(alice_client, fake_tts, queued):
    generate(alice_client, text="First.")
    generate(alice_client, text="Second.")
    first, second = Generation.objects.order_by("created_at")
    history = alice_client.get(reverse("speech:history"), **HTMX).content.decode()
    assert history.count(">Cancel</button>") == 2
    url = reverse("speech:cancel", args=[first.pk])
    response = alice_client.post(url, {"page": "1"}, **HTMX, HTTP_HX_TARGET="history")
    html = response.content.decode()
    assert 'id="history"' in html and html.count(">Cancel</button>") == 1
    response = alice_client.post(reverse("speech:cancel", args=[second.pk]))
    assert response.status_code == 302 and response.url.endswith(f"?g={second.pk}")
    assert set(Generation.objects.values_list("status", flat=True)) == {"cancelled"}


def test_it_serves_what_a_cancelled_generation_made(alice_client, fake_tts):
    generate(alice_client, format="wav")
    g = Generation.objects.get()
    Generation.objects.filter(pk=g.pk).update(status="cancelled")  # as the worker leaves it
    g.refresh_from_db()
    assert g.play_url == reverse("speech:audio", args=[g.pk])
    response = alice_client.get(g.play_url)
    assert b"".join(response.streaming_content) == Path(g.audio.path).read_bytes()
    history = alice_client.get(reverse("speech:history"), **HTMX).content.decode()
    assert "Cancelled" in history and "Download" in history and ">Cancel<" not in history


def test_only_the_owner_may_cancel(alice_client, bob_client, fake_tts, queued):
    generate(alice_client)
    g = Generation.objects.get()
    url = reverse("speech:cancel", args=[g.pk])
    assert bob_client.post(url, **HTMX).status_code == 404
    response = Client().post(url)  # anonymous
    assert response.status_code == 302 and "/login/" in response.url
    assert alice_client.get(url).status_code == 405
    g.refresh_from_db()
    assert g.status == "queued" and not g.cancel_requested


def test_the_voice_settings_sliders_follow_the_voice_and_are_kept(alice_client, fake_tts, queued):
    html = alice_client.get(reverse("speech:studio")).content.decode()
    # Piper's Joe (the default voice) follows stability only, starting at its own 0.5.
    assert 'name="stability" type="range" min="0" max="1" step="0.05" value="0.5"' in html
    assert 'value="0.5" aria-describedby="style-help" disabled' in html  # not followed
    assert 'value="fake:low"' in html and 'data-settings=""' in html  # the fake follows none

    response = generate(alice_client, voice="piper:joe", stability="0.8")
    g = Generation.objects.get()
    assert g.voice_settings == {"stability": 0.8}
    assert "stability 0.8" in alice_client.get(reverse("speech:history")).content.decode()
    reloaded = alice_client.get(f"{reverse('speech:studio')}?g={g.pk}").content.decode()
    assert 'name="stability" type="range" min="0" max="1" step="0.05" value="0.8"' in reloaded
    assert response.status_code == 200


def test_it_refuses_voice_settings_out_of_range(alice_client, fake_tts, queued):
    response = generate(alice_client, voice="piper:joe", stability="1.5")
    assert "Stability must be a number from 0 to 1." in response.content.decode()
    assert not Generation.objects.exists()


def test_a_matched_voice_offers_similarity(alice_client, alice_voice, fake_tts, queued):
    html = alice_client.get(reverse("speech:studio")).content.decode()
    assert f'value="{alice_voice.public_id}"' in html
    assert "similarity_boost=1" in html  # how much of the reshaping: all, unless told less
    generate(alice_client, voice=alice_voice.public_id, similarity_boost="0.4")
    assert Generation.objects.get().voice_settings == {"similarity_boost": 0.4}
