"""Who spoke when, pyannote 3.1's way: from the segmentation model's local speakers.

pyannote's segmentation-3.0 (segmentation.py) tells, within each 10 s window, who of up to three
*local* speakers talks in each frame, two at once included. The window's speakers are not named
across windows: speaker 1 of one window may be speaker 2 of the next. So, as pyannote.audio 3.1's
speaker-diarization pipeline does (its published description and hyper-parameters, read, not
copied):

1. Windows of 10 s every `step` (1 s: a tenth of the window), each frame given the most likely
   of the seven classes, i.e. a set of active local speakers.
2. One embedding per (window, local speaker), of that speaker's frames in the window only; the
   frames where two speak at once are left out when enough clean ones remain
   (`min_clean`), so the embedding is of one voice.
3. The embeddings of the local speakers heard alone long enough (`min_active_ratio` of the
   window) are clustered: agglomerative with centroid linkage on unit vectors, cut at a
   distance (`threshold`, "auto") or at the dendrogram step giving the count asked for;
   clusters with fewer than `min_cluster_size` members (at most a tenth of the embeddings) are
   folded into the nearest large one.
4. Every local speaker, those left out of step 3 included, is given the cluster whose centroid
   it is most alike, and two local speakers of one window never the same cluster (a window's
   speakers are different people by construction: a "cannot-link"), by the Hungarian method
   per window.
5. Reconstruction: each window's local activity is renamed to its clusters and summed over the
   overlapping windows on a 10 ms grid; the number of speakers at each frame is the windows'
   mean count of active local speakers, rounded; each frame gets that many of the
   best-supported clusters. Where it is two, both are reported: the first in the turns, the
   second in `overlaps`.

Memory: the audio is read once, window by window (`LocalSpeakerSegmenter`); what is kept per
window is its 589 x 3 activity (bits) and up to three embeddings, about 2 KB, so an hour is
a few MB.
"""

from dataclasses import dataclass, field

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.optimize import linear_sum_assignment

from .embedding import SAMPLE_RATE, Embedder, embed_many, normalize_volume, unit_rows
from .segmentation import _MULTILABEL, WINDOW, Segmenter

_FRAME = 0.01


@dataclass(frozen=True)
class LocalSpeakerOptions:
    step: float = 1.0  # seconds between windows; pyannote 3.1 uses a tenth of the window
    # A local speaker heard alone for this long is embedded from those frames alone; with less,
    # from all its frames, overlapped ones included.
    min_clean: float = 0.5
    min_embed: float = 0.2  # a local speaker heard for less is not embedded (and not labelled)
    # Only embeddings of local speakers heard alone for this share of the window shape the
    # clusters (pyannote: 0.2); the others are only assigned to them.
    min_active_ratio: float = 0.2
    # Centroid-linkage cut, as a Euclidean distance between unit vectors (pyannote 3.1 with its
    # WeSpeaker encoder: 0.7046); the value here is CAM++'s, chosen on the tuning part (the
    # DER with the count given and on "auto" is flat from 0.85 to 1.1).
    threshold: float = 0.9
    min_cluster_size: int = 12  # capped at a tenth of the embeddings, as pyannote does
    # A count given above what the clusters show: "split" cuts the dendrogram lower until there
    # are that many (pyannote), "seed" keeps the clusters and starts the missing speakers from
    # the local speakers least like any of them (a participant who says a few words is never
    # heard alone for 2 s, so is in no cluster, and a split would cut the main voice in two).
    extra_speakers: str = "seed"
    # Reconstruct from the local speakers' probabilities rather than the most likely class
    # (pyannote: the class): a voice the model gives 40 % counts for 0.4, not 0. On the tuning
    # part (count given, with the second voices) 32.5 -> 32.0 % alone, 30.2 % with the offsets.
    soft: bool = True
    # Added to the windows' mean count of active local speakers before rounding (pyannote: 0):
    # `speech_offset` for the first speaker (someone speaks where the mean reaches 0.4),
    # `count_offset` for a second or third (at 1.25). Chosen on the tuning part: speech_offset
    # 0.15 scored a point better, but 0.17 and 0.2 added false alarm steeply (1.9 -> 3.3 ->
    # 5.8 %), so 0.1 keeps away from that edge; count_offset 0.15-0.35 all within 0.2 points.
    speech_offset: float = 0.1
    count_offset: float = 0.25
    # "auto": at least as many speakers as one window heard alone for this long each (None: no
    # floor; the segmentation tells voices apart within a window better than the clusters do).
    floor_seconds: float | None = 1.5
    # Embed each local speaker in pieces of about this many seconds of its speech, each piece
    # clustered on its own (None: whole, as pyannote). On meetings segmentation-3.0 was not
    # trained on it often hears two alternating people as one local speaker
    # (docs/benchmarks.md), whose one embedding is then a mix.
    piece_seconds: float | None = None


