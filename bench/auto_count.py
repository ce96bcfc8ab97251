"""The automatic speaker count, file by file and rule by rule: issue 10, docs/benchmarks.md
(session 33).

`cache`: the segmentation's speech and the CAM++ windows' embeddings of every file of a set,
computed once with the default pipeline and kept in CACHE (a pickle per file), so that a count
rule can be tried on them in seconds. The sets: `ami-tune` and `ami-held` (AMI_DIR, split as
bench_analysis.py splits it), `long-tune` and `long-held` (LONGMEET_DIR,
bench/prepare_long_meetings.py), `corpus` (the shared corpus's files whose count MANIFEST.tsv
states, as bench_analysis.py's part 2).

`why`: per file, the count "auto" finds and each step that made it (`clustering.agglomerative`'s
clusters cut at the threshold with their window counts, the folding bar, `merge_same_voice`'s
clusters with their talk time, the segmentation's floor, the speakers left after
re-segmentation), beside the reference's speakers with their talk time and their time heard
alone (no other speaker at once), each cluster's windows by the reference speaker heard over
most of each ("?": no one over half of it), and `merge_same_voice`'s score of each pair.

`rules`: the count of each rule (the default and the candidates of `RULES`: the eigengap of the
pruned affinity, the silhouette over k with a prior, the folding bar, the bounded count forced
on smaller files) on each file, right or wrong against the true count (the issue's measure),
the count of speakers with 2 s or more, and the count of speakers heard alone for 2 s or more.

    .venv/bin/python bench/auto_count.py cache CACHE --set ami-tune --folder AMI_DIR
    .venv/bin/python bench/auto_count.py why CACHE --set ami-tune
    .venv/bin/python bench/auto_count.py rules CACHE --set ami-tune long-tune corpus
"""

import argparse
import pickle
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
_FRAME = 0.01
SETS = ("ami-tune", "ami-held", "long-tune", "long-held", "corpus")


def _files(name: str, folder: Path | None) -> list[tuple[Path, Path | None, int | None]]:
    """(audio, reference RTTM or None, count when no RTTM) for each file of the set `name`."""
    from bench_analysis import CORPUS, HELD_OUT, TUNING, known_counts

    if name == "corpus":
        out = []
        for file, count in known_counts():
            rttm = (CORPUS / file).with_suffix(".rttm")
            out.append((CORPUS / file, rttm if rttm.exists() else None, count))
        return out
    part = TUNING if name.endswith("tune") else HELD_OUT
    return [
        (wav, wav.with_suffix(".rttm"), None)
        for wav in sorted(folder.glob("*.wav"))
        if wav.stem in part and wav.with_suffix(".rttm").exists()
    ]


def cache(store: Path, name: str, folder: Path | None) -> None:
    from apps.core.media import decode_all
    from apps.engines.analysis.campplus import CamPlusPlusEncoder
    from apps.engines.analysis.der import load_rttm
    from apps.engines.analysis.diarization import _embed, _embedded_heard, _heard, options_for
    from apps.engines.analysis.embedding import normalize_volume
    from apps.engines.analysis.segmentation import speech_activity

    embedder, options = CamPlusPlusEncoder(), options_for("campplus")
    (store / name).mkdir(parents=True, exist_ok=True)
    for audio_path, rttm, count in _files(name, folder):
        kept = store / name / f"{audio_path.stem}.pickle"
        if kept.exists():
            continue
        audio = decode_all(audio_path)
        heard = _heard(speech_activity(audio, step=options.segmentation_step), options)
        heard, spans = _embedded_heard(heard, options)
        audio = normalize_volume(audio)
        clips = (audio[int(s * 16_000) : int(e * 16_000)] for s, e in spans)
        embeddings = _embed(embedder, clips) if spans else np.zeros((0, 192))
        reference = load_rttm(rttm) if rttm else None
        entry = {
            "heard": heard._replace(found=None),
            "spans": spans,
            "embeddings": embeddings,
            "reference": reference,
            "count": count if reference is None else len({r[0] for r in reference}),
            "seconds": len(audio) / 16_000,
        }
        kept.write_bytes(pickle.dumps(entry))
        print(f"{name} {audio_path.stem}: {len(spans)} windows", flush=True)


def entries(store: Path, names: list[str]):
    for name in names:
        for kept in sorted((store / name).glob("*.pickle")):
            yield name, kept.stem, pickle.loads(kept.read_bytes())


