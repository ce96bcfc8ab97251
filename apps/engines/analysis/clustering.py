"""Grouping voice embeddings by speaker, in numpy and scipy.

With the speaker count given, two candidates: spectral clustering of the cosine-similarity graph
(pruned to each window's nearest neighbours, then k-means on the spectral embedding), which
suits balanced conversations, and average-linkage agglomerative clustering cut at k clusters,
which keeps a dominant speaker whole when the others say little (AMI excerpts). The one whose
clusters are better separated (mean silhouette) wins. Both work on windows x windows tables, so
past MAX_CLUSTERED_WINDOWS (20 minutes of speech) they run on samples spread over the recording
and the other windows join their nearest cluster: memory stays flat past it.

Without the count: average-linkage agglomerative clustering cut at a similarity threshold, with
tiny clusters folded into their nearest neighbour and the count capped; then clusters that are
not clearly two voices are merged (`merge_same_voice`); past MAX_COUNTED_WINDOWS (40 minutes of
speech) this runs on samples spread over the recording too, the count most samples agree on.
The threshold alone over-counts: one voice's 1.5 s windows vary a lot (cosine 0.5-0.95), so a
pause, a short phrase or a change of tone makes a second "speaker" in a single-speaker clip. The
merge step asks, for each pair of clusters, whether their centroids are further apart than two
centroids of one voice built from that much speech would be, and wants at least a second of
speech per speaker. On real meetings counting is still the weak part (ENGINES.md): the UI lets
users give the number.
"""

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.cluster.vq import kmeans2
from scipy.linalg import eigh
from scipy.spatial.distance import pdist

# Windows of one speaker in the same recording are mostly above this cosine similarity, windows
# of two speakers mostly below (Resemblyzer, 1.5 s windows).
DEFAULT_THRESHOLD = 0.72
# A cluster with fewer windows than this share of the total is not taken as a speaker of its own
# ... but the bar stays within these window counts. The share was set on 30 s excerpts, where it
# is 2 windows; uncapped it grew with the length and folded a speaker with 10 s of talk into
# another voice in a 7-minute conversation (18 windows there, 24 in 10 minutes, 190 in an
# hour). Capped at 6 windows (about 4.5 s of clear speech), chosen on the long recordings'
# tuning part (docs/benchmarks.md, session 32): count right 2 -> 4 of 5 there (cap 2, no share:
# 1 of 5, one voice's odd stretches counted as speakers; 5-6 alike; 8: 3; 10: 2), the 30 s files
# unchanged.
MIN_CLUSTER_SHARE = 0.04
MIN_CLUSTER_WINDOWS = (2, 6)

# With the count given, the clustering (spectral affinity, average linkage, silhouette) works on
# windows x windows tables, which grow with the square of the recording's length: an hour of
# speech (4,800 windows) took 487 MB, two hours 1.6 GB. Past this many windows (20 minutes of
# unbroken speech, 1.5 s windows every 0.75 s) it clusters this many, spread evenly over the
# recording (the best separated of SAMPLES such samples), and gives every other window the
# speaker whose centroid it is closest to, so memory stays flat past it (docs/benchmarks.md,
# session 32). Every recording of the evaluation sets (at most 10 minutes, 700 windows) is
# below it, its labels unchanged.
MAX_CLUSTERED_WINDOWS = 1600
# The "auto" count's average linkage is bounded the same way (its condensed distance table: an
# hour 92 MB, two hours 369 MB), with a larger sample, as a table of 3,200 windows is only 41 MB:
# recordings of up to 40 minutes of speech are counted on every window, and a longer one's sample
# is denser. The count moves with the sample where a speaker sits at the folding bar's edge (with
# the bound forced down, a 10-minute conversation's quiet fifth speaker, 6 windows, came and went;
# docs/benchmarks.md, session 33).
MAX_COUNTED_WINDOWS = 3200
# ... on this many samples: with the count given the best separated kept, on "auto" the count
# most of them agree on.
SAMPLES = 3

