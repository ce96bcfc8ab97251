"""Admission by free memory: a job that would not fit waits (and can be cancelled meanwhile)
instead of starting and being killed."""

from pathlib import Path

from apps.engines.stt.base import TranscriptionRequest
from apps.engines.stt.local import LocalWhisperBackend
from apps.engines.stt.memory import WORKING_BYTES, available_bytes, needed_bytes


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