def talk(reference) -> dict[str, float]:
    """Each reference speaker's talk time (s), overlapped speech included."""
    seconds: dict[str, float] = {}
    for speaker, start, end in reference or []:
        seconds[speaker] = seconds.get(speaker, 0.0) + end - start
    return dict(sorted(seconds.items(), key=lambda item: -item[1]))


def alone(reference) -> dict[str, float]:
    """Each reference speaker's time heard alone (s): no other reference speaker at once."""
    if not reference:
        return {}
    names = sorted({r[0] for r in reference})
    frames = int(max(r[2] for r in reference) / _FRAME) + 1
    speech = np.zeros((len(names), frames), dtype=bool)
    for speaker, start, end in reference:
        speech[names.index(speaker), round(start / _FRAME) : round(end / _FRAME)] = True
    single = speech.sum(axis=0) == 1
    return {name: float((speech[i] & single).sum() * _FRAME) for i, name in enumerate(names)}


def audible(entry) -> int:
    """Speakers with 2 s or more (a single-voice file without a reference: its one)."""
    if entry["reference"] is None:
        return entry["count"]
    return sum(seconds >= 2.0 for seconds in talk(entry["reference"]).values())


def heard_alone(entry) -> int:
    """Speakers heard alone for 2 s or more (a single-voice file without a reference: its one)."""
    if entry["reference"] is None:
        return entry["count"]
    return sum(seconds >= 2.0 for seconds in alone(entry["reference"]).values())


def auto_count(entry, options=None) -> int:
    from apps.engines.analysis.diarization import _timeline, options_for

    heard, spans, embeddings = entry["heard"], entry["spans"], entry["embeddings"]
    if not spans:
        return 0
    options = options or options_for("campplus")
    timeline = _timeline(
        heard.regions,
        heard.activity,
        spans,
        embeddings,
        None,
        8,
        options,
        heard.overlapped,
        heard.floor,
    )
    return len(timeline.centroids)


def why(store: Path, names: list[str]) -> None:
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import pdist

    from apps.engines.analysis import clustering
    from apps.engines.analysis.diarization import _talk_per_window, options_for

    options = options_for("campplus")
    for name, stem, entry in entries(store, names):
        heard, spans, embeddings = entry["heard"], entry["spans"], entry["embeddings"]
        n = len(spans)
        speakers = talk(entry["reference"])
        solo = alone(entry["reference"])
        said = ", ".join(f"{s} {t:.1f}/{solo[s]:.1f}" for s, t in speakers.items()) or "one voice"
        found = auto_count(entry, options)
        print(
            f"== {name} {stem}: true {entry['count']} (>= 2 s: {audible(entry)}, alone: "
            f"{heard_alone(entry)}), found {found}, "
            f"{n} windows, floor {heard.floor}; talk / alone s: {said}"
        )
        if n < 2:
            continue
        tree = linkage(pdist(embeddings, metric="cosine"), method="average")
        cut = fcluster(tree, t=1.0 - options.threshold, criterion="distance") - 1
        bar = np.clip(clustering.MIN_CLUSTER_SHARE * n, *clustering.MIN_CLUSTER_WINDOWS)
        heights = ", ".join(f"{h:.2f}" for h in tree[::-1, 2][:4])
        owners = _owners(entry["reference"], spans)
        print(
            f"   linkage: widest merges {heights}; cut at {1 - options.threshold:.2f}, bar "
            f"{bar:.1f} windows: {_held(cut, owners)}"
        )
        labels = clustering.agglomerative(embeddings, threshold=options.threshold, max_speakers=8)
        print(f"   after folding: {_held(labels, owners)}")
        seconds = _talk_per_window(heard.regions, spans)
        same = clustering.same_voice_similarity(embeddings, spans, options.same_voice_bounds)
        merged = clustering.merge_same_voice(
            embeddings,
            labels,
            seconds,
            window=options.window,
            same_voice=same,
            merge_ratio=options.merge_ratio,
        )
        print(
            f"   folded: {len(np.unique(labels))} clusters "
            f"({', '.join(f'{seconds[labels == i].sum():.1f}' for i in np.unique(labels))} s);"
            f" same-voice {same:.2f}; merged: {len(np.unique(merged))} "
            f"({', '.join(f'{seconds[merged == i].sum():.1f}' for i in np.unique(merged))} s)"
        )
        print(f"   {_pair_scores(embeddings, labels, seconds, same, options)}")


