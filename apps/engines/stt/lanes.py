"""Two parts of one recording decoded at once, on one loaded model.

With tiny.en on two cores, a decoder given two threads is barely faster than with one (the
matrix products are too small to share out), so one job left a core idle. Here the recording
left to do is cut in `lanes` parts in pauses; each part is decoded as the whole file was
(window by window, each conditioned on the text before it; a later part's first window on the
text of the seconds before its start, decoded first: local.py `_WindowedRun.prime`; a part's
last window on DECODED_PAST_CUT_SECONDS past its end, the text there dropped; every window's
spectrogram floored under the recording's loudest bin, loudest_bin) by a single-threaded
decoder of its own, and CTranslate2 runs them side by side on the one set of weights
(`num_workers`). Chosen automatically (0), two parts are decoded only where the machine has a
second core idle as the job starts (idle_cores).

The first part's segments go out as they are decoded; later parts wait in a queue until the
parts before them are done, so segments are always given in time order: a job that stops or
crashes has stored a prefix of the recording, and resumes where it ends. A stop never falls
between the pieces of one segment split at a pause (pauses.py Pieces), in a later part as in
the first.
"""

import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from apps.core.media import SAMPLE_RATE, iter_pcm

from .batched import cpu_threads
from .pauses import Pieces
from .regions import PAUSE_FRAME, quiet_runs

# A part shorter than this is not worth a decoder of its own: each costs a start without the
# text before it, and Whisper decodes 30 s at a time anyway.
MIN_LANE_SECONDS = 30.0
# Where parts meet: the pause nearest the even split within this many seconds either side.
# A pause is a run of 100 ms frames within 10 dB of the quietest (background noise varies a
# little; digital silence counts as quiet beside anything under -100 dB), at least
# MIN_PAUSE_SECONDS long, so the cut falls between sentences or clauses rather than in the
# 100 ms gap between two words (where the quietest frame alone can lie).
_CUT_SEARCH_SECONDS = 10.0
MIN_PAUSE_SECONDS = 0.5
# A part before another is decoded on this many seconds past its end (a whole Whisper view),
# its text there dropped: cut off at the end, the part's last 30 s view ended in padding, and
# Whisper, reading it as the end of the recording, wrote a sentence said 25 s later over the
# pause before it (base, a development recording; docs/benchmarks.md, issue 9, session 29).
# With a whole view, no view that holds speech before the end ends in padding. 10 s saved
# 0.2-0.4 CPU s on 3 minutes, but base then wrote a sonnet's number, said 20 s later, at the
# join of the held-out sonnets (session 30); 2 s gave the development recording's sentence
# from later again. The views before the last are the same however far it runs on: every part
# is floored under the recording's loudest bin (loudest_bin).
DECODED_PAST_CUT_SECONDS = 30.0
# Lanes chosen automatically decode two parts only where this many cores are idle when the job
# starts (the job itself not yet running): with other processes on the cores a second
# single-threaded part has none to run on, and two parts took twice one part's wall time
# (docs/benchmarks.md, issue 9, session 29).
IDLE_CORES_FOR_LANES = 1.5
# How long the cores' idle time is sampled: the one-minute load average still counts the
# worker's own last job a minute after it ended.
_IDLE_SAMPLE_SECONDS = 0.1
_PROC_STAT = Path("/proc/stat")
# How often a consumer waiting on a later part looks for a cancel.
_STOP_POLL_SECONDS = 0.5
_END = object()


def lane_count(setting: int, device: str) -> int:
    """Parts decoded at once: the setting, or (0) two on a CPU with two cores or more and one
    on CUDA, where batches (batched.py) fill the device instead."""
    if setting:
        return setting
    return min(2, cpu_threads()) if device == "cpu" else 1


def idle_cores(*, sample: float = _IDLE_SAMPLE_SECONDS) -> float:
    """Cores idle now: from the kernel's idle time over `sample` seconds, or (where there is no
    /proc/stat) the cores less the one-minute load average."""
    first = _cpu_times()
    if first is None:
        return cpu_threads() - os.getloadavg()[0]
    time.sleep(sample)
    second = _cpu_times()
    idle, total = (b - a for a, b in zip(first, second, strict=True))
    return (os.cpu_count() or 1) * idle / total if total else float(cpu_threads())


