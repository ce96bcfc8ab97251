"""The music studio's pages: compose, play and download, rename, regenerate and vary, delete;
every track only for its owner (another user's id is a 404)."""

import io
import wave
from pathlib import Path

import pytest
from django.urls import reverse

from apps.music import services
from apps.music.models import Track

pytestmark = pytest.mark.django_db


@pytest.fixture
def jobs(django_capture_on_commit_callbacks):
    """`with jobs():` runs the jobs queued inside it as it ends (they are queued on commit,
    which a test's transaction never reaches; the inline task backend then runs them)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


PROMPT = "upbeat synthwave, 110 bpm, minor key"


@pytest.fixture
def track(alice, jobs):
    with jobs():
        track = services.track_create(owner=alice, prompt=PROMPT, seconds=4, seed=7)
    track.refresh_from_db()
    return track


def test_it_composes_from_the_studio_and_plays_the_track(alice_client, jobs):
    with jobs():
        response = alice_client.post(
            reverse("music:compose"),
            {
                "prompt": PROMPT,
                "seconds": "5",
                "instrumental": "on",
                "seed": "3",
                "engine": "local",
            },
        )
    track = Track.objects.get()
    assert response.status_code == 302 and response.url == track.get_absolute_url()
    assert track.status == "done" and track.seed == 3 and abs(track.duration - 5) < 0.01
    page = alice_client.get(track.get_absolute_url())
    assert page.status_code == 200
    # What the arranger understood is said back, and the track is in the library.
    assert "110 bpm" in page.content.decode() and "synthwave" in track.understood
    assert reverse("music:file", args=[track.pk, "mid"]) in page.content.decode()


def test_it_says_what_it_recognises_in_the_prompt_while_typing(alice_client):
    from django.test import Client

    heard = alice_client.get(reverse("music:heard"), {"prompt": "dark synthwave in f# minor"})
    assert heard.content.decode().count("Recognised: synthwave, dark, F# minor.") == 1
    nothing = alice_client.get(reverse("music:heard"), {"prompt": "something nice"})
    assert "the seed will choose" in nothing.content.decode()
    anonymous = Client().get(reverse("music:heard"), {"prompt": "jazz"})
    assert anonymous.status_code == 302  # to log in


def test_it_shows_the_prompt_error_and_keeps_nothing(alice_client):
    response = alice_client.post(reverse("music:compose"), {"prompt": "  ", "seconds": "20"})
    assert response.status_code == 400
    assert "prompt is empty" in response.content.decode()
    assert not Track.objects.exists()


@pytest.mark.parametrize("seconds", ["0", "1200"])
def test_it_refuses_a_length_out_of_range(alice_client, seconds):
    response = alice_client.post(reverse("music:compose"), {"prompt": PROMPT, "seconds": seconds})
    assert response.status_code == 400
    assert "A track lasts from 3 seconds to 10 minutes" in response.content.decode()
    assert not Track.objects.exists()


def test_sections_set_the_length(alice_client, jobs):
    with jobs():
        alice_client.post(
            reverse("music:compose"),
            {"prompt": "calm folk", "sections": "intro 2, verse 4, outro 2", "seed": "1"},
        )
    track = Track.objects.get()
    assert track.sections == [
        {"name": "intro", "seconds": 2.0},
        {"name": "verse", "seconds": 4.0},
        {"name": "outro", "seconds": 2.0},
    ]
    assert abs(track.duration - 8) < 0.01


def test_it_makes_a_sound_effect(alice_client, jobs):
    with jobs():
        response = alice_client.post(
            reverse("music:effect"), {"text": "rain on a roof", "seconds": "2"}
        )
    track = Track.objects.get()
    assert response.status_code == 302
    assert track.kind == "effect" and track.status == "done" and abs(track.duration - 2) < 0.01
    assert "procedural rain" in track.understood


def test_it_says_which_effects_it_can_make(alice_client):
    response = alice_client.post(reverse("music:effect"), {"text": "a unicorn sneezing"})
    assert response.status_code == 400
    assert "makes only these sounds" in response.content.decode()


def test_it_downloads_wav_mp3_and_midi(alice_client, track):
    wav = alice_client.get(reverse("music:file", args=[track.pk, "wav"]), {"download": "1"})
    assert wav["Content-Type"] == "audio/wav" and "attachment" in wav["Content-Disposition"]
    with wave.open(io.BytesIO(b"".join(wav.streaming_content))) as w:
        assert w.getnchannels() == 2 and abs(w.getnframes() / w.getframerate() - 4) < 0.01
    mp3 = alice_client.get(reverse("music:file", args=[track.pk, "mp3"]))
    assert mp3["Content-Type"] == "audio/mpeg"
    midi = alice_client.get(reverse("music:file", args=[track.pk, "mid"]))
    assert b"".join(midi.streaming_content).startswith(b"MThd")
    assert alice_client.get(reverse("music:file", args=[track.pk, "ogg"])).status_code == 404


def test_rename_regenerate_variation_and_delete(alice_client, track, jobs):
    alice_client.post(reverse("music:rename", args=[track.pk]), {"title": "Night drive"})
    track.refresh_from_db()
    assert track.title == "Night drive"
    with jobs():
        alice_client.post(reverse("music:again", args=[track.pk]))
        alice_client.post(reverse("music:variation", args=[track.pk]))
    again, variation = Track.objects.exclude(pk=track.pk).order_by("created_at")
    assert again.seed == track.seed and again.prompt == track.prompt
    assert variation.seed != track.seed and variation.title == "Night drive (variation)"
    # The same seed makes the same audio; another seed other audio.
    read = lambda t: Path(t.audio.path).read_bytes()  # noqa: E731
    assert read(again) == read(track) and read(variation) != read(track)
    folder = Path(track.audio.path).parent
    alice_client.post(reverse("music:delete", args=[track.pk]))
    assert not Track.objects.filter(pk=track.pk).exists()
    assert not folder.exists()


def test_another_users_track_is_not_found(bob_client, track):
    title = Track.objects.get(pk=track.pk).title
    for name, args, method in [
        ("music:file", [track.pk, "wav"], "get"),
        ("music:progress", [track.pk], "get"),
        ("music:rename", [track.pk], "post"),
        ("music:again", [track.pk], "post"),
        ("music:variation", [track.pk], "post"),
        ("music:cancel", [track.pk], "post"),
        ("music:delete", [track.pk], "post"),
    ]:
        response = getattr(bob_client, method)(reverse(name, args=args))
        assert response.status_code == 404, name
    assert bob_client.get(f"{reverse('music:studio')}?t={track.pk}").status_code == 404
    assert str(track.pk) not in bob_client.get(reverse("music:studio")).content.decode()
    assert Track.objects.get(pk=track.pk).title == title  # not renamed, not deleted
    assert Track.objects.count() == 1  # nothing made again for bob


def test_anonymous_users_are_sent_to_log_in(client, track):
    response = client.get(reverse("music:studio"))
    assert response.status_code == 302 and "login" in response.url
    assert client.get(reverse("music:file", args=[track.pk, "wav"])).status_code == 302


def test_a_cancel_while_composing_stops_and_keeps_no_files(alice, settings):
    from apps.jobs.runner import JobRun, job_complete
    from apps.jobs.services import job_claim

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend",
                    "QUEUES": ["default", "speech"]},
    }  # fmt: skip
    track = services.track_create(owner=alice, prompt=PROMPT, seconds=30, seed=1)
    assert job_claim(Track, track.pk)  # as a worker does
    run = JobRun(Track.objects.get(pk=track.pk))
    services.track_cancel(track=track)  # asked while it runs
    run.job.execute(run)  # the renderer sees it after its first second of audio
    job_complete(run)
    track.refresh_from_db()
    assert track.status == "cancelled" and not track.audio and track.progress_done < 0.1