def _owners(reference, spans) -> list[str]:
    """Per window, the reference speaker heard over most of it ("?": none over half of it,
    "-": no reference)."""
    if reference is None:
        return ["-"] * len(spans)
    owners = []
    for start, end in spans:
        heard: dict[str, float] = {}
        for speaker, s, e in reference:
            heard[speaker] = heard.get(speaker, 0.0) + max(0.0, min(end, e) - max(start, s))
        best = max(heard, key=heard.get)
        owners.append(best if heard[best] >= 0.5 * (end - start) else "?")
    return owners


def _held(labels, owners) -> str:
    """Each cluster's windows by whose they are, largest cluster first."""
    parts = []
    for label in sorted(np.unique(labels), key=lambda i: -(labels == i).sum()):
        names = [owners[i] for i in np.flatnonzero(labels == label)]
        kinds = sorted(set(names), key=lambda n: -names.count(n))
        parts.append("[" + " ".join(f"{n}x{names.count(n)}" for n in kinds) + "]")
    return " ".join(parts)


def _pair_scores(embeddings, labels, seconds, same, options) -> str:
    """merge_same_voice's score of each pair of the folded clusters (>= merge_ratio: merged)."""
    ids = np.unique(labels)
    if len(ids) < 2:
        return "one cluster after folding"
    sums = np.stack([embeddings[labels == i].sum(axis=0) for i in ids])
    centroids = sums / np.linalg.norm(sums, axis=1, keepdims=True)
    windows = np.array([seconds[labels == i].sum() for i in ids]) / options.window
    noise = (1 - same) / same
    expected = 1 / np.sqrt(1 + noise / np.maximum(windows, 1e-6))
    score = centroids @ centroids.T / np.outer(expected, expected)
    pairs = [f"{a}-{b} {score[a, b]:.2f}" for a in range(len(ids)) for b in range(a + 1, len(ids))]
    return f"pair scores (merge at >= {options.merge_ratio}): " + ", ".join(pairs)


def _with_count_rule(count_of):
    """A count rule for `rules`: `count_of(embeddings) -> k` replaces the clustering's own count
    on "auto" (the windows then clustered with k given); the rest of the pipeline (the
    segmentation's floor, re-segmentation, speakers left under 2 s dropped) is as it is."""

    def rule(entry, options) -> int:
        from apps.engines.analysis import clustering, diarization

        def counted(embeddings, *, num_speakers=None, **kwargs):
            if num_speakers is None and len(embeddings) > 1:
                num_speakers = max(1, min(count_of(embeddings), len(embeddings)))
            return clustering.cluster(embeddings, num_speakers=num_speakers, **kwargs)

        kept = diarization.cluster
        diarization.cluster = counted
        try:
            return auto_count(entry, options)
        finally:
            diarization.cluster = kept

    return rule


def eigengap_count(embeddings, *, shares=(0.1, 0.2, 0.3, 0.4, 0.5), most=6, bar=0.0) -> int:
    """The eigengap of the pruned affinity's normalised Laplacian as the spectral-clustering
    diarizers read it (NME-SC, Park et al. 2019): for each pruning (each window keeps its
    `shares` closest neighbours), k = the largest gap among the `most` smallest eigenvalues,
    and the pruning whose gap is largest for its share is kept. `bar`: the least gap (over the
    Laplacian's range) for more than one speaker."""
    n = len(embeddings)
    similarity = np.clip(embeddings @ embeddings.T, 0.0, 1.0)
    best = (np.inf, 1)
    for share in shares:
        keep = max(2, min(n - 1, int(round(share * n))))
        pruned = np.zeros_like(similarity)
        order = np.argsort(-similarity, axis=1)[:, :keep]
        np.put_along_axis(pruned, order, np.take_along_axis(similarity, order, axis=1), axis=1)
        affinity = (pruned + pruned.T) / 2
        degree = affinity.sum(axis=1)
        inv = 1 / np.sqrt(np.maximum(degree, 1e-9))
        laplacian = np.eye(n) - affinity * inv[:, None] * inv[None, :]
        values = np.linalg.eigvalsh(laplacian)[: min(most, n - 1) + 1]
        gaps = np.diff(values)
        k = int(np.argmax(gaps)) + 1
        gap = gaps[k - 1] / max(values[-1], 1e-9)
        if gap < bar:
            k = 1
        ratio = share / max(gap, 1e-9)
        if ratio < best[0]:
            best = (ratio, k)
    return best[1]


