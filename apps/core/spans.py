"""Stretches of time: what several layers ask of spans with `.start` and `.end` seconds."""

from collections.abc import Iterable


def uncovered_parts(start: float, end: float, spans: Iterable) -> list[tuple[float, float]]:
    """The parts (start, end) of [start, end) that no span of `spans` (sorted by start) covers."""
    parts, at = [], start
    for span in spans:
        if span.end <= at or span.start >= end:
            continue
        if span.start > at:
            parts.append((at, span.start))
        at = max(at, span.end)
    return [*parts, (at, end)] if at < end else parts
