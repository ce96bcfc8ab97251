"""Where a diarization's missed speech is (bench_analysis.py --eval, under each part's means):
issue 10, docs/benchmarks.md.

Seconds of missed reference speaker-time (the turns and the second voices together), split by
cause: two or more people talking where the output gives one voice or none, and one person
talking where the output gives no one. The second voices left unmarked are split by
segmentation-3.0's probability of two voices at once there (the marks start at 0.4), and the
single voice left unlabelled by the segmentation's speech probability (the labels start at 0.5),
by the length of the stretch it is part of, by its loudness (10 ms RMS in dB above the
recording's quietest tenth of frames) and by whether Silero hears speech there (threshold 0.5,
the diarization's own Silero settings): the cues that could bring it back.
"""

import numpy as np

SECOND = ("overlap_one", "overlap_none")
TWO_VOICES = (("ovl_p01", 0.0, 0.1), ("ovl_p14", 0.1, 0.4), ("ovl_p4", 0.4, 1.01))
SPEECH = (("alone_p01", 0.0, 0.1), ("alone_p13", 0.1, 0.3), ("alone_p35", 0.3, 0.5))
LENGTHS = (("len_02", 0.0, 0.2), ("len_05", 0.2, 0.5), ("len_1", 0.5, 1.0), ("len_1up", 1.0, 1e9))
LOUDNESS = (("db_6", -1e9, 6), ("db_12", 6, 12), ("db_20", 12, 20), ("db_20up", 20, 1e9))
MISSED = (
    *SECOND,
    "alone",
    "silero",
    *(key for key, _, _ in TWO_VOICES + SPEECH + LENGTHS + LOUDNESS),
)
_FRAME_SAMPLES = 160  # 10 ms at 16 kHz


def missed_speech(reference, timeline, found, audio: np.ndarray, silero) -> dict:
    """`found`: the segmentation's SpeechActivity; `silero`: Silero's speech regions (s)."""
    end = max([e for _, _, e in reference], default=0.0)
    frames = max(len(found.speech), round(end * 100)) + 1
    talking, given = _count(reference, frames), _count(_triples(timeline), frames)
    short = np.maximum(0, talking - given) / 100
    two_unmarked = (talking >= 2) & (given >= 1)
    alone = (talking == 1) & (given == 0)
    heard = _count([("", s, e) for s, e in silero], frames) > 0
    out = {
        "overlap_one": short[(talking >= 2) & (given >= 1)].sum(),
        "overlap_none": short[(talking >= 2) & (given == 0)].sum(),
        "alone": short[alone].sum(),
        "silero": short[alone & heard].sum(),
    }
    out.update(_binned(short, two_unmarked, _padded(found.overlap, frames), TWO_VOICES))
    out.update(_binned(short, alone, _padded(found.speech, frames), SPEECH))
    out.update(_binned(short, alone, _run_lengths(alone), LENGTHS))
    out.update(_binned(short, alone, _loudness(audio, frames), LOUDNESS))
    return out


def print_missed(rows: list[dict], indent: str) -> None:
    if not all(key in r for r in rows for key in MISSED):
        return
    m = {key: sum(r[key] for r in rows) for key in MISSED}

    def split(bins):
        return " / ".join(f"{m[key]:.1f}" for key, _, _ in bins)

    print(
        f"{indent} missed (+ovl): two or more talking, one voice given {m['overlap_one']:.1f} s "
        f"(where p(two voices) < 0.1 / 0.1-0.4 / >= 0.4: {split(TWO_VOICES)} s), "
        f"none {m['overlap_none']:.1f} s"
    )
    print(
        f"{indent} one talking, unlabelled {m['alone']:.1f} s: speech probability < 0.1 / "
        f"0.1-0.3 / 0.3-0.5: {split(SPEECH)} s; in stretches < 0.2 / 0.2-0.5 / 0.5-1 / >= 1 s: "
        f"{split(LENGTHS)} s; dB over the quietest tenth < 6 / 6-12 / 12-20 / >= 20: "
        f"{split(LOUDNESS)} s; Silero hears speech {m['silero']:.1f} s"
    )


def _triples(timeline):
    return [(t.speaker, t.start, t.end) for t in (*timeline.turns, *timeline.overlaps)]


def _count(turns, frames: int) -> np.ndarray:
    counts = np.zeros(frames, int)
    for _, start, end in turns:
        counts[round(start * 100) : round(end * 100)] += 1
    return counts


def _padded(values: np.ndarray, frames: int) -> np.ndarray:
    return np.pad(values, (0, max(0, frames - len(values))))[:frames]


def _binned(short, where, values, bins) -> dict:
    return {key: short[where & (values >= lo) & (values < hi)].sum() for key, lo, hi in bins}


def _run_lengths(mask: np.ndarray) -> np.ndarray:
    """Each frame's value: the length (s) of the run of True it belongs to (0 outside)."""
    lengths = np.zeros(len(mask))
    edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(int), 0]))
    for start, stop in zip(edges[::2], edges[1::2], strict=True):
        lengths[start:stop] = (stop - start) / 100
    return lengths


def _loudness(audio: np.ndarray, frames: int) -> np.ndarray:
    """Per 10 ms frame, RMS in dB above the recording's quietest tenth of frames."""
    whole = len(audio) // _FRAME_SAMPLES
    rms = np.sqrt(np.mean(audio[: whole * _FRAME_SAMPLES].reshape(whole, -1) ** 2, axis=1))
    db = 20 * np.log10(rms + 1e-9)
    return _padded(db - np.percentile(db, 10), frames) if whole else np.zeros(frames)
