"""Admission by free memory: a job that would not fit waits (and can be cancelled meanwhile)
instead of starting and being killed."""

from pathlib import Path

from apps.engines.stt.base import TranscriptionRequest
from apps.engines.stt.local import LocalWhisperBackend
from apps.engines.stt.memory import WORKING_BYTES, available_bytes, needed_bytes
from tests import long_recording


def test_a_job_too_big_for_the_memory_waits_until_cancelled(corpus):
    # A window of ten million hours would need more memory than any machine has.
    engine = LocalWhisperBackend(
        alias="t", default_model="tiny.en", window_seconds=3.6e10, memory_poll_seconds=0.01
    )
    asked = []

    def cancel_on_third_look():
        asked.append(1)
        return len(asked) >= 3

    request = TranscriptionRequest(audio_path=corpus / "jfk.flac", should_stop=cancel_on_third_look)
    assert list(engine.transcribe(request)) == []
    assert len(asked) == 3


def test_a_job_that_fits_starts_at_once(corpus):
    engine = LocalWhisperBackend(alias="t", default_model="tiny.en", window_seconds=30)
    request = TranscriptionRequest(audio_path=corpus / "jfk.flac", should_stop=lambda: False)
    assert any(e for e in engine.transcribe(request))
    assert available_bytes() > needed_bytes(window_seconds=30, model_file=None)


def test_the_model_counts_only_when_it_must_be_loaded(tmp_path):
    weights = tmp_path / "model.bin"
    weights.write_bytes(b"\0" * 1_000_000)
    loaded = needed_bytes(window_seconds=600, model_file=None)
    assert loaded == 600 * 16_000 * 8 + WORKING_BYTES
    assert needed_bytes(window_seconds=600, model_file=Path(weights)) == loaded + 1_500_000


def test_each_part_decoded_at_once_needs_its_own_window(tmp_path):
    weights = tmp_path / "model.bin"
    weights.write_bytes(b"\0" * 1_000_000)
    one = needed_bytes(window_seconds=600, model_file=None)
    # Two lanes hold two windows and two working sets, but the model once.
    assert needed_bytes(window_seconds=600, model_file=None, lanes=2) == 2 * one
    both = needed_bytes(window_seconds=600, model_file=Path(weights), lanes=2)
    assert both == 2 * one + 1_500_000


def test_a_job_in_two_parts_waits_for_memory_for_both(corpus, tmp_path):
    # Enough memory for one window, not for two: a minute in two parts waits, alone it starts.
    path = tmp_path / "minute.wav"
    long_recording.build(path, corpus, seconds=62, seed=5, clips=("jfk.flac", "cheetah_en.wav"))
    window = (available_bytes() - WORKING_BYTES) / (16_000 * 8) * 0.75
    asked = []

    def cancel_on_second_look():
        asked.append(1)
        return len(asked) >= 2

    def engine(lanes):
        return LocalWhisperBackend(
            alias="t",
            default_model="tiny.en",
            lanes=lanes,
            window_seconds=window,
            memory_poll_seconds=0.01,
        )

    request = TranscriptionRequest(audio_path=path, should_stop=cancel_on_second_look)
    assert list(engine(2).transcribe(request)) == []
    assert len(asked) == 2
    # The same engine on a clip too short to be cut in two reckons one window and starts.
    short = TranscriptionRequest(audio_path=corpus / "jfk.flac", should_stop=lambda: True)
    assert list(engine(2).transcribe(short))