# "Auto" speaker count, `merge_same_voice`. Measured on the single-speaker corpus files: two
# 1.5 s windows of one voice that share no audio have a cosine similarity of 0.78 on average
# (median over files; 0.63-0.85 per file).
SAME_VOICE_SIMILARITY = 0.78
# Two clusters stay apart only while their centroids' similarity is below this share of what two
# centroids of one voice, built from as much speech, would show. On the corpus the best two-way
# split of each single-speaker file scores 0.84 or more (cheetah_pt 0.84, jfk 0.86, most near 1);
# two voices score 0.75 or less (falcon_3spk's 0.66, the two channels of stereo_diarization
# one after the other 0.75, pairs of corpus readers joined 0.52-0.75). Every count in
# bench/bench_analysis.py stays the same from 0.76 to 0.82. sample.wav's two speakers score
# 0.92: Resemblyzer hears them as alike as two parts of one reader, so "auto" finds one there.
#
# Re-tuned with the recording's own same-voice similarity (`same_voice`, below) on the tuning
# part of the evaluation (docs/benchmarks.md): 0.84 keeps every single-voice corpus file at one
# speaker and finds more of the meeting speakers than 0.80; 0.88 splits jfk.flac in two.
MERGE_RATIO = 0.84
# Resemblyzer's same-voice similarity on the corpus, per recording (`same_voice_similarity`).
SAME_VOICE_BOUNDS = (0.70, 0.85)
# A speaker needs at least this much speech of its own: a shorter cluster is a stray phrase.
MIN_SPEAKER_SECONDS = 1.0


def cluster(
    embeddings: np.ndarray,
    *,
    num_speakers: int | None = None,
    max_speakers: int = 8,
    threshold: float = DEFAULT_THRESHOLD,
    seconds: np.ndarray | None = None,
    window: float = 1.5,
    same_voice: float = SAME_VOICE_SIMILARITY,
    merge_ratio: float = MERGE_RATIO,
    seed: int = 0,
) -> np.ndarray:
    """A label from 0 to k-1 for each row of `embeddings` (L2-normalised vectors).

    `seconds`: the speech each window stands for (its share of the talk time; by default a
    whole `window` each), which weighs the evidence for each speaker when counting.
    `same_voice`: how alike two windows of one voice are in this recording (see
    `same_voice_similarity`); `merge_ratio`: `merge_same_voice`'s bar (MERGE_RATIO)."""
    n = len(embeddings)
    if n == 0:
        return np.zeros(0, dtype=int)
    if num_speakers is not None:
        k = max(1, min(num_speakers, n))
        if k == 1:
            return np.zeros(n, dtype=int)
        return _given_count(embeddings, k, seed=seed)
    if n == 1:
        return np.zeros(1, dtype=int)
    seconds = np.full(n, window) if seconds is None else np.asarray(seconds, dtype=float)
    counting = {"window": window, "same_voice": same_voice, "merge_ratio": merge_ratio}
    if n > MAX_COUNTED_WINDOWS:
        return _counted_on_sample(embeddings, seconds, threshold, max_speakers, counting)
    labels = agglomerative(embeddings, threshold=threshold, max_speakers=max_speakers)
    return merge_same_voice(embeddings, labels, seconds, **counting)


def _counted_on_sample(
    embeddings: np.ndarray, seconds: np.ndarray, threshold: float, max_speakers: int, counting
) -> np.ndarray:
    """The "auto" count past MAX_COUNTED_WINDOWS: the average linkage's condensed distance
    table holds n^2 / 2 numbers (an hour 92 MB, two hours 369 MB), so it runs on samples
    spread evenly over the recording (`_sample_counted`), SAMPLES of them each shifted by part
    of the stride, and the count most of them agree on is taken (the least, when they all
    differ): one sample can hold a few odd windows of one voice close enough together to pass
    for a speaker, which the others do not."""
    n = len(embeddings)
    found = [
        _sample_counted(
            embeddings,
            seconds,
            _spread(n, MAX_COUNTED_WINDOWS, shift, SAMPLES),
            threshold,
            max_speakers,
            counting,
        )
        for shift in range(SAMPLES)
    ]
    counts = [len(np.unique(labels)) for labels in found]
    agreed = min(counts, key=lambda count: (-counts.count(count), count))
    return found[counts.index(agreed)]