@dataclass
class LocalSpeakers:
    """What the windows found: per window its start (s), seconds of real audio and 589 x 3
    local activity; and its pieces, each a stretch [lo, hi) of a local speaker k's frames
    ((k, lo, hi) rows: one per local speaker embedded, or several with `piece_seconds`), with
    an embedding and the seconds heard alone in it."""

    frame_step: float
    frame_duration: float
    seconds: float  # length of the recording
    starts: list[float] = field(default_factory=list)
    real: list[float] = field(default_factory=list)
    activity: list[np.ndarray] = field(default_factory=list)  # packed bits of (589, 3) bool
    # The same as probabilities (float16), for the `soft` reconstruction.
    soft: list[np.ndarray] = field(default_factory=list)
    pieces: list[np.ndarray] = field(default_factory=list)  # (m, 3) int: k, lo, hi
    embeddings: list[np.ndarray | None] = field(default_factory=list)  # (m, D); None if m = 0
    clean: list[np.ndarray] = field(default_factory=list)  # (m,) seconds

    def hard(self, window: int) -> np.ndarray:
        return np.unpackbits(self.activity[window])[: 589 * 3].reshape(589, 3).astype(bool)


class LocalSpeakerSegmenter(Segmenter):
    """segmentation.Segmenter that also keeps each window's local speakers and embeds them as
    the window goes by (the window's audio is at hand then: no second pass over the file)."""

    def __init__(
        self, embedder: Embedder, options: LocalSpeakerOptions = LocalSpeakerOptions()
    ) -> None:
        super().__init__(options.step)
        self.embedder = embedder
        self.options = options
        self.found = LocalSpeakers(self.model.frame_step, self.model.frame_duration, 0.0)
        self._samples = 0

    def feed(self, block: np.ndarray) -> None:
        self._samples += len(block)
        super().feed(block)

    def finish_local(self) -> LocalSpeakers:
        self.finish()
        self.found.seconds = self._samples / SAMPLE_RATE
        return self.found

    def _flush(self) -> None:
        if not self._batch:
            return
        probs = np.exp(self.model(np.stack([audio for _, audio, _ in self._batch])))
        clips, owners = [], []
        for (start, audio, end), p in zip(self._batch, probs, strict=True):
            self._keep(start, end, p)
            window = len(self.found.starts)
            hard, pieces, clean, cut = self._local(audio, p, (end - start) / SAMPLE_RATE)
            self.found.starts.append(start / SAMPLE_RATE)
            self.found.real.append((end - start) / SAMPLE_RATE)
            self.found.activity.append(np.packbits(hard))
            soft = (p @ _MULTILABEL).astype(np.float16)
            soft[int((end - start) / SAMPLE_RATE / self.model.frame_step) :] = 0
            self.found.soft.append(soft)
            self.found.pieces.append(pieces)
            self.found.clean.append(clean)
            clips += cut
            owners += [window] * len(cut)
        self._batch = []
        vectors = embed_many(self.embedder, clips) if clips else np.zeros((0, 0))
        owners = np.asarray(owners, dtype=int)
        for window in range(len(self.found.embeddings), len(self.found.starts)):
            mine = vectors[owners == window]
            self.found.embeddings.append(mine.astype(np.float32) if len(mine) else None)

    def _local(self, audio: np.ndarray, probs: np.ndarray, seconds: float):
        """The window's hard local activity (its padding, past the real audio, silent), its
        pieces (k, lo, hi), the seconds heard alone in each, and each piece's clip."""
        step = self.model.frame_step
        hard = _MULTILABEL[probs.argmax(axis=1)].astype(bool)
        hard[int(seconds / step) :] = False
        alone = hard & (hard.sum(axis=1, keepdims=True) == 1)
        hop = round(step * SAMPLE_RATE)
        pieces, clean, clips = [], [], []
        for k in range(3):
            frames = hard[:, k]
            if frames.sum() * step < self.options.min_embed:
                hard[:, k] = False  # too little to tell whose voice: left unlabelled
                continue
            if alone[:, k].sum() * step >= self.options.min_clean:
                frames = alone[:, k]
            for lo, hi in self._bounds(np.flatnonzero(frames)):
                piece = np.zeros(len(frames), dtype=bool)
                piece[lo:hi] = frames[lo:hi]
                mask = np.repeat(piece, hop)[: len(audio)]
                pieces.append((k, lo, hi))
                clean.append(alone[lo:hi, k].sum() * step)
                clips.append(normalize_volume(audio[: len(mask)][mask]))
        return (
            hard,
            np.asarray(pieces, dtype=int).reshape(-1, 3),
            np.asarray(clean, dtype=np.float32),
            clips,
        )

    def _bounds(self, frames: np.ndarray) -> list[tuple[int, int]]:
        """[lo, hi) frame stretches of the window, one per piece of `frames` (the indices of a
        local speaker's frames to embed): the whole window, or consecutive runs of
        `piece_seconds` of them (a short last run joins the one before)."""
        size = self.options.piece_seconds
        if size is None:
            return [(0, 589)]
        per = max(1, round(size / self.model.frame_step))
        starts = list(range(0, len(frames), per))
        if len(starts) > 1 and len(frames) - starts[-1] < per // 2:
            starts.pop()
        edges = [0] + [int(frames[i]) for i in starts[1:]] + [589]
        return list(zip(edges[:-1], edges[1:], strict=True))