def silhouette_count(embeddings, *, least=0.1, per_speaker=0.0, most=6) -> int:
    """The k of 2..`most` whose clusters (spectral or average linkage, the better) have the
    best mean silhouette less `per_speaker` for every speaker past two (the prior), or one
    speaker when no k reaches `least`."""
    from apps.engines.analysis.clustering import _best_separated

    best = (least, 1)
    for k in range(2, min(most, len(embeddings) - 1) + 1):
        score = _best_separated(embeddings, k, seed=0)[0] - per_speaker * (k - 2)
        if score > best[0]:
            best = (score, k)
    return best[1]


def _with_fold_bar(least: int):
    """The default count with the folding bar's least window count set to `least`."""

    def rule(entry, options) -> int:
        from apps.engines.analysis import clustering

        kept = clustering.MIN_CLUSTER_WINDOWS
        clustering.MIN_CLUSTER_WINDOWS = (least, kept[1])
        try:
            return auto_count(entry, options)
        finally:
            clustering.MIN_CLUSTER_WINDOWS = kept

    return rule


def _with_bound(windows: int):
    """The default count with `clustering.MAX_COUNTED_WINDOWS` forced down to `windows`, to
    see what the bounded count (a sample counted, the rest assigned) changes on real files."""

    def rule(entry, options) -> int:
        from apps.engines.analysis import clustering

        kept = clustering.MAX_COUNTED_WINDOWS
        clustering.MAX_COUNTED_WINDOWS = windows
        try:
            return auto_count(entry, options)
        finally:
            clustering.MAX_COUNTED_WINDOWS = kept

    return rule


RULES: dict[str, object] = {
    **{f"bound{windows}": _with_bound(windows) for windows in (100, 150, 200, 300, 400, 500)},
    "bar1": _with_fold_bar(1),
    "bar3": _with_fold_bar(3),
    **{
        f"eigengap{bar:g}": _with_count_rule(lambda e, bar=bar: eigengap_count(e, bar=bar))
        for bar in (0.0, 0.05, 0.1, 0.15, 0.2, 0.3)
    },
    **{
        f"sil{least:g}/{prior:g}": _with_count_rule(
            lambda e, least=least, prior=prior: silhouette_count(e, least=least, per_speaker=prior)
        )
        for least in (0.1, 0.15, 0.2, 0.25, 0.3)
        for prior in (0.0, 0.03, 0.06)
    },
}


def rules(store: Path, names: list[str], chosen: list[str]) -> None:
    from apps.engines.analysis.diarization import options_for

    options = options_for("campplus")
    totals: dict[tuple[str, str], list[int]] = {}
    for name, stem, entry in entries(store, names):
        true, loud, solo = entry["count"], audible(entry), heard_alone(entry)
        counts = {"default": auto_count(entry, options)}
        for rule in chosen:
            counts[rule] = RULES[rule](entry, options)
        line = " ".join(f"{rule} {found}" for rule, found in counts.items())
        print(f"{name:9s} {stem:24s} true {true} (2 s: {loud}, alone: {solo}): {line}", flush=True)
        for rule, found in counts.items():
            score = totals.setdefault((name, rule), [0, 0, 0, 0])
            score[0] += found == true
            score[1] += found == loud
            score[2] += found == solo
            score[3] += 1
    for (name, rule), (right, right_loud, right_alone, files) in totals.items():
        print(
            f"{name:9s} {rule:12s} right {right} of {files} (2 s or more: {right_loud}; "
            f"heard alone 2 s or more: {right_alone})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=("cache", "why", "rules"))
    parser.add_argument("store", type=Path)
    parser.add_argument("--set", nargs="+", choices=SETS, default=["ami-tune"])
    parser.add_argument("--folder", type=Path, help="cache: AMI_DIR or LONGMEET_DIR")
    parser.add_argument("--rule", nargs="*", default=[], help="rules: candidates of RULES")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    if args.what == "cache":
        for name in args.set:
            cache(args.store, name, args.folder)
    elif args.what == "why":
        why(args.store, args.set)
    else:
        rules(args.store, args.set, args.rule)


if __name__ == "__main__":
    main()