def _sample_counted(embeddings, seconds, sample, threshold, max_speakers, counting) -> np.ndarray:
    """Every window's speaker, counted on `sample`: each sampled window stands for the windows
    around it, its talk time scaled up to the recording's and the folding bar (which counts the
    recording's windows) scaled down by as much. Every window then joins its nearest cluster,
    and the same-voice rule looks once more with every window's own talk time (memory:
    clusters x windows)."""
    stands_for = len(embeddings) / len(sample)
    scaled = seconds[sample] * (seconds.sum() / max(seconds[sample].sum(), 1e-9))
    labels = agglomerative(
        embeddings[sample], threshold=threshold, max_speakers=max_speakers, stands_for=stands_for
    )
    sampled = merge_same_voice(embeddings[sample], labels, scaled, **counting)
    ids = np.unique(sampled)
    centroids = centroids_of(embeddings[sample], sampled, ids)
    labels = ids[np.argmax(embeddings @ centroids.T, axis=1)]
    labels[sample] = sampled
    return merge_same_voice(embeddings, _compact(labels), seconds, **counting)


def _spread(n: int, size: int, shift: int = 0, parts: int = 1) -> np.ndarray:
    """About `size` indices of range(n) spread evenly, offset by `shift` / `parts` of the stride."""
    stride = n / size
    return np.unique((np.arange(size) * stride + shift * stride / parts).astype(int))


def _given_count(embeddings: np.ndarray, k: int, *, seed: int) -> np.ndarray:
    """Spectral or agglomerative, the better silhouette; past MAX_CLUSTERED_WINDOWS on samples
    spread over the recording, the other windows given their nearest cluster's voice."""
    n = len(embeddings)
    if n <= MAX_CLUSTERED_WINDOWS:
        return _best_separated(embeddings, k, seed=seed)[1]
    # One sample's spectral split can be poorer than the whole's (conv_t2 with the bound forced
    # to 300 windows: silhouette 0.37 against 0.51 on all 339), so a few samples, each shifted
    # by part of the stride, are clustered and the best separated kept.
    samples = [_spread(n, MAX_CLUSTERED_WINDOWS, shift, SAMPLES) for shift in range(SAMPLES)]
    scored = [(*_best_separated(embeddings[sample], k, seed=seed), sample) for sample in samples]
    _, sampled, sample = max(scored, key=lambda found: found[0])
    ids = np.unique(sampled)
    nearest = np.argmax(embeddings @ centroids_of(embeddings[sample], sampled, ids).T, axis=1)
    labels = ids[nearest]
    labels[sample] = sampled
    return _compact(labels)


def _best_separated(embeddings: np.ndarray, k: int, *, seed: int) -> tuple[float, np.ndarray]:
    candidates = [spectral(embeddings, k, seed=seed), _agglomerative_k(embeddings, k)]
    scored = [(silhouette(embeddings, labels), labels) for labels in candidates]
    return max(scored, key=lambda found: found[0])


def same_voice_similarity(
    embeddings: np.ndarray,
    spans: list[tuple[float, float]],
    bounds: tuple[float, float] = SAME_VOICE_BOUNDS,
) -> float:
    """This recording's similarity between two windows of one voice: the median over pairs of
    windows that follow each other within a speech region without sharing audio. Most such
    pairs are one speaker (turns last longer than a window), and the room and microphone make
    every voice in a far-field meeting more alike than in a close-talk reading, which a fixed
    SAME_VOICE_SIMILARITY cannot know. Clamped to `bounds`, the range seen on the corpus."""
    pairs = [
        float(embeddings[i] @ embeddings[j])
        for i in range(len(spans))
        for j in range(i + 1, min(i + 4, len(spans)))
        if 0.0 <= spans[j][0] - spans[i][1] < 0.3
    ]
    if not pairs:
        return float(np.clip(SAME_VOICE_SIMILARITY, *bounds))
    return float(np.clip(np.median(pairs), *bounds))


def spectral(embeddings: np.ndarray, k: int, *, seed: int = 0) -> np.ndarray:
    # The windows x windows matrices are worked on in place (an hour holds 4,800 windows: 184 MB
    # a matrix; docs/benchmarks.md, session 32); the values are the same to the last bit.
    affinity = _pruned_affinity(embeddings)
    degree = affinity.sum(axis=1)
    inv_sqrt = 1.0 / np.sqrt(np.maximum(degree, 1e-9))
    affinity *= inv_sqrt[:, None]
    affinity *= inv_sqrt[None, :]
    # I - D^-1/2 A D^-1/2 in float64, as eye() made it (0.0 - 0.0 is +0.0, which eigh reads
    # to the last bit as it did)
    laplacian = np.subtract(0.0, affinity, dtype=np.float64)
    del affinity
    laplacian[np.diag_indices_from(laplacian)] += 1.0
    _, vectors = eigh(laplacian, subset_by_index=[0, k - 1])
    rows = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    return _kmeans(rows, k, seed=seed)


