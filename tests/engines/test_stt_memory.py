"""Admission by free memory: a job that would not fit waits (and can be cancelled meanwhile)
instead of starting and being killed."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from faster_whisper.vad import VadOptions, collect_chunks

from apps.core.media import decode_all
from apps.engines.stt import memory
from apps.engines.stt.base import TranscriptionRequest
from apps.engines.stt.local import LocalWhisperBackend, _speech_only
from apps.engines.stt.memory import available_bytes, needed_bytes
from apps.engines.stt.silero import SpeechProbabilities
from tests import long_recording

REPO = Path(__file__).resolve().parents[2]
MB = 1024 * 1024
# In a process of its own (what the allocator kept before is not this test's): RSS once the
# engine has loaded its model, then after a window's spectrogram-sized array (20 MB, under
# glibc's own 32 MB limit) was made and freed three times.
_WINDOWS_FREED = """
import django
django.setup()
import numpy as np
from apps.engines.stt.local import load_model

def rss():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) * 1024

load_model("tiny.en", device="cpu", compute_type="int8", cpu_threads=1)
before = rss()
for _ in range(3):
    window = np.ones(5_000_000, dtype=np.float32)
    del window
print(rss() - before)
"""


def test_a_job_too_big_for_the_memory_waits_until_cancelled(corpus, monkeypatch):
    # A decoder whose working set is twice the memory available.
    monkeypatch.setattr(memory, "WORKING_BYTES", 2 * available_bytes())
    engine = LocalWhisperBackend(alias="t", default_model="tiny.en", memory_poll_seconds=0.01)
    asked = []

    def cancel_on_third_look():
        asked.append(1)
        return len(asked) >= 3

    request = TranscriptionRequest(audio_path=corpus / "jfk.flac", should_stop=cancel_on_third_look)
    assert list(engine.transcribe(request)) == []
    assert len(asked) == 3


def _audio_bytes(seconds: float) -> int:
    return int(seconds * 16_000 * 4 * memory.AUDIO_COPIES)


def test_a_recording_shorter_than_a_window_reckons_its_own_length(corpus, tmp_path, monkeypatch):
    minute, ten = tmp_path / "minute.wav", tmp_path / "ten.wav"
    long_recording.build(minute, corpus, seconds=62, seed=5, clips=("jfk.flac", "cheetah_en.wav"))
    long_recording.build(ten, corpus, seconds=600, seed=5, clips=("jfk.flac", "cheetah_en.wav"))
    engine = LocalWhisperBackend(
        alias="t", default_model="tiny.en", window_seconds=600, memory_poll_seconds=0.01
    )
    engine.model("tiny.en")  # loaded: only the job itself counts
    # Memory for 5 minutes of a window's audio, not for 10: a one-minute recording starts, a
    # ten-minute one waits (a 3-minute recording was reckoned a whole window: 2-3x its peak).
    monkeypatch.setattr(memory, "WORKING_BYTES", available_bytes() - _audio_bytes(300))
    asked = []

    def cancel_on_second_look():
        asked.append(1)
        return len(asked) >= 2

    assert (
        list(
            engine.transcribe(
                TranscriptionRequest(audio_path=ten, should_stop=cancel_on_second_look)
            )
        )
        == []
    )
    assert len(asked) == 2
    started = TranscriptionRequest(audio_path=minute, should_stop=lambda: True)
    assert list(engine.transcribe(started))


def test_a_job_that_fits_starts_at_once(corpus):
    engine = LocalWhisperBackend(alias="t", default_model="tiny.en", window_seconds=30)
    request = TranscriptionRequest(audio_path=corpus / "jfk.flac", should_stop=lambda: False)
    assert any(e for e in engine.transcribe(request))
    assert available_bytes() > needed_bytes(window_seconds=30, model_file=None)


def test_the_model_counts_only_when_it_must_be_loaded(tmp_path):
    weights = tmp_path / "model.bin"
    weights.write_bytes(b"\0" * 1_000_000)
    loaded = needed_bytes(window_seconds=600, model_file=None)
    assert loaded == _audio_bytes(600) + memory.WORKING_BYTES
    with_model = needed_bytes(window_seconds=600, model_file=Path(weights))
    assert with_model == loaded + int(1_000_000 * memory.MODEL_OVERHEAD) + memory.LOADED_WITH_MODEL


def test_each_part_decoded_at_once_needs_its_own_window(tmp_path):
    weights = tmp_path / "model.bin"
    weights.write_bytes(b"\0" * 1_000_000)
    one = needed_bytes(window_seconds=600, model_file=None)
    # Two lanes hold two windows and two working sets, but the model once.
    assert needed_bytes(window_seconds=600, model_file=None, lanes=2) == 2 * one
    both = needed_bytes(window_seconds=600, model_file=Path(weights), lanes=2)
    assert both == 2 * one + int(1_000_000 * memory.MODEL_OVERHEAD) + memory.LOADED_WITH_MODEL


def test_a_job_in_two_parts_waits_for_memory_for_both(corpus, tmp_path, monkeypatch):
    # Enough memory for one part, not for two: a minute in two parts waits, alone it starts.
    path = tmp_path / "minute.wav"
    long_recording.build(path, corpus, seconds=62, seed=5, clips=("jfk.flac", "cheetah_en.wav"))
    monkeypatch.setattr(memory, "WORKING_BYTES", int(available_bytes() * 0.6))
    asked = []

    def cancel_on_second_look():
        asked.append(1)
        return len(asked) >= 2

    def engine(lanes):
        return LocalWhisperBackend(
            alias="t",
            default_model="tiny.en",
            lanes=lanes,
            memory_poll_seconds=0.01,
        )

    request = TranscriptionRequest(audio_path=path, should_stop=cancel_on_second_look)
    assert list(engine(2).transcribe(request)) == []
    assert len(asked) == 2
    # The same engine on a clip too short to be cut in two reckons one window and starts.
    short = TranscriptionRequest(audio_path=corpus / "jfk.flac", should_stop=lambda: True)
    assert list(engine(2).transcribe(short))


# The same, after the engine's first job: 100 MB freed in 1 MB blocks (under the size mapped
# apart, so from the heap) between 300 KB blocks still held, then one more job; the RSS the
# freed blocks held before it, and the RSS over the first job's end after it.
_HOLES_FREED = """
import sys
from pathlib import Path
import django
django.setup()
import numpy as np
from apps.engines.stt.base import TranscriptionRequest
from apps.engines.stt.local import LocalWhisperBackend

