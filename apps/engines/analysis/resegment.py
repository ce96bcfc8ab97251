"""Speaker turns at 10 ms resolution from window embeddings and speaker centroids.

Clustering gives each 1.5 s window one speaker, which places a change of speaker anywhere within
a window's length of where it happened and lets one odd window make a two-window "turn". Here
every 10 ms frame of speech is scored against every speaker by the windows that cover it (the
mean cosine similarity of their embeddings to the speaker's centroid), and a Viterbi pass picks
the best sequence of speakers, paying `switch_penalty` for each change of speaker inside a
stretch of speech (a change across a pause is free, as turns mostly change there). Turns
shorter than `min_turn` that remain are given to the neighbour that scores better over them.

Overlapping speech: where the runner-up speaker scores within `overlap_margin` of the chosen
one, both voices are likely in the windows there; those frames are reported as the runner-up's
overlap turns, so callers can mark them (they are not added to the main turns).
"""

from dataclasses import dataclass

import numpy as np

FRAME = 0.01


@dataclass(frozen=True)
class ResegmentOptions:
    # Score scale: cosine similarities differ by a few hundredths between speakers, so they are
    # divided by this before the switch penalty is weighed against them.
    temperature: float = 0.05
    switch_penalty: float = 8.0  # in scaled-score units per change within speech
    min_turn: float = 0.5  # seconds
    overlap_margin: float = 0.02  # cosine similarity; <= 0 disables overlap marks
    iterations: int = 2  # centroid refinements from the re-segmented frames


@dataclass(frozen=True)
class FrameLabels:
    starts: np.ndarray  # start of each region's first frame, seconds
    labels: list[np.ndarray]  # per region: speaker index of each 10 ms frame
    runner_up: list[np.ndarray]  # per region: second speaker where overlap is likely, else -1
    centroids: np.ndarray  # refined from the frames' speakers, L2-normalised


def resegment(
    regions: list[tuple[float, float]],
    spans: list[tuple[float, float]],
    embeddings: np.ndarray,
    centroids: np.ndarray,
    options: ResegmentOptions = ResegmentOptions(),
    overlapped: list[np.ndarray] | None = None,
    bonus: list[np.ndarray] | None = None,
) -> FrameLabels:
    """Per-frame speaker indices (into `centroids`) for each speech region. `overlapped`: per
    region, the frames where a detector heard two voices at once; there the runner-up speaker
    is the second voice, in place of the score margin. `bonus`: per region, (frames, speakers)
    added to the scaled scores of the last Viterbi pass (local_votes.py); the runner-up is
    still read from the embeddings' scores alone."""
    coverage = [_coverage(start, end, spans) for start, end in regions]
    for _ in range(max(0, options.iterations)):
        labels = _viterbi_all(coverage, embeddings @ centroids.T, options)
        centroids = _refined(embeddings, coverage, labels, centroids)
    scores = embeddings @ centroids.T
    labels = _viterbi_all(coverage, scores, options, bonus)
    runner_up = [
        _runner_up(
            _frame_scores(c, scores),
            frame_labels,
            options,
            None if overlapped is None else overlapped[i],
        )
        for i, (c, frame_labels) in enumerate(zip(coverage, labels, strict=True))
    ]
    return FrameLabels(np.array([s for s, _ in regions]), labels, runner_up, centroids)


@dataclass(frozen=True)
class _Coverage:
    """Which windows cover each 10 ms frame of a region, and how much each counts: frames x
    `width` window indices and weights (1 / windows covering the frame; 0 pads a row). Only
    the few windows over a frame are kept: a frame x every window matrix grew with the square
    of the recording's length (13 GB for an hour of talk; docs/benchmarks.md, session 32)."""

    windows: np.ndarray
    weights: np.ndarray


def _coverage(start: float, end: float, spans) -> _Coverage:
    """The windows covering each frame of [start, end); a frame no window covers (a region too
    short for one) takes the window centred nearest."""
    frames = np.arange(start, end, FRAME) + FRAME / 2
    bounds = np.asarray(spans, dtype=float).reshape(-1, 2)
    order = np.argsort(bounds[:, 0], kind="stable")
    starts, ends = bounds[order, 0], bounds[order, 1]
    # A window over frame f starts at or before f and less than the longest window before it.
    first = np.searchsorted(starts, frames - np.max(ends - starts), side="right")
    last = np.searchsorted(starts, frames, side="right")
    width = max(1, int(np.max(last - first, initial=0)))
    candidates = first[:, None] + np.arange(width)[None, :]
    clipped = np.minimum(candidates, len(starts) - 1)
    inside = (candidates < last[:, None]) & (ends[clipped] > frames[:, None])
    empty = ~inside.any(axis=1)
    if empty.any():
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        clipped[empty, 0] = rank[nearest_centre(frames[empty], spans)]
        inside[empty, 0] = True
    weights = inside / inside.sum(axis=1, keepdims=True)
    return _Coverage(np.where(inside, order[clipped], 0), weights)