def _agglomerative_k(embeddings: np.ndarray, k: int) -> np.ndarray:
    tree = linkage(pdist(embeddings, metric="cosine"), method="average")
    return _compact(fcluster(tree, t=k, criterion="maxclust") - 1)


def silhouette(embeddings: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette under cosine distance: near 1 when clusters are tight and far apart."""
    ids = np.unique(labels)
    if len(ids) < 2:
        return -1.0
    distance = 1.0 - embeddings @ embeddings.T
    member = labels[None, :] == ids[:, None]  # cluster x window
    sums = distance @ member.T  # window x cluster: summed distance to each cluster
    sizes = member.sum(axis=1).astype(float)
    own = np.searchsorted(ids, labels)
    rows = np.arange(len(labels))
    own_size = sizes[own] - 1
    a = np.where(own_size > 0, sums[rows, own] / np.maximum(own_size, 1), 0.0)
    mean_other = sums / sizes[None, :]
    mean_other[rows, own] = np.inf
    b = mean_other.min(axis=1)
    score = np.where(own_size > 0, (b - a) / np.maximum(np.maximum(a, b), 1e-9), 0.0)
    return float(score.mean())


_ROWS = 256


def _pruned_affinity(embeddings: np.ndarray) -> np.ndarray:
    """Cosine similarities, keeping for each window only its closest neighbours, symmetrised.

    Pruning drops the many weak cross-speaker links that would otherwise blur the graph."""
    similarity = np.clip(embeddings @ embeddings.T, 0.0, 1.0)
    n = len(similarity)
    keep = max(2, min(n - 1, int(round(0.25 * n))))
    mask = np.zeros_like(similarity, dtype=bool)
    for first in range(0, n, _ROWS):  # rows sorted a block at a time, not one n x n index table
        rows = slice(first, first + _ROWS)
        order = np.argsort(-similarity[rows], axis=1)[:, :keep]
        np.put_along_axis(mask[rows], order, True, axis=1)
    similarity[~mask] = 0.0
    del mask
    symmetric = similarity + similarity.T
    symmetric /= 2
    return symmetric


def _kmeans(points: np.ndarray, k: int, *, seed: int, tries: int = 10) -> np.ndarray:
    """The best of several k-means++ runs (lowest inertia)."""
    rng = np.random.default_rng(seed)
    best, best_inertia = None, np.inf
    for _ in range(tries):
        centroids, labels = kmeans2(points, k, minit="++", seed=rng, iter=50)
        inertia = float(((points - centroids[labels]) ** 2).sum())
        if len(np.unique(labels)) == k and inertia < best_inertia:
            best, best_inertia = labels, inertia
    if best is None:  # degenerate data (identical points): one cluster
        best = np.zeros(len(points), dtype=int)
    return _compact(best)


def agglomerative(
    embeddings: np.ndarray, *, threshold: float, max_speakers: int, stands_for: float = 1.0
) -> np.ndarray:
    """`stands_for`: how many of the recording's windows each row stands for (a sample's)."""
    tree = linkage(pdist(embeddings, metric="cosine"), method="average")
    labels = fcluster(tree, t=1.0 - threshold, criterion="distance") - 1
    labels = _fold_small(embeddings, labels, stands_for)
    if len(np.unique(labels)) > max_speakers:
        labels = fcluster(tree, t=max_speakers, criterion="maxclust") - 1
        labels = _fold_small(embeddings, labels, stands_for)
    return _compact(labels)


def merge_same_voice(
    embeddings: np.ndarray,
    labels: np.ndarray,
    seconds: np.ndarray,
    *,
    window: float = 1.5,
    same_voice: float = SAME_VOICE_SIMILARITY,
    merge_ratio: float = MERGE_RATIO,
    min_clusters: int = 1,
) -> np.ndarray:
    """Merge clusters until every pair is clearly two voices and each has a second of speech
    (never below `min_clusters`).

    The model: a window's embedding is its speaker's voice vector v plus independent noise, so
    two windows of one voice have cosine similarity rho = |v|^2 / (|v|^2 + noise) =
    SAME_VOICE_SIMILARITY, a noise-to-voice ratio r = (1 - rho) / rho. A centroid of m windows'
    worth of speech (its talk time / `window`) averages the noise down to r / m, so two
    centroids of one voice are expected at cosine

        expected(m1, m2) = 1 / sqrt((1 + r / m1) * (1 + r / m2))

    about 0.78 for a window each, 0.92 for 5 s each, tending to 1 with more speech. A pair whose
    similarity reaches MERGE_RATIO of that is taken as one voice. So the less speech behind two
    clusters, the further apart they must be: 2.2 s and 2.6 s of one voice at cosine 0.71
    (cheetah_pt) merge, as the bar there is 0.68, while two readers with 5 s each at 0.69 stay
    apart, as the bar there is 0.74. Clusters with less than MIN_SPEAKER_SECONDS of speech are
    folded first, into the cluster they match best; then the best-matching pair is merged, one
    at a time, while it scores MERGE_RATIO or more. Talk time rather than window count measures
    the evidence, as overlapping windows repeat the same audio.
    """
    ids = np.unique(labels)
    sums = np.stack([embeddings[labels == i].sum(axis=0) for i in ids]).astype(np.float64)
    talk = np.array([seconds[labels == i].sum() for i in ids])
    into = {int(i): int(i) for i in ids}  # original label -> the label it was merged into
    alive = list(range(len(ids)))
    noise = (1.0 - same_voice) / same_voice
    while len(alive) > max(1, min_clusters):
        norms = np.linalg.norm(sums[alive], axis=1, keepdims=True)
        centroids = sums[alive] / np.maximum(norms, 1e-12)
        windows = np.maximum(talk[alive] / window, 1e-6)
        expected = 1.0 / np.sqrt(1.0 + noise / windows)
        score = (centroids @ centroids.T) / (expected[:, None] * expected[None, :])
        np.fill_diagonal(score, -np.inf)
        small = np.flatnonzero(talk[alive] < MIN_SPEAKER_SECONDS)
        if len(small):
            a = small[np.argmin(talk[alive][small])]
            b = int(np.argmax(score[a]))
        else:
            a, b = np.unravel_index(np.argmax(score), score.shape)
            if score[a, b] < merge_ratio:
                break
        keep, gone = alive[b], alive[a]
        sums[keep] += sums[gone]
        talk[keep] += talk[gone]
        alive.remove(gone)
        for label, target in into.items():
            if target == int(ids[gone]):
                into[label] = int(ids[keep])
    return _compact(np.array([into[int(label)] for label in labels]))


def _fold_small(embeddings: np.ndarray, labels: np.ndarray, stands_for: float = 1.0) -> np.ndarray:
    """Move the windows of tiny clusters to the nearest large cluster's centroid. The bar
    counts the recording's windows; a sample's (`stands_for` each) is held to as few of its own,
    though never under MIN_CLUSTER_WINDOWS' least."""
    counts = np.bincount(labels)
    bar = np.clip(MIN_CLUSTER_SHARE * len(labels) * stands_for, *MIN_CLUSTER_WINDOWS)
    if stands_for > 1.0:
        bar = max(bar / stands_for, MIN_CLUSTER_WINDOWS[0])
    big = [c for c in range(len(counts)) if counts[c] >= bar]
    if not big or len(big) == len(np.flatnonzero(counts)):
        return labels
    centroids = centroids_of(embeddings, labels, big)
    labels = labels.copy()
    small = ~np.isin(labels, big)
    labels[small] = np.asarray(big)[np.argmax(embeddings[small] @ centroids.T, axis=1)]
    return labels


def centroids_of(embeddings: np.ndarray, labels: np.ndarray, ids) -> np.ndarray:
    """The L2-normalised mean embedding of each cluster in `ids`."""
    means = np.stack([embeddings[labels == i].mean(axis=0) for i in ids])
    return means / np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-9)


def _compact(labels: np.ndarray) -> np.ndarray:
    _, compact = np.unique(labels, return_inverse=True)
    return compact.astype(int)
