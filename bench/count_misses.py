"""Where the automatic count misses a speaker, per recording: issue 10, docs/benchmarks.md
(session 30).

For every recording of DIR with an RTTM of the same stem (by default only the tuning part of
bench_analysis.py's split, so the held-out part is not looked at), the count "auto" finds with
the default pipeline, and for each reference speaker: their talk time, the time they are heard
alone (no other reference speaker at once), which found speakers' turns hold their speech
(10 ms frames), and the segmentation's local speakers (local_speakers.py) that hold them:
a local speaker is listed under a reference speaker when at least 0.3 s of its frames heard
alone, and half of them, fall in that speaker's speech heard alone. Each line gives the local
speaker's seconds heard alone and heard at all in its 10 s window and its cosine distance to
every found speaker's centroid: what the count's second opinion (short_speakers.py) reads.

    .venv/bin/python bench/count_misses.py AMI_DIR [--all] [--misses-only]
"""

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
_FRAME = 0.01


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--all", action="store_true", help="every file, held-out ones too")
    parser.add_argument("--misses-only", action="store_true", help="only files counted wrong")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from bench_analysis import TUNING

    for path in sorted(args.folder.glob("*.wav")):
        if path.with_suffix(".rttm").exists() and (args.all or path.stem in TUNING):
            report(path, args.misses_only)


def report(path: Path, misses_only: bool) -> None:
    from apps.core.media import decode_all
    from apps.engines.analysis.campplus import CamPlusPlusEncoder
    from apps.engines.analysis.der import load_rttm
    from apps.engines.analysis.diarization import diarize_audio, options_for
    from apps.engines.analysis.local_speakers import local_speakers_of

    reference = load_rttm(path.with_suffix(".rttm"))
    audio = decode_all(path)
    embedder, options = CamPlusPlusEncoder(), options_for("campplus")
    timeline = diarize_audio(audio, embedder=embedder, options=options)
    frames = int(np.ceil(len(audio) / 16_000 / _FRAME)) + 1
    names, speech = _reference_frames(reference, frames)
    if misses_only and len(timeline.centroids) == len(names):
        return
    found = sorted(timeline.centroids)
    labels = np.full(frames, -1)
    for turn in timeline.turns:
        labels[round(turn.start / _FRAME) : round(turn.end / _FRAME)] = found.index(turn.speaker)
    alone = speech & (speech.sum(axis=0) == 1)
    print(f"== {path.stem}: true {len(names)}, found {len(found)}")
    local, _ = local_speakers_of([audio], embedder, options.local)
    pieces = list(_local_pieces(local, timeline, found, frames))
    for i, name in enumerate(names):
        held = np.bincount(labels[speech[i] & (labels >= 0)], minlength=len(found)) * _FRAME
        print(
            f"  {name}: talk {speech[i].sum() * _FRAME:.1f} s, alone {alone[i].sum() * _FRAME:.1f}"
            f" s, in the found speakers' turns {' / '.join(f'{s:.1f}' for s in held)} s"
        )
        for window, k, clean, heard, distances, solo in pieces:
            shared = (solo & alone[i]).sum() * _FRAME
            if shared >= 0.3 and shared >= 0.5 * solo.sum() * _FRAME:
                far = " / ".join(f"{d:.2f}" for d in distances)
                print(
                    f"      local speaker {k} of window {window}: alone {clean:.1f} s, heard"
                    f" {heard:.1f} s, distance to the found {far}"
                )


def _reference_frames(reference, frames: int):
    names = sorted({speaker for speaker, _, _ in reference})
    speech = np.zeros((len(names), frames), dtype=bool)
    for speaker, start, end in reference:
        speech[names.index(speaker), round(start / _FRAME) : round(end / _FRAME)] = True
    return names, speech


def _local_pieces(local, timeline, found, frames: int):
    from apps.engines.analysis.embedding import unit_rows
    from apps.engines.analysis.short_speakers import _on_grid

    centroids = unit_rows(np.stack([timeline.centroids[name] for name in found]))
    for window, embeddings in enumerate(local.embeddings):
        if embeddings is None:
            continue
        hard = local.hard(window)
        solo = hard & (hard.sum(axis=1, keepdims=True) == 1)
        rows = zip(local.pieces[window], embeddings, local.clean[window], strict=True)
        for (k, _, _), vector, clean in rows:
            vector = unit_rows(vector[None].astype(float))[0]
            heard = hard[:, k].sum() * local.frame_step
            grid = _on_grid(solo[:, k], window, local, frames)
            yield window, k, clean, heard, 1 - centroids @ vector, grid


if __name__ == "__main__":
    main()
