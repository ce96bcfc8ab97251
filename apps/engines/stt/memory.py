"""Admission by free memory: a transcription that would not fit waits instead of starting.

Two jobs at once, or a job beside other programs, can ask for more memory than the machine has;
the kernel then kills the worker mid-job. Before decoding, the engine reckons what the job needs
(the model, if not loaded yet, plus a window of audio and the decoder's working set) and waits,
looking for a cancel, until the system says that much is available.
"""

import logging
import time
from collections.abc import Callable
from pathlib import Path

from apps.core.media import SAMPLE_RATE

logger = logging.getLogger(__name__)

# The decoder's working set beyond the model and the audio (beam search, alignment, features),
# measured at ~250–350 MB for base on a 600 s window (docs/benchmarks.md).
WORKING_BYTES = 350 * 1024 * 1024
# A loaded model takes about this many times the size of its weights file (int8 in memory).
_MODEL_OVERHEAD = 1.5
_MEMINFO = Path("/proc/meminfo")


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
    """What a job needs: for each of its `lanes` (parts decoded at once, lanes.py) a window of
    float32 audio (twice: samples and features) and the decoder's working set, and the model
    once, when it has to be loaded first (`model_file`)."""
    audio = int(window_seconds * SAMPLE_RATE * 4 * 2)
    model = int(model_file.stat().st_size * _MODEL_OVERHEAD) if model_file else 0
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
