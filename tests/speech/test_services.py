"""Generations: checking a request, synthesis in the worker (audio appended as it comes, progress,
failure), deletion and recovery."""

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from apps.jobs.runner import JobRun, job_run
from apps.jobs.services import jobs_reap
from apps.speech import services
from apps.speech.models import Generation

from .conftest import SECONDS_PER_CHAR, THREE_SENTENCES, decoded_seconds

pytestmark = pytest.mark.django_db(transaction=True)


def wait_until(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("timed out waiting")


def test_it_stores_the_request_and_queues_it(alice, make_generation, queued):
    g = make_generation(alice, "  Hello there. How are you?  ", speed=1.5, audio_format="wav")
    assert g.status == "queued" and g.source == "web"
    assert g.text == "Hello there. How are you?"
    assert (g.voice_id, g.voice_name, g.engine) == ("fake:low", "Low tone", "fake")
    assert g.sentences_total == 2 and g.speed == 1.5 and g.format == "wav"
    assert g.audio.name == f"speech/{alice.pk}/{g.pk}/speech.wav"


def test_it_synthesises_sentence_by_sentence_appending_to_the_file(
    alice, make_generation, fake_tts, queued
):
    fake_tts(delay=0.3)
    g = make_generation(alice, audio_format="mp3")
    path = Path(g.audio.path)
    seen = []
    runner = threading.Thread(target=job_run, kwargs={"model": Generation, "job_id": g.pk})
    runner.start()
    while runner.is_alive():
        row = Generation.objects.get(pk=g.pk)
        size = path.stat().st_size if path.exists() else 0
        seen.append((row.status, row.sentences_done, size))
        time.sleep(0.03)
    runner.join()
    running = [s for s in seen if s[0] == "running"]
    assert any(size > 0 for _, _, size in running), "audio was in the file before the end"
    assert {done for _, done, _ in running} >= {0, 1}, "progress moved sentence by sentence"
    g.refresh_from_db()
    assert g.status == "done" and g.sentences_done == 3 and g.percent == 100
    spoken = len(THREE_SENTENCES) - 2  # the spaces between sentences are not spoken
    assert g.duration == pytest.approx(spoken * SECONDS_PER_CHAR, abs=0.01)
    assert g.audio_size == path.stat().st_size
    assert decoded_seconds(path.read_bytes(), "mp3") == pytest.approx(g.duration, abs=0.1)
    assert g.first_audio_at and g.started_at <= g.first_audio_at <= g.finished_at


def test_it_writes_the_real_sizes_into_a_finished_wav(alice, make_generation):
    g = make_generation(alice, audio_format="wav")
    g.refresh_from_db()
    data = Path(g.audio.path).read_bytes()
    assert int.from_bytes(data[4:8], "little") == len(data) - 8
    assert int.from_bytes(data[40:44], "little") == len(data) - 44
    assert decoded_seconds(data, "wav") == pytest.approx(g.duration, abs=0.01)


@pytest.mark.parametrize(
    "kwargs,field,message",
    [
        ({"text": ""}, "text", "no text to speak"),
        ({"text": " \n "}, "text", "no text to speak"),
        ({"text": "!!! ..."}, "text", "no text to speak"),
        ({"text": "a" * 4097}, "text", "the limit is 4,096"),
        ({"voice_id": "fake:nobody"}, "voice", "Unknown voice 'fake:nobody'"),
        ({"voice_id": "nonsense"}, "voice", "Unknown voice"),
        ({"audio_format": "ogg"}, "format", "Unknown format 'ogg'"),
        ({"speed": 5.0}, "speed", "between 0.25 and 4.0"),
        ({"speed": 0.1}, "speed", "between 0.25 and 4.0"),
        ({"language": "fr"}, "language", "does not speak 'fr'"),
    ],
)
def test_it_refuses_what_cannot_be_spoken(alice, fake_tts, queued, kwargs, field, message):
    request = {"text": "Hello.", "voice_id": "fake:low"} | kwargs
    with pytest.raises(ValidationError) as caught:
        services.generation_create(owner=alice, **request)
    assert message in " ".join(caught.value.message_dict[field])
    assert not Generation.objects.exists()


def test_it_accepts_exactly_the_limit(alice, make_generation, queued):
    g = make_generation(alice, ("word " * 1000)[:4096])
    assert len(g.text) <= 4096 and g.status == "queued"


def test_it_takes_any_voice_of_the_library(alice, queued):
    g = services.generation_create(owner=alice, text="Hi.", voice_id="kokoro:jf_alpha+jm_kumo")
    assert (g.voice_id, g.engine) == ("kokoro:jf_alpha:0.5+jm_kumo:0.5", "kokoro")
    assert g.voice_name == "Blend of jf_alpha and jm_kumo"
    g = services.generation_create(owner=alice, text="Guten Tag.", voice_id="espeak:de")
    assert g.engine == "espeak" and g.language == ""


def test_it_speaks_with_a_custom_voice_and_refuses_it_to_others(alice, bob, alice_voice, queued):
    g = services.generation_create(owner=alice, text="Hello.", voice_id=alice_voice.public_id)
    assert (g.voice_id, g.voice_name, g.engine) == (alice_voice.public_id, "Alice's voice", "piper")
    with pytest.raises(ValidationError) as caught:
        services.generation_create(owner=bob, text="Hello.", voice_id=alice_voice.public_id)
    assert "Unknown voice" in caught.value.message_dict["voice"][0]


def test_it_says_why_a_synthesis_failed_and_keeps_what_was_made(
    alice, make_generation, fake_tts, queued
):
    fake_tts(fail_with="rate_limited")
    g = make_generation(alice)
    job_run(model=Generation, job_id=g.pk)
    g.refresh_from_db()
    assert g.status == "failed" and g.error_kind == "rate_limited"
    assert "fake engine failed (rate_limited)" in g.error
    assert g.sentences_done == 0 and g.finished_at


def test_a_second_run_of_the_same_job_does_nothing(alice, make_generation):
    g = make_generation(alice)  # the inline backend ran it
    g.refresh_from_db()
    size = g.audio_size
    job_run(model=Generation, job_id=g.pk)
    g.refresh_from_db()
    assert g.status == "done" and g.audio_size == size == Path(g.audio.path).stat().st_size


def test_deleting_removes_the_row_and_the_audio(alice, make_generation):
    g = make_generation(alice)
    folder = Path(g.audio.path).parent
    assert folder.is_dir()
    services.generation_delete(generation=g)
    assert not Generation.objects.exists() and not folder.exists()


def test_deleting_mid_synthesis_stops_it_and_leaves_no_file(
    alice, make_generation, fake_tts, queued
):
    fake_tts(delay=0.3)
    g = make_generation(alice)
    path = Path(g.audio.path)
    runner = threading.Thread(target=job_run, kwargs={"model": Generation, "job_id": g.pk})
    runner.start()
    wait_until(lambda: path.exists() and path.stat().st_size > 0)
    services.generation_delete(generation=Generation.objects.get(pk=g.pk))
    runner.join(timeout=10)
    assert not runner.is_alive()
    assert not Generation.objects.exists() and not path.parent.exists()


def test_it_fails_generations_left_running_by_dead_workers(alice, make_generation, queued):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    orphan, alive = make_generation(alice), make_generation(alice)
    Generation.objects.filter(pk=orphan.pk).update(
        status="running", worker_id=f"{socket.gethostname()}:{dead.pid}"
    )
    Generation.objects.filter(pk=alive.pk).update(
        status="running", worker_id=f"{socket.gethostname()}:{os.getpid()}"
    )
    assert jobs_reap() == [f"speech.generation:{orphan.pk}"]
    orphan.refresh_from_db()
    assert orphan.status == "failed" and "stopped" in orphan.error
    assert Generation.objects.get(pk=alive.pk).status == "running"


FIVE_SENTENCES = "One is here. Two follows. Three is next. Four comes along. Five ends it."


@pytest.mark.parametrize("audio_format", ["wav", "mp3"])
def test_it_cancels_a_running_synthesis_and_keeps_a_playable_file(
    alice, make_generation, fake_tts, queued, monkeypatch, audio_format
):
    monkeypatch.setattr(JobRun, "CANCEL_POLL_SECONDS", 0.0)
    fake_tts(delay=0.3)
    g = make_generation(alice, FIVE_SENTENCES, audio_format=audio_format)
    path = Path(g.audio.path)
    runner = threading.Thread(target=job_run, kwargs={"model": Generation, "job_id": g.pk})
    runner.start()
    wait_until(lambda: path.exists() and path.stat().st_size > 100)
    services.generation_cancel(generation=g)
    assert g.cancel_requested and g.status == "running"  # until the sentence is spoken
    runner.join(timeout=10)
    assert not runner.is_alive()
    g.refresh_from_db()
    assert g.status == "cancelled" and g.finished_at and not g.worker_id
    assert 0 < g.duration < len(FIVE_SENTENCES) * SECONDS_PER_CHAR / 2, "it stopped early"
    data = path.read_bytes()
    assert g.audio_size == len(data)
    assert decoded_seconds(data, audio_format) == pytest.approx(g.duration, abs=0.1)
    if audio_format == "wav":
        assert int.from_bytes(data[4:8], "little") == len(data) - 8
        assert int.from_bytes(data[40:44], "little") == len(data) - 44


def test_it_cancels_a_queued_generation_at_once(alice, make_generation, queued):
    g = make_generation(alice)
    services.generation_cancel(generation=g)
    assert g.status == "cancelled" and g.finished_at and not g.has_file
    job_run(model=Generation, job_id=g.pk)  # a worker picking it up later does nothing
    g.refresh_from_db()
    assert g.status == "cancelled" and not Path(g.audio.path).exists()


def test_cancelling_a_finished_generation_changes_nothing(alice, make_generation):
    g = make_generation(alice)  # the inline backend ran it
    services.generation_cancel(generation=g)
    assert g.status == "done" and not g.cancel_requested
