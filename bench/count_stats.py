"""The statistics a speaker count could be read from, per recording (bench_analysis.py
--count-stats), to set beside the true count: issue 10's automatic count, docs/benchmarks.md.

All are computed on the pipeline's own embedded windows (diarization.py steps 1-2): the
segmentation's floor (the most voices one 10 s window heard for 0.5 / 1 / 2 s each), the
eigengap count of the windows' normalised affinity (the largest gap among the first six
eigenvalues of its Laplacian), the number of average-linkage clusters with the best silhouette
(2-5), the three widest average-linkage merges (cosine distance: one voice's windows rarely
stand further apart than 0.65 with CAM++), and the count of average-linkage clusters cut at
0.65 that stand for 0.5 s of speech or more (the session-28 candidate, which the held-out part
did not confirm)."""

import numpy as np

LINKAGE_CUT = 0.65
LINKAGE_MIN_SECONDS = 0.5


def count_statistics(audio: np.ndarray, embedder, options) -> dict:
    from apps.engines.analysis.diarization import (
        SAMPLE_RATE,
        _embed,
        _embedded,
        _from_segmentation,
        _talk_per_window,
    )
    from apps.engines.analysis.embedding import normalize_volume
    from apps.engines.analysis.segmentation import speech_activity

    found = speech_activity(audio, step=options.segmentation_step)
    floors = [found.local_speakers(seconds) for seconds in (0.5, 1.0, 2.0)]
    regions, activity, _, _ = _from_segmentation(found, options)
    regions, spans = _embedded(regions, activity, options)
    stats = {"floors": "/".join(str(f) for f in floors), "windows": len(spans)}
    if len(spans) < 4:
        return stats
    audio = normalize_volume(audio)
    clips = (audio[int(s * SAMPLE_RATE) : int(e * SAMPLE_RATE)] for s, e in spans)
    embeddings = _embed(embedder, clips)
    seconds = _talk_per_window(regions, spans)
    return stats | _window_statistics(embeddings, seconds)


def _window_statistics(embeddings: np.ndarray, seconds: np.ndarray) -> dict:
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import pdist

    from apps.engines.analysis.clustering import _agglomerative_k, silhouette

    affinity = np.clip(embeddings @ embeddings.T, 0.0, 1.0)
    degree = affinity.sum(axis=1)
    laplacian = np.eye(len(affinity)) - affinity / np.sqrt(np.outer(degree, degree))
    eigenvalues = np.linalg.eigvalsh(laplacian)[:6]
    scores = {
        k: silhouette(embeddings, _agglomerative_k(embeddings, k))
        for k in range(2, min(6, len(embeddings)))
    }
    best = max(scores, key=scores.get)
    tree = linkage(pdist(embeddings, metric="cosine"), method="average")
    labels = fcluster(tree, t=LINKAGE_CUT, criterion="distance")
    talk = np.array([seconds[labels == i].sum() for i in np.unique(labels)])
    return {
        "eigengap": int(np.argmax(np.diff(eigenvalues))) + 1,
        "silhouette": f"{best} ({scores[best]:.2f})",
        "merges": "/".join(f"{d:.2f}" for d in tree[-3:, 2][::-1]),
        "linkage": max(1, int((talk >= LINKAGE_MIN_SECONDS).sum())),
    }


def talk_shares(timeline) -> str:
    """Each found speaker's share of the labelled speech, largest first."""
    talk: dict[str, float] = {}
    for turn in timeline.turns:
        talk[turn.speaker] = talk.get(turn.speaker, 0.0) + turn.end - turn.start
    total = sum(talk.values()) or 1.0
    return "/".join(f"{t / total:.2f}" for t in sorted(talk.values(), reverse=True))


def reference_talk(reference) -> str:
    talk: dict[str, float] = {}
    for speaker, start, end in reference:
        talk[speaker] = talk.get(speaker, 0.0) + end - start
    return "/".join(f"{t:.1f}" for t in sorted(talk.values(), reverse=True))


def confusion(rows: list[dict]) -> str:
    """True count -> count found on "auto", with how many recordings each."""
    pairs: dict[tuple[int, int], int] = {}
    for row in rows:
        key = (row["count"], row["found"])
        pairs[key] = pairs.get(key, 0) + 1
    return ", ".join(f"{t}->{f} x{n}" for (t, f), n in sorted(pairs.items()))


def print_statistics(name: str, row: dict) -> None:
    keys = ("windows", "floors", "eigengap", "silhouette", "merges", "linkage")
    fields = " ".join(f"{key} {row[key]}" for key in keys if key in row)
    print(
        f"  {name:14s} true {row['count']} found {row['found']} | talk {row['reference_talk']} s"
        f" | found shares {row['shares']} | {fields}"
    )
