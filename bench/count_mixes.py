"""The automatic count on development mixes of the corpus's voices: issue 10, docs/benchmarks.md
(session 30).

The mixes are tests/voice_mixes.py's: 3 to 6 of the corpus's eleven single-voice speakers, 3 to
5 s each in two turns. The truth is known, and no evaluation recording is touched, so the
count's rules can be checked on many voices of a few seconds each without using the held-out
part. Printed per mix: the true count and the count "auto" finds with the default settings,
with the opt-in second opinion (diarization.SHORT_SPEAKERS) and with that opinion without
session 30's guards ("unguarded", session 29's rule); then how often each is right, and the
mean DER on "auto" (turns and marked second voices, no collar).

    .venv/bin/python bench/count_mixes.py [--mixes 16] [--seed 30]
"""

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SR = 16_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mixes", type=int, default=16)
    parser.add_argument("--seed", type=int, default=30)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from bench_analysis import CORPUS

    from apps.engines.analysis.campplus import CamPlusPlusEncoder
    from apps.engines.analysis.diarization import SHORT_SPEAKERS, diarize_audio, options_for
    from apps.engines.analysis.short_speakers import ShortSpeakerOptions
    from tests.voice_mixes import mixes

    embedder = CamPlusPlusEncoder()
    ways = {
        "default": options_for("campplus"),
        "second opinion": options_for("campplus", short_speakers=SHORT_SPEAKERS),
        "unguarded": options_for("campplus", short_speakers=ShortSpeakerOptions()),
    }
    results = {way: [] for way in ways}
    made = mixes(CORPUS, args.seed)
    for index, (audio, reference) in zip(range(args.mixes), made, strict=False):
        found = []
        for way, options in ways.items():
            timeline = diarize_audio(audio, embedder=embedder, options=options)
            results[way].append((len({r[0] for r in reference}), timeline, reference))
            found.append(f"{way} {len(timeline.centroids)}")
        print(
            f"mix {index:2d}: {len(audio) / SR:4.1f} s, true {3 + index % 4}, " + ", ".join(found)
        )
    for way, rows in results.items():
        _summary(way, rows)


def _summary(way: str, rows) -> None:
    from apps.engines.analysis.der import diarization_error_rate

    right = sum(true == len(timeline.centroids) for true, timeline, _ in rows)
    ders = [
        diarization_error_rate(
            reference, [(t.speaker, t.start, t.end) for t in timeline.turns + timeline.overlaps]
        ).der
        for _, timeline, reference in rows
    ]
    pairs: dict[tuple[int, int], int] = {}
    for true, timeline, _ in rows:
        key = (true, len(timeline.centroids))
        pairs[key] = pairs.get(key, 0) + 1
    confusion = ", ".join(f"{t}->{f} x{n}" for (t, f), n in sorted(pairs.items()))
    print(
        f"{way}: count right on {right} of {len(rows)}, auto DER {np.mean(ders):.1%}; {confusion}"
    )


if __name__ == "__main__":
    main()
