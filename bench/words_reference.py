"""The diarization scored against the words alone (bench_analysis.py --eval DIR --words WORDS_DIR;
issue 10, docs/benchmarks.md, session 33).

The AMI excerpts' references count laughter and other vocal sounds as speech and draw wider
turns than the words. With the words-only and words-and-vocal-sounds references of the same
meetings (bench/prepare_ami_words.py), each second of missed reference speaker-time is put in
one of three bins: `words` (the words-only reference has a speaker there the output does not
give), `vocal` (only the vocal-sounds reference has one: a laugh, a cough) and `wider` (only
the scored reference has one: its wider turns). And the output's DER (with the second voices
marked) against the words alone, per file and as means.
"""

from pathlib import Path

import numpy as np
from missed_speech import _count

MISSED = ("missed_words", "missed_vocal", "missed_wider")


def words_scores(stem: str, folder: Path, reference, output) -> dict:
    """`reference`: the scored RTTM's (speaker, start, end); `output`: the turns and the second
    voices. Empty where `folder` has no words-only reference for `stem`."""
    from apps.engines.analysis.der import diarization_error_rate, load_rttm

    words_path, vocal_path = (folder / f"{stem}.{kind}.rttm" for kind in ("words", "vocal"))
    if not words_path.exists() or not vocal_path.exists():
        return {}
    words, vocal = load_rttm(words_path), load_rttm(vocal_path)
    frames = 1 + round(100 * max(end for _, _, end in [*reference, *words, *vocal, ("", 0, 0)]))
    given = _count(output, frames)
    missed = np.maximum(0, _count(reference, frames) - given)
    in_words = np.minimum(missed, np.maximum(0, _count(words, frames) - given))
    in_vocal = np.minimum(missed, np.maximum(0, _count(vocal, frames) - given))
    in_vocal = np.maximum(0, in_vocal - in_words)
    scored = diarization_error_rate(words, output)
    return {
        "words_der": scored.der,
        "words_total": scored.total,
        "missed_words": in_words.sum() / 100,
        "missed_vocal": in_vocal.sum() / 100,
        "missed_wider": (missed - in_words - in_vocal).sum() / 100,
    }


def print_words(rows: list[dict], indent: str) -> None:
    rows = [r for r in rows if "words_der" in r]
    if not rows:
        return
    seconds = {key: sum(r[key] for r in rows) for key in MISSED}
    speech = sum(r["words_total"] for r in rows) or 1.0
    mean = sum(r["words_der"] for r in rows) / len(rows)
    pooled = sum(r["words_der"] * r["words_total"] for r in rows) / speech
    print(
        f"{indent} against the words alone (+ovl, {len(rows)} files): DER {mean:.1%}, pooled "
        f"{pooled:.1%} over {speech:.0f} s; missed speaker-time: words "
        f"{seconds['missed_words']:.1f} s, vocal sounds {seconds['missed_vocal']:.1f} s, "
        f"the scored turns' wider edges "
        f"{seconds['missed_wider']:.1f} s"
    )