def local_speakers_of(
    blocks, embedder: Embedder, options: LocalSpeakerOptions = LocalSpeakerOptions()
) -> tuple[LocalSpeakers, float]:
    """The local speakers of a recording given as consecutive 16 kHz blocks, and the sum of
    squares of its samples (int16 scale) for the volume gain of a later pass."""
    segmenter = LocalSpeakerSegmenter(embedder, options)
    squares = 0.0
    for block in blocks:
        segmenter.feed(block)
        squares += float(np.sum((block.astype(np.float64) * 32767) ** 2))
    return segmenter.finish_local(), squares


# --- Clustering --------------------------------------------------------------------------------


def centroid_clusters(
    embeddings: np.ndarray,
    *,
    threshold: float,
    min_cluster_size: int,
    num_clusters: int | None = None,
    max_clusters: int = 8,
) -> np.ndarray:
    """A cluster index per row of `embeddings` (unit vectors), as in step 3 of the module's
    docstring. With `num_clusters`, the dendrogram is cut where the number of large clusters
    comes closest to it, trying the merge steps nearest the threshold first."""
    n = len(embeddings)
    if n < 2:
        return np.zeros(n, dtype=int)
    tree = linkage(embeddings, method="centroid", metric="euclidean")
    min_size = min(min_cluster_size, max(1, round(0.1 * n)))
    labels = fcluster(tree, threshold, criterion="distance") - 1
    large = _large(labels, min_size)
    wanted = num_clusters
    if wanted is None and len(large) > max_clusters:
        wanted = max_clusters
    if wanted is not None and len(large) != wanted:
        labels = _cut_near(tree, threshold, wanted, min_size)
        large = _large(labels, min_size)
    if not len(large):
        return np.zeros(n, dtype=int)
    small = [c for c in np.unique(labels) if c not in set(large.tolist())]
    if small:
        means = unit_rows(np.stack([embeddings[labels == c].mean(axis=0) for c in large]))
        for c in small:
            mean = unit_rows(embeddings[labels == c].mean(axis=0)[None])[0]
            labels[labels == c] = large[int(np.argmax(means @ mean))]
    return np.unique(labels, return_inverse=True)[1].astype(int)


def _large(labels: np.ndarray, min_size: int) -> np.ndarray:
    ids, counts = np.unique(labels, return_counts=True)
    return ids[counts >= min_size]


