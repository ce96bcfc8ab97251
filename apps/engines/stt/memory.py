"""Admission by free memory: a transcription that would not fit waits instead of starting.

Two jobs at once, or a job beside other programs, can ask for more memory than the machine has;
the kernel then kills the worker mid-job. Before decoding, the engine reckons what the job needs
(the model, if not loaded yet, plus copies of the longest window of audio it holds and the
decoder's working set) and waits, looking for a cancel, until the system says that much is
available. And a job gives back what each window freed, so that what it needs does not grow
with the length of the recording (give_back_large_blocks, trim_freed).
"""

import ctypes
import functools
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from apps.core.media import SAMPLE_RATE

logger = logging.getLogger(__name__)

# What a job adds to a warm worker at its peak: copies of the float32 audio of the longest
# window it holds (the window, its speech joined for the decoder, the spectrogram's padded
# signal, Silero's input, the spectrogram pieces) and the decoder's working set beyond them.
# Measured (RSS sampled every 0.25 s; docs/benchmarks.md, issue 9, session 33): 3.2 minutes
# tiny.en +140 MB, base +165 MB; 600 s windows (30 and 60 minutes) tiny.en +293 MB, base
# +311 MB: about 6 copies and 70-100 MB. Reckoned 6 copies and 128 MB: 198 MB and 348 MB, some
# room over every peak measured (they vary by 20-50 MB from run to run).
AUDIO_COPIES = 6
WORKING_BYTES = 128 * 1024 * 1024
# A model loaded for a job adds its weights file's size, and the first job also loads the other
# networks and libraries every job uses (Silero, segmentation-3.0, the decoder's runtime):
# measured tiny.en +122 MB (72 MB file), base +158 MB (138 MB file).
MODEL_OVERHEAD = 1.0
LOADED_WITH_MODEL = 50 * 1024 * 1024
_MEMINFO = Path("/proc/meminfo")
# glibc's mallopt parameter for the size from which a block is mapped on its own, and handed
# back to the system as soon as it is freed.
_M_MMAP_THRESHOLD = -3
# Blocks of this size or more mapped apart. glibc's own threshold starts at 128 KB and rises to
# the size of each mapped block freed, up to 32 MB: after a first window, its audio and
# spectrogram pieces (5-30 MB each) came from the heap, which kept them and their holes. The
# worker's peak then rose by 100-180 MB after the first window of a long recording, and its
# memory between windows kept rising. At 4 MB, with trim_freed, the memory between windows
# stays flat and the later windows' peaks are lower (30.9 minutes: tiny.en 570 against 676 MB,
# base 626 against 891 MB), for 1-4 % more CPU with tiny.en and 5-11 % with base (the blocks
# of 4-32 MB mapped and faulted in at each use: docs/benchmarks.md, issue 9, session 33; at
# 128 KB tiny.en cost 1.6x the CPU, at 32 MB nothing is gained).
MAP_APART_BYTES = 4 * 1024 * 1024
_mapping_lock = threading.Lock()
_mapping_set = False


def trim_freed() -> None:
    """Hands the memory freed in this process's heaps back to the system (glibc's
    malloc_trim; elsewhere nothing): what a window's smaller blocks left between the blocks
    still held. Without it the worker held ~80 MB more between windows and after the job,
    and its peaks in later windows were ~50 MB higher (docs/benchmarks.md, issue 9, session
    33)."""
    trim = _glibc("malloc_trim")
    if trim is not None:
        trim(0)


@functools.cache
def _glibc(name: str):
    """glibc's function `name` in this process; None under another C library."""
    try:
        return getattr(ctypes.CDLL(None), name)
    except (OSError, AttributeError):
        return None


def give_back_large_blocks() -> bool:
    """Makes this process map blocks of MAP_APART_BYTES or more apart, so the memory of a
    window freed goes back to the system (once per process; glibc only, and not where the
    MALLOC_MMAP_THRESHOLD_ environment variable already says how). Whether it is so."""
    global _mapping_set
    with _mapping_lock:
        if not _mapping_set and "MALLOC_MMAP_THRESHOLD_" not in os.environ:
            if (mallopt := _glibc("mallopt")) is None:  # not glibc: left as it is
                return False
            _mapping_set = bool(mallopt(_M_MMAP_THRESHOLD, MAP_APART_BYTES))
        return _mapping_set


def available_bytes() -> int | None:
    """MemAvailable from the kernel; None where it is not known (then nothing waits)."""
    try:
        for line in _MEMINFO.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def needed_bytes(*, window_seconds: float, model_file: Path | None, lanes: int = 1) -> int:
    """What a job needs: for each of its `lanes` (parts decoded at once, lanes.py) AUDIO_COPIES
    of `window_seconds` of audio (a whole window, or less on a shorter recording) and the
    decoder's working set, and the model once, when it has to be loaded first (`model_file`)."""
    audio = int(window_seconds * SAMPLE_RATE * 4 * AUDIO_COPIES)
    model = 0
    if model_file:
        model = int(model_file.stat().st_size * MODEL_OVERHEAD) + LOADED_WITH_MODEL
    return lanes * (audio + WORKING_BYTES) + model


def wait_for_memory(need: int, *, should_stop: Callable[[], bool], poll: float = 1.0) -> bool:
    """Wait until `need` bytes are available; False when a stop was asked for meanwhile."""
    logged = False
    while True:
        free = available_bytes()
        if free is None or free >= need:
            return True
        if should_stop():
            return False
        if not logged:
            logger.warning(
                "Waiting for memory: %d MB needed, %d MB available", need >> 20, free >> 20
            )
            logged = True
        time.sleep(poll)
