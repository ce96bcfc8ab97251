"""Where the turns change, from the segmentation model's own speakers: votes at 10 ms.

The turns come from 1.5 s windows of voice embeddings (diarization.py), so where one voice
gives way to another, or where the clustering split one voice in two, the embeddings blur over
a window's length. segmentation-3.0 (segmentation.py) hears, within each 10 s window, who of up
to three *local* speakers talks in each 17 ms frame, and it follows a voice across a window
far more finely than an embedding does, but its speakers are not named across windows.

So each local speaker is named by the turns themselves: a local speaker heard alone for at
least `min_alone` seconds of speech the turns labelled, with at least `min_share` of those
frames going to one speaker, stands for that speaker in that window (below the share the model
heard two of the turns' voices as one and it says nothing). Every frame where a named local
speaker talks alone is then a vote for its speaker, and each frame's votes, as shares of the
windows that named someone there, are added to the re-segmentation's scores (resegment.py,
`bonus`): a frame the windows agree on leans to their speaker, the embeddings still decide
where the model is unsure or silent. With `reach`, the votes count only near a change of
speaker in the turns (where the embeddings blur), so a local speaker that holds two people (as
on meetings the model never saw) can move a change, not take over a whole stretch.
"""

from dataclasses import replace

import numpy as np

from .resegment import FrameLabels, ResegmentOptions, resegment
from .segmentation import SpeechActivity

FRAME = 0.01


def revoted(
    regions: list[tuple[float, float]],
    spans: list[tuple[float, float]],
    embeddings: np.ndarray,
    frames: FrameLabels,
    found: SpeechActivity,
    *,
    weight: float,
    reach: float | None,
    options: ResegmentOptions,
    overlapped: list[np.ndarray] | None = None,
) -> FrameLabels:
    """`frames` (the re-segmentation of `regions`) once more, from its refined centroids, with
    `weight` x each frame's votes (`local_votes`, within `reach` of a change) added to its
    scores."""
    labels = np.full(len(found.speech), -1)
    for (start, _), frame_labels in zip(regions, frames.labels, strict=True):
        first = round(start / FRAME)
        labels[first : first + len(frame_labels)] = frame_labels[: max(0, len(labels) - first)]
    votes = weight * local_votes(found, labels, len(frames.centroids), reach=reach)
    bonus = []
    for start, frame_labels in zip(frames.starts, frames.labels, strict=True):
        first = round(start / FRAME)
        mine = votes[first : first + len(frame_labels)]
        bonus.append(np.pad(mine, ((0, len(frame_labels) - len(mine)), (0, 0))))
    once = replace(options, iterations=0)
    return resegment(regions, spans, embeddings, frames.centroids, once, overlapped, bonus)


def local_votes(
    found: SpeechActivity,
    labels: np.ndarray,
    speakers: int,
    *,
    min_alone: float = 0.5,
    min_share: float = 0.7,
    reach: float | None = None,
) -> np.ndarray:
    """(frames, speakers) float32: per 10 ms frame of `labels` (the turns' speaker index of
    each frame, -1 where no one is labelled), the share of the named local speakers heard alone
    there that stand for each speaker (zero where none is). With `reach` (seconds), only
    within that distance of a change of speaker in `labels` (a pause between them included)."""
    frames = len(labels)
    # Votes as +1 at a run's first frame and -1 after its last, summed once at the end.
    steps = np.zeros((frames + 1, speakers), dtype=np.float32)
    step, half = found.frame_step, found.frame_duration / 2
    for start, classes in found.windows:
        centres = start + np.arange(len(classes)) * step + half
        heard = labels[np.clip((centres / FRAME).astype(int), 0, frames - 1)]
        first = np.minimum(np.round((start + np.arange(len(classes)) * step) / FRAME), frames)
        last = np.minimum(np.round((start + (np.arange(len(classes)) + 1) * step) / FRAME), frames)
        for local in range(3):
            speaker = _named(classes == local + 1, heard, speakers, step, min_alone, min_share)
            if speaker is None:
                continue
            talking = classes == local + 1
            np.add.at(steps[:, speaker], first[talking].astype(int), 1)
            np.add.at(steps[:, speaker], last[talking].astype(int), -1)
    votes = np.cumsum(steps, axis=0)[:frames]
    if reach is not None:
        votes[~near_changes(labels, round(reach / FRAME))] = 0
    total = votes.sum(axis=1, keepdims=True)
    return np.divide(votes, total, out=np.zeros_like(votes), where=total > 0)


def near_changes(labels: np.ndarray, frames: int) -> np.ndarray:
    """True within `frames` before or after each frame whose speaker differs from the last
    labelled frame's."""
    labelled = np.flatnonzero(labels >= 0)
    changes = labelled[1:][labels[labelled[1:]] != labels[labelled[:-1]]]
    steps = np.zeros(len(labels) + 1, dtype=int)
    np.add.at(steps, np.maximum(changes - frames, 0), 1)
    np.add.at(steps, np.minimum(changes + frames, len(labels)), -1)
    return np.cumsum(steps)[:-1] > 0


def _named(alone, heard, speakers, step, min_alone, min_share) -> int | None:
    """The speaker a local speaker stands for: the one the turns give most of its frames heard
    alone, when it has enough of them and enough of a share."""
    labelled = alone & (heard >= 0)
    if labelled.sum() * step < min_alone:
        return None
    counts = np.bincount(heard[labelled], minlength=speakers)
    best = int(np.argmax(counts))
    return best if counts[best] >= min_share * labelled.sum() else None