def _cut_near(tree: np.ndarray, threshold: float, wanted: int, min_size: int) -> np.ndarray:
    """Labels after the merge step whose number of large clusters is nearest `wanted`."""
    n = len(tree) + 1
    steps = tree.copy()
    steps[:, 2] = np.arange(n - 1)  # cut by step index instead of distance
    best, best_count = None, None
    for step in np.argsort(np.abs(tree[:, 2] - threshold)):
        if tree[step, 3] < min_size:
            continue  # this merge makes no cluster large: the count cannot change here
        labels = fcluster(steps, step, criterion="distance") - 1
        count = len(_large(labels, min_size))
        if best is None or abs(count - wanted) < abs(best_count - wanted):
            best, best_count = labels, count
        if count == wanted:
            break
    if best is None:
        return np.zeros(n, dtype=int)
    return best


def assign(
    found: LocalSpeakers,
    *,
    num_speakers: int | None,
    max_speakers: int,
    options: LocalSpeakerOptions,
) -> tuple[list[np.ndarray], np.ndarray]:
    """Per window, the cluster of each of its pieces, and the clusters' centroids."""
    labels = [np.full(len(p), -1, dtype=int) for p in found.pieces]
    table = [e for e in found.embeddings if e is not None]
    if not table:
        return labels, np.zeros((0, 0))
    vectors = unit_rows(np.concatenate(table))
    owner = np.concatenate(
        [np.full(len(e), w) for w, e in enumerate(found.embeddings) if e is not None]
    )
    clean = np.concatenate([found.clean[w] for w in np.unique(owner)])
    whole = options.piece_seconds is None
    least = options.min_active_ratio * WINDOW / SAMPLE_RATE
    if not whole:
        least = min(least, 0.75 * options.piece_seconds)
    train = clean >= least
    if train.sum() < max(2, num_speakers or 2):
        train[:] = True  # a short or mostly overlapped recording: every embedding counts
    points = vectors[train]
    cap = max_speakers if num_speakers is None else num_speakers
    split = num_speakers is not None and options.extra_speakers == "split"
    clusters = centroid_clusters(
        points,
        threshold=options.threshold,
        min_cluster_size=options.min_cluster_size,
        num_clusters=min(num_speakers, len(points)) if split else None,
        max_clusters=min(cap, len(points)),
    )
    centroids = unit_rows(
        np.stack([points[clusters == c].mean(axis=0) for c in np.unique(clusters)])
    )
    wanted = num_speakers
    if wanted is None and options.floor_seconds is not None:
        wanted = min(max_speakers, _most_heard(found, options.floor_seconds))
    if wanted is not None and len(centroids) < wanted:
        centroids = _seeded(centroids, vectors, wanted)
    for w in range(len(found.starts)):
        if found.embeddings[w] is None:
            continue
        score = unit_rows(found.embeddings[w]) @ centroids.T  # (pieces, clusters)
        labels[w] = (_hungarian if whole else _greedy)(score, found.pieces[w])
    return labels, centroids


def _most_heard(found: LocalSpeakers, seconds: float) -> int:
    """The most local speakers one window heard alone for `seconds` each."""
    most = 0
    for pieces, clean in zip(found.pieces, found.clean, strict=True):
        if len(pieces):
            heard = np.bincount(pieces[:, 0], weights=clean, minlength=3)
            most = max(most, int((heard >= seconds).sum()))
    return most


def _hungarian(score: np.ndarray, pieces: np.ndarray) -> np.ndarray:
    """One cluster per local speaker (one piece each), never two the same, best total."""
    labels = np.argmax(score, axis=1)
    rows, cols = linear_sum_assignment(score, maximize=True)
    labels[rows] = cols
    # More local speakers than clusters: the rest keep their best match (one voice the window
    # heard as two is then merged back rather than dropped).
    return labels


def _greedy(score: np.ndarray, pieces: np.ndarray) -> np.ndarray:
    """Pieces, surest first, each to its best cluster that no piece of another local speaker
    over the same frames has taken (when all are taken, its best)."""
    labels = np.full(len(score), -1, dtype=int)
    for i in np.argsort(-score.max(axis=1)):
        k, lo, hi = pieces[i]
        taken = {
            labels[j]
            for j, (k2, lo2, hi2) in enumerate(pieces)
            if labels[j] >= 0 and k2 != k and lo2 < hi and lo < hi2
        }
        free = [c for c in np.argsort(-score[i]) if c not in taken]
        labels[i] = free[0] if free else int(np.argmax(score[i]))
    return labels