def _cpu_times() -> tuple[int, int] | None:
    """(idle, all) jiffies of every core since boot (idle with iowait; all without guest time,
    which the kernel counts in user time too)."""
    try:
        fields = [int(f) for f in _PROC_STAT.read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return None
    return fields[3] + fields[4], sum(fields)


def lane_bounds(path, *, start: float, end: float, lanes: int) -> list[tuple[float, float]]:
    """[start, end) in up to `lanes` parts of about equal length, each at least
    MIN_LANE_SECONDS, cut in the middle of the pause nearest each even split."""
    lanes = max(1, min(lanes, int((end - start) // MIN_LANE_SECONDS)))
    step = (end - start) / lanes
    cuts = [_pause_near(path, start + i * step) for i in range(1, lanes)]
    edges = [start, *cuts, end]
    return list(zip(edges, edges[1:], strict=False))


def loudest_bin(path, *, start: float, of) -> float:
    """The loudest bin of the spectrogram (feature extractor `of`) of the recording from
    `start`, read block by block: what Whisper floors a window under when one part decodes it
    whole (features.py floored_on). Past one window (600 s) one part floors each window under
    its own; the parts are floored under the loudest of them all."""
    return max((of.loudest(block) for block in iter_pcm(path, start_at=start)), default=-10.0)


def _pause_near(path, near: float) -> float:
    """The middle of the pause nearest `near` (file seconds) within _CUT_SEARCH_SECONDS of it;
    the longest quiet run there when none lasts MIN_PAUSE_SECONDS."""
    first = max(0.0, near - _CUT_SEARCH_SECONDS)
    samples = next(iter_pcm(path, start_at=first, block_seconds=2 * _CUT_SEARCH_SECONDS), None)
    if samples is None or len(samples) // PAUSE_FRAME < 2:
        return near
    _, runs = quiet_runs(samples)
    middles = [(begin + length / 2) * PAUSE_FRAME / SAMPLE_RATE for begin, length in runs]
    long_enough = [
        m
        for m, (_, length) in zip(middles, runs, strict=True)
        if length * PAUSE_FRAME >= MIN_PAUSE_SECONDS * SAMPLE_RATE
    ]
    if long_enough:
        middle = min(long_enough, key=lambda m: abs(first + m - near))
    else:
        middle = middles[max(range(len(runs)), key=lambda i: runs[i][1])]
    return round(first + middle, 3)


Lane = Callable[[Callable[[], bool]], Iterator]


def in_order(lanes: list[Lane], *, should_stop: Callable[[], bool]) -> Iterator:
    """Every lane's items, lane after lane. `lane(stop)` gives a lane's items and ends early
    once `stop()` is true. The first lane runs in the caller's thread as it is consumed; the
    others run at once in threads of their own, their items queued until their turn. Only the
    caller's thread asks `should_stop` (it may query the database). An error in a lane is
    raised when its turn comes."""
    if len(lanes) == 1:
        yield from lanes[0](should_stop)
        return
    halt = threading.Event()
    queues = [queue.SimpleQueue() for _ in lanes[1:]]
    threads = [
        threading.Thread(target=_pump, args=(lane, halt, q), daemon=True, name="stt-lane")
        for lane, q in zip(lanes[1:], queues, strict=True)
    ]
    for thread in threads:
        thread.start()
    try:
        yield from lanes[0](lambda: halt.is_set() or should_stop())
        for q in queues:
            if should_stop():
                return
            yield from _drained(q, should_stop)
    finally:
        # Stopped, failed or done: the other lanes end at their next segment, so a cancelled
        # job leaves no decoder running behind it.
        halt.set()
        for thread in threads:
            thread.join()


def _pump(lane: Lane, halt: threading.Event, out: queue.SimpleQueue) -> None:
    try:
        for item in lane(halt.is_set):
            out.put(item)
    except BaseException as exc:  # handed to the consumer, raised in its thread
        out.put(exc)
    out.put(_END)


def _drained(q: queue.SimpleQueue, should_stop: Callable[[], bool]) -> Iterator:
    """A later lane's queued items, up to its end or a stop, never between the pieces of one
    segment split at a pause (pauses.py Pieces): the job resumes after the last one stored."""
    pieces = Pieces()
    while True:
        try:
            item = q.get(timeout=_STOP_POLL_SECONDS)
        except queue.Empty:
            if not pieces.inside and should_stop():
                return
            continue
        if item is _END:
            return
        if isinstance(item, BaseException):
            raise item
        yield item
        if pieces.stoppable_after(item) and should_stop():
            return
