"""The second voice of a transcript segment: where the speaker analysis marks another speaker
talking through most of a segment (its overlap marks, `Diarization.overlaps`), the segment is
said by two people at once, and `diarized_json` names both (issue 10). Where the marks cover
only part of a segment, they stay marks with their own times (the "overlaps" extension)."""

from collections.abc import Iterable

# Share of a segment another voice's marks must cover for the segment to carry that voice.
# Tuned on the AMI tuning excerpts (docs/benchmarks.md, issue 10, session 33).
SHARE = 0.5


def second_voice(
    start: float, end: float, speaker: str | None, marks: Iterable[tuple[str, float, float]]
) -> str | None:
    """The voice other than `speaker` whose marks (label, start, end) cover SHARE or more of
    [start, end); the one covering most where several do."""
    covered: dict[str, float] = {}
    for label, a, b in marks:
        if label != speaker and a < end and start < b:
            covered[label] = covered.get(label, 0.0) + min(b, end) - max(a, start)
    best = max(covered, key=covered.__getitem__, default=None)
    return best if best is not None and covered[best] >= SHARE * (end - start) else None