def _seeded(centroids: np.ndarray, candidates: np.ndarray, wanted: int) -> np.ndarray:
    """`centroids` and, up to `wanted`, the candidates least like any of those so far."""
    while len(centroids) < min(wanted, len(candidates)):
        nearest = (candidates @ centroids.T).max(axis=1)
        centroids = np.vstack([centroids, candidates[int(np.argmin(nearest))]])
    return centroids


# --- Reconstruction ----------------------------------------------------------------------------


def reconstruct(
    found: LocalSpeakers,
    labels: list[np.ndarray],
    speakers: int,
    offset: float = 0.0,
    soft: bool = False,
    speech_offset: float = 0.0,
):
    """Per 10 ms frame, the clusters speaking, best supported first: (frames, speakers) order
    and the number of them that speak (step 5 of the module's docstring)."""
    frames = int(np.ceil(found.seconds / _FRAME))
    support = np.zeros((frames, max(speakers, 1)))
    counted = np.zeros(frames)
    covered = np.zeros(frames)
    for w, start in enumerate(found.starts):
        first, last, index = window_grid(start, found.real[w], found, frames)
        if last <= first:
            continue
        hard = (found.soft[w].astype(float) if soft else found.hard(w))[index]  # (frames, 3)
        counted[first:last] += hard.sum(axis=1)
        covered[first:last] += 1
        # Two local speakers given one cluster (more voices than clusters) count once.
        mine = np.zeros((last - first, support.shape[1]))
        for (k, lo, hi), label in zip(found.pieces[w], labels[w], strict=True):
            if label >= 0:
                inside = (index >= lo) & (index < hi)
                mine[:, label] = np.maximum(mine[:, label], hard[:, k] * inside)
        support[first:last] += mine
    mean = counted / np.maximum(covered, 1)
    count = np.where(mean + speech_offset >= 0.5, np.floor(mean + 0.5 + offset), 0).astype(int)
    count = np.maximum(count, mean + speech_offset >= 0.5)
    count = np.minimum(count, (support > 0).sum(axis=1))  # never a speaker nothing supports
    # Ties (two clusters heard by as many windows) go to the speaker who talks more overall.
    total = support.sum(axis=0)
    order = np.argsort(-(support + 1e-6 * total / max(total.max(), 1.0)), axis=1, kind="stable")
    return order, count


def window_grid(start: float, real: float, found: LocalSpeakers, frames: int):
    """The 10 ms grid frames [first, last) a window's real audio covers, and the model frame
    nearest each one's centre (as segmentation.Segmenter spreads its windows)."""
    first = int(np.ceil(start / _FRAME - 1e-9))
    last = min(frames, int(np.ceil((start + real) / _FRAME - 1e-9)))
    centres = (np.arange(first, last) + 0.5) * _FRAME - start
    index = np.rint((centres - found.frame_duration / 2) / found.frame_step)
    return first, last, np.clip(index, 0, 588).astype(int)


def speaker_frames(
    found: LocalSpeakers,
    *,
    num_speakers: int | None,
    max_speakers: int = 8,
    options: LocalSpeakerOptions = LocalSpeakerOptions(),
):
    """(first speaker per frame (-1: nobody), second (-1: none), centroids). Where two speak,
    the first is the one who was speaking before, so a turn is not cut by the other's
    interjection."""
    labels, centroids = assign(
        found, num_speakers=num_speakers, max_speakers=max_speakers, options=options
    )
    order, count = reconstruct(
        found, labels, len(centroids), options.count_offset, options.soft, options.speech_offset
    )
    first = np.where(count >= 1, order[:, 0], -1)
    if order.shape[1] < 2:
        return first, np.full(len(first), -1), centroids
    second = np.where(count >= 2, order[:, 1], -1)
    for t in np.flatnonzero(count >= 2):
        if t and first[t - 1] == second[t]:
            first[t], second[t] = second[t], first[t]
    return first, second, centroids
