"""Prototype (not in the product): pyannote-3.1-style diarization on the evaluation set.

Each 10 s segmentation window (every --step s) gives up to three local speakers; each local
speaker's frames heard alone (0.5 s or more) are embedded as one clip; all the local-speaker
embeddings are clustered with the count; each window's local speakers are mapped to their
clusters and their frames averaged onto the 10 ms grid (Hamming-weighted), and each frame gets
as many of the best-scoring speakers (at most 2) as the windows' mean number of active local
speakers, rounded. Prints DER with the count given, no collar (docs/benchmarks.md, fourth pass).
Whole recordings in memory: a measurement, not the streaming version a product would need.

    .venv/bin/python bench/proto_local_speakers.py DIR [--encoder campplus] [--step 1.0]
        [--part tune]
"""

import argparse
import time
from pathlib import Path

import bench_analysis as bench
import numpy as np

FRAME = 0.01
MIN_CLEAR = 0.5  # seconds a local speaker is heard alone in a window to be embedded


def local_speaker_turns(audio: np.ndarray, embedder, count: int, step: float) -> list:
    from apps.engines.analysis.clustering import cluster
    from apps.engines.analysis.embedding import embed_many, normalize_volume
    from apps.engines.analysis.segmentation import _MULTILABEL, SAMPLE_RATE, WINDOW, get_model

    model = get_model()
    starts = list(range(0, max(1, len(audio) - WINDOW + 1), round(step * SAMPLE_RATE)))
    if len(audio) > WINDOW and starts[-1] + WINDOW < len(audio):
        starts.append(len(audio) - WINDOW)
    windows = np.stack(
        [np.pad(audio[s : s + WINDOW], (0, WINDOW - len(audio[s : s + WINDOW]))) for s in starts]
    )
    classes = np.concatenate(
        [model(windows[i : i + 32]).argmax(axis=2) for i in range(0, len(windows), 32)]
    )
    hard = _MULTILABEL[classes]  # (windows, 589, 3)
    step_samples = round(model.frame_step * SAMPLE_RATE)
    loud = normalize_volume(audio)
    clips, owners = [], []
    for w, start in enumerate(starts):
        for k in range(3):
            alone = np.flatnonzero(classes[w] == k + 1)
            if len(alone) * model.frame_step < MIN_CLEAR:
                continue
            first = start + alone * step_samples
            clips.append(np.concatenate([loud[a : a + step_samples] for a in first]))
            owners.append((w, k))
    if not clips:
        return []
    labels = cluster(embed_many(embedder, clips), num_speakers=count)
    speakers = int(labels.max()) + 1
    mapping = dict(zip(owners, labels, strict=True))
    total = int(np.ceil(len(audio) / SAMPLE_RATE / FRAME))
    score, active_count, weight = np.zeros((total, speakers)), np.zeros(total), np.zeros(total)
    hamming = np.hamming(hard.shape[1])
    for w, start in enumerate(starts):
        first = int(np.ceil(start / SAMPLE_RATE / FRAME))
        last = min(total, int(np.ceil((start + WINDOW) / SAMPLE_RATE / FRAME)))
        centres = (np.arange(first, last) + 0.5) * FRAME - start / SAMPLE_RATE
        index = np.rint((centres - model.frame_duration / 2) / model.frame_step)
        index = np.clip(index, 0, hard.shape[1] - 1).astype(int)
        heard = np.zeros((len(index), speakers))
        for k in range(3):
            if (w, k) in mapping:
                column = mapping[(w, k)]
                heard[:, column] = np.maximum(heard[:, column], hard[w][index, k])
        score[first:last] += heard * hamming[index][:, None]
        active_count[first:last] += hard[w][index].sum(axis=1) * hamming[index]
        weight[first:last] += hamming[index]
    wanted = np.rint(active_count / np.maximum(weight, 1e-9)).astype(int)
    order = np.argsort(-score, axis=1)
    active = np.zeros(score.shape, dtype=bool)
    for j in range(min(2, speakers)):
        rows = np.flatnonzero(wanted > j)
        active[rows, order[rows, j]] = True
    turns = []
    for speaker in range(speakers):
        edges = np.flatnonzero(np.diff(np.r_[0, active[:, speaker].astype(np.int8), 0]))
        turns += [
            (f"S{speaker}", a * FRAME, b * FRAME)
            for a, b in zip(edges[::2], edges[1::2], strict=True)
        ]
    return turns


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--encoder", choices=["resemblyzer", "campplus"], default="campplus")
    parser.add_argument("--step", type=float, default=1.0)
    parser.add_argument("--part", choices=["tune", "held", "other"])
    args = parser.parse_args()
    bench.setup()
    from apps.core.media import decode_all
    from apps.engines.analysis.der import diarization_error_rate, load_rttm

    embedder = bench._embedder(args.encoder)
    rows = []
    for path in sorted(p for p in args.folder.iterdir() if p.suffix in bench.AUDIO):
        part = bench._part(path.stem)
        if not path.with_suffix(".rttm").exists() or args.part not in (None, part):
            continue
        reference = load_rttm(path.with_suffix(".rttm"))
        audio = decode_all(path)
        started = time.process_time()
        turns = local_speaker_turns(audio, embedder, len({r[0] for r in reference}), args.step)
        cpu_rtf = (time.process_time() - started) / (len(audio) / bench.SR)
        result = diarization_error_rate(reference, turns)
        total = result.total or 1.0
        row = (
            result.der,
            result.missed / total,
            result.false_alarm / total,
            result.confusion / total,
        )
        rows.append((part, row))
        print(
            f"{path.stem:26s} {part:5s} DER {row[0]:6.1%} miss {row[1]:6.1%} "
            f"FA {row[2]:6.1%} conf {row[3]:6.1%} CPU RTF {cpu_rtf:.3f}",
            flush=True,
        )
    for part in ("tune", "held", "other"):
        chosen = [row for p, row in rows if p == part]
        if chosen:
            der, miss, fa, conf = np.mean(chosen, axis=0)
            print(f"{part}: mean DER {der:.1%} miss {miss:.1%} FA {fa:.1%} conf {conf:.1%}")


if __name__ == "__main__":
    main()