def rss():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) * 1024

clip = TranscriptionRequest(audio_path=Path(sys.argv[1]))
engine = LocalWhisperBackend(alias="t", default_model="tiny.en")
list(engine.transcribe(clip))
before = rss()
freed, held = [], []
for _ in range(100):
    freed.append(np.ones(250_000, dtype=np.float32))
    held.append(np.ones(75_000, dtype=np.float32))
del freed
holes = rss() - before
list(engine.transcribe(clip))
print(holes, rss() - before)
"""


def _in_a_process_of_its_own(code: str, *args: str) -> list[int]:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_MMAP_THRESHOLD_"}
    env.setdefault("DJANGO_SETTINGS_MODULE", "voiceportal.settings")
    out = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return [int(x) for x in out.stdout.split()]


def test_memory_a_window_freed_goes_back_to_the_system_once_the_engine_is_loaded():
    # glibc keeps a block that size in its heap once one was freed: the worker's memory rose
    # 100-180 MB after a long recording's first window, and stayed there.
    (grown,) = _in_a_process_of_its_own(_WINDOWS_FREED)
    assert grown < 4 * MB


def test_memory_freed_between_blocks_still_held_goes_back_after_a_window(corpus):
    # Without it the worker held ~80 MB more between a long recording's windows.
    holes, after = _in_a_process_of_its_own(_HOLES_FREED, str(corpus / "jfk.flac"))
    assert holes > 80 * MB  # the freed blocks were still the process's
    assert after < 30 * MB + 15 * MB  # the blocks still held, and little more


def test_the_speech_decoded_is_joined_as_faster_whisper_joins_it(corpus):
    audio = decode_all(corpus / "multilingual.mp3")
    chunks = SpeechProbabilities(audio).chunks(VadOptions(min_silence_duration_ms=300))
    assert len(chunks) > 3
    for some in (chunks, chunks[:1], []):
        joined = np.concatenate(collect_chunks(audio, some)[0])
        assert _speech_only(audio, some).dtype == joined.dtype
        assert np.array_equal(_speech_only(audio, some), joined)