def nearest_centre(times: np.ndarray, spans) -> np.ndarray:
    """For each time, the index of the span whose centre is nearest (the first such span in
    `spans` on a tie), found by bisection rather than a times x spans table."""
    centres = np.asarray(spans, dtype=float).reshape(-1, 2).mean(axis=1)
    order = np.argsort(centres, kind="stable")
    ranked = centres[order]
    right = np.clip(np.searchsorted(ranked, times, side="left"), 0, len(ranked) - 1)
    left = np.clip(right - 1, 0, len(ranked) - 1)
    # The first index among equal centres, as argmin over the spans would pick.
    left = np.searchsorted(ranked, ranked[left], side="left")
    gap_left, gap_right = np.abs(times - ranked[left]), np.abs(ranked[right] - times)
    tied = gap_left == gap_right
    pick = np.where(gap_left < gap_right, order[left], order[right])
    return np.where(tied, np.minimum(order[left], order[right]), pick)


def _frame_scores(coverage: _Coverage, scores: np.ndarray) -> np.ndarray:
    return np.einsum("fw,fwk->fk", coverage.weights, scores[coverage.windows])


def _viterbi_all(coverage, scores, options, bonus=None) -> list[np.ndarray]:
    """Viterbi over all regions as one sequence, so the speaker carries across pauses (for free)."""
    frame_scores = [_frame_scores(c, scores) / options.temperature for c in coverage]
    if bonus is not None:
        frame_scores = [f + b for f, b in zip(frame_scores, bonus, strict=True)]
    if not frame_scores:
        return []
    joined = np.concatenate(frame_scores)
    first = np.cumsum([0] + [len(f) for f in frame_scores[:-1]])
    free = np.zeros(len(joined), dtype=bool)
    free[first] = True  # a region's first frame: changing speaker there costs nothing
    path = _viterbi(joined, free, options.switch_penalty)
    path = _min_turns(path, joined, free, round(options.min_turn / FRAME))
    return np.split(path, first[1:])


def _viterbi(scores: np.ndarray, free: np.ndarray, penalty: float) -> np.ndarray:
    n, k = scores.shape
    if k == 1:
        return np.zeros(n, dtype=int)
    back = np.zeros((n, k), dtype=np.int32)
    total = scores[0].copy()
    for t in range(1, n):
        cost = 0.0 if free[t] else penalty
        best = int(np.argmax(total))
        stay_or_switch = np.where(total >= total[best] - cost, np.arange(k), best)
        back[t] = stay_or_switch
        total = np.maximum(total, total[best] - cost) + scores[t]
    path = np.empty(n, dtype=int)
    path[-1] = int(np.argmax(total))
    for t in range(n - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return path


def _min_turns(path: np.ndarray, scores: np.ndarray, free: np.ndarray, frames: int) -> np.ndarray:
    """Give runs shorter than `frames` within one stretch of speech to the better neighbour,
    shortest first, until none is left."""
    path = path.copy()
    while True:
        starts = np.flatnonzero(np.r_[True, path[1:] != path[:-1]] | free)
        ends = np.r_[starts[1:], len(path)]
        short = [
            (e - s, s, e)
            for s, e in zip(starts, ends, strict=True)
            if e - s < frames and not (free[s] and (e == len(path) or free[e]))
        ]
        if not short:
            return path
        _, s, e = min(short)
        options = []
        if not free[s] and s > 0:
            options.append(path[s - 1])
        if e < len(path) and not free[e]:
            options.append(path[e])
        path[s:e] = max(options, key=lambda label: scores[s:e, label].sum())


def _runner_up(frame_scores: np.ndarray, labels: np.ndarray, options, overlapped=None):
    if frame_scores.shape[1] < 2 or (overlapped is None and options.overlap_margin <= 0):
        return np.full(len(labels), -1)
    rows = np.arange(len(labels))
    chosen = frame_scores[rows, labels]
    others = frame_scores.copy()
    others[rows, labels] = -np.inf
    second = np.argmax(others, axis=1)
    if overlapped is not None:
        return np.where(overlapped[: len(labels)], second, -1)
    close = chosen - others[rows, second] <= options.overlap_margin
    return np.where(close, second, -1)


def _refined(embeddings, coverage, labels, centroids) -> np.ndarray:
    """Centroids again, each window weighted by the frames it covers of each speaker."""
    weights = np.zeros((len(embeddings), len(centroids)))
    for c, frame_labels in zip(coverage, labels, strict=True):
        covered = c.weights > 0
        speakers = np.broadcast_to(frame_labels[:, None], covered.shape)
        np.add.at(weights, (c.windows[covered], speakers[covered]), 1.0)
    sums = weights.T @ embeddings
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    refined = np.where(norms > 0, sums / np.maximum(norms, 1e-9), centroids)
    return refined
