"""Diarization error rate, the standard way (NIST md-eval, pyannote.metrics), in a few lines.

    DER = (missed speech + false alarm + speaker confusion) / total reference speech

scored on a 10 ms grid. Per frame, with R reference and H hypothesis speakers active and C of
them matched under the speaker mapping: missed = max(0, R - H), false alarm = max(0, H - R),
confusion = min(R, H) - C. The mapping from hypothesis to reference speakers is the one-to-one
mapping that maximises matched time (Hungarian algorithm). Overlapping speech counts once per
speaker. `collar` seconds either side of every reference boundary are left unscored (0.25 s is
the usual forgiving setting; 0 is the strict one). `skip_overlap` leaves frames where the
reference has two or more speakers unscored (pyannote.metrics' option of the same name): a
system that gives one speaker per moment cannot score below the share of overlapped speech,
and this variant shows what it does elsewhere.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

FRAME = 0.01

Turn = tuple[str, float, float]  # speaker, start, end


@dataclass(frozen=True)
class DERResult:
    der: float
    missed: float  # seconds
    false_alarm: float
    confusion: float
    total: float  # seconds of reference speech (per speaker)
    mapping: dict[str, str]  # hypothesis speaker -> reference speaker


def load_rttm(path: Path) -> list[Turn]:
    turns = []
    for line in Path(path).read_text().splitlines():
        fields = line.split()
        if fields and fields[0] == "SPEAKER":
            start, duration = float(fields[3]), float(fields[4])
            turns.append((fields[7], start, start + duration))
    return turns


def diarization_error_rate(
    reference: Iterable[Turn],
    hypothesis: Iterable[Turn],
    *,
    collar: float = 0.0,
    skip_overlap: bool = False,
) -> DERResult:
    reference, hypothesis = list(reference), list(hypothesis)
    end = max([t[2] for t in reference + hypothesis], default=0.0)
    n = int(np.ceil(end / FRAME)) + 1
    ref_names, ref = _activity(reference, n)
    hyp_names, hyp = _activity(hypothesis, n)
    scored = _scored_frames(reference, n, collar)
    if skip_overlap:
        scored &= ref.sum(axis=0) < 2
    ref, hyp = ref[:, scored], hyp[:, scored]

    overlap = ref.astype(np.int64) @ hyp.T.astype(np.int64)  # frames both are active
    rows, cols = linear_sum_assignment(-overlap) if overlap.size else ([], [])
    matched = np.zeros(ref.shape[1], dtype=np.int64)
    for r, h in zip(rows, cols, strict=True):
        matched += ref[r] & hyp[h]

    n_ref, n_hyp = ref.sum(axis=0), hyp.sum(axis=0)
    missed = np.maximum(0, n_ref - n_hyp).sum() * FRAME
    false_alarm = np.maximum(0, n_hyp - n_ref).sum() * FRAME
    confusion = (np.minimum(n_ref, n_hyp) - matched).sum() * FRAME
    total = n_ref.sum() * FRAME
    der = (missed + false_alarm + confusion) / total if total else 0.0
    mapping = {
        hyp_names[h]: ref_names[r] for r, h in zip(rows, cols, strict=True) if overlap[r, h] > 0
    }
    return DERResult(
        float(der), float(missed), float(false_alarm), float(confusion), float(total), mapping
    )


def _activity(turns: list[Turn], n: int) -> tuple[list[str], np.ndarray]:
    names = sorted({t[0] for t in turns})
    active = np.zeros((len(names), n), dtype=bool)
    for speaker, start, end in turns:
        active[names.index(speaker), _frame(start) : _frame(end)] = True
    return names, active


def _scored_frames(reference: list[Turn], n: int, collar: float) -> np.ndarray:
    scored = np.ones(n, dtype=bool)
    if collar > 0:
        for _, start, end in reference:
            for boundary in (start, end):
                scored[_frame(boundary - collar) : _frame(boundary + collar)] = False
    return scored


def _frame(seconds: float) -> int:
    return max(0, int(round(seconds / FRAME)))
