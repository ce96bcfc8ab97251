"""Memory and CPU of the clustering alone, by recording length (issue 10, sessions 32 and 33).

Made-up embeddings stand in for an analysis's windows (1.5 s every 0.75 s: 80 a minute of
speech): a few voices taking turns of 2 to 20 s, each window its voice's vector plus noise, so
two windows of one voice sit at a cosine of about 0.75 as Resemblyzer's do (two voices' at
about 0.56). Printed: CPU seconds and the process's peak RSS for the one call, and the share
of windows given their true voice. Each length runs in a fresh process, with the subsample
bounds (`clustering.MAX_CLUSTERED_WINDOWS`, `MAX_COUNTED_WINDOWS`) as they are and, for
comparison, lifted (every window clustered, as before sessions 32 and 33). With the count
given by default; `--auto`: the automatic count (bounded since session 33), with the count
found printed too.

    .venv/bin/python bench/bench_clustering_memory.py [--minutes 10 60 120] [--speakers 5] [--auto]
"""

import argparse
import multiprocessing
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WINDOWS_PER_MINUTE = 80


def made_up_windows(minutes: float, speakers: int, *, seed: int = 0):
    """(embeddings, true labels): turns of 2 to 20 s, in a random order of voices."""
    rng = np.random.default_rng(seed)
    # Voices share a room and a microphone: two voices' windows sit at about 0.56.
    shared = rng.standard_normal(256)
    voices = np.sqrt(0.75) * shared / np.linalg.norm(shared)
    own = rng.standard_normal((speakers, 256))
    voices = voices + np.sqrt(0.25) * own / np.linalg.norm(own, axis=1, keepdims=True)
    n = int(minutes * WINDOWS_PER_MINUTE)
    truth = np.empty(n, dtype=int)
    at = 0
    while at < n:
        turn = int(rng.uniform(2, 20) / 0.75)
        truth[at : at + turn] = rng.integers(speakers)
        at += turn
    noise = rng.standard_normal((n, 256)) * np.sqrt(0.33 / 256)
    embeddings = voices[truth] + noise
    return embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True), truth


def _run(minutes: float, speakers: int, bound: int | None, auto: bool, queue) -> None:
    from apps.engines.analysis import clustering

    embeddings, truth = made_up_windows(minutes, speakers)
    if bound is not None:  # lifted: both bounds, the count given's and the count's
        clustering.MAX_CLUSTERED_WINDOWS = clustering.MAX_COUNTED_WINDOWS = bound
    start_cpu = time.process_time()
    labels = clustering.cluster(embeddings, num_speakers=None if auto else speakers)
    cpu = time.process_time() - start_cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    found = len(np.unique(labels))
    queue.put((len(embeddings), cpu, peak, _accuracy(labels, truth, speakers), found))


def _accuracy(labels: np.ndarray, truth: np.ndarray, speakers: int) -> float:
    """Share of windows labelled right under the best one-to-one mapping of labels."""
    from scipy.optimize import linear_sum_assignment

    size = max(speakers, int(labels.max()) + 1)
    table = np.zeros((size, size))
    np.add.at(table, (labels, truth), 1)
    rows, cols = linear_sum_assignment(-table)
    return float(table[rows, cols].sum() / len(truth))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[10.0, 60.0, 120.0])
    parser.add_argument("--speakers", type=int, default=5)
    parser.add_argument("--auto", action="store_true", help="the automatic count")
    args = parser.parse_args()
    context = multiprocessing.get_context("spawn")
    for minutes in args.minutes:
        for name, bound in (("every window", 10**9), ("bounded", None)):
            queue = context.Queue()
            child = context.Process(
                target=_run, args=(minutes, args.speakers, bound, args.auto, queue)
            )
            child.start()
            n, cpu, peak, right, found = queue.get()
            child.join()
            print(
                f"{minutes:5.0f} min {n:6d} windows  {name:12s}  {cpu:6.1f} s CPU  "
                f"peak RSS {peak:5.0f} MB  windows right {right:.1%}  speakers {found}"
            )


if __name__ == "__main__":
    main()
