"""Checks on the recordings a custom voice is made from: enough speech, not too much, a usable
level, no clipping and no background noise or music (each said with where it happens), and one
speaker throughout.

The speaker check compares speaker embeddings (apps.engines.voice.embed): within a recording,
stretches of ~4 s against each other (the lowest pair counts); across recordings, each against
the others. Measured on ../shared/corpus: stretches of one clean recording score at least
0.87-0.90, a noisy 1961 broadcast 0.78; recordings of meetings and dialogues 0.42-0.69. Whole
recordings of one speaker score 0.93-0.94 against each other, different speakers 0.40-0.77.

Two people of the same sex in one channel (two men talking) pass that comparison more often than
not, so a recording that passes is looked at again with CAM++ (apps.engines.analysis.campplus),
which tells similar voices apart far better: its 1.5 s windows are split into the two most
different groups (see _two_voices_check). Measured on 125 real recordings
(bench/bench_sample_checks.py, docs/benchmarks.md).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

import numpy as np

from apps.engines.voice.embed import (
    HOP,
    MIN_SPEECH_SECONDS,
    SAMPLE_RATE,
    forward,
    mel_spectrogram,
    partial_slices,
    preprocess,
)

MIN_TOTAL_SPEECH = 3.0  # seconds, over all samples (voice_match's minimum)
MAX_TOTAL_SECONDS = 300.0  # over all samples: more adds little and slows everything
QUIET_DB, TOO_QUIET_DB, SILENT_DB = -35.0, -50.0, -60.0  # speech level, dBFS
CLIPPED_WARN, CLIPPED_FAIL = 0.1, 1.0  # percent of samples at full scale
CLIP_LEVEL = 0.99
# Partials are 1.6 s every ~0.77 s: four make a stretch of ~3.9 s, two stretches overlap by half.
PARTIALS_PER_STRETCH, STRETCH_STEP = 4, 2
SAME_SPEAKER_WITHIN = 0.75
SAME_SPEAKER_ACROSS = 0.80
# Background noise or music: the quiet frames (10th percentile) of each second, with a second
# either side, against the speech level. Clean corpus recordings keep 11-58 dB per second and
# 20 dB or more over the whole file; noise or music under the speech brings it to 6-13 dB.
NOISY_SECOND_DB, NOISY_FILE_DB = 10.0, 15.0
# Speech a channel needs before it is compared with the other (seconds).
MIN_CHANNEL_SPEECH = 1.5
# Two voices in one channel: CAM++ windows (seconds), the fewest windows a group of them needs
# to count as a voice (less is a cough or a laugh, set aside), and the similarity of the two
# groups below which they are two people. Set on the AMI tuning recordings, between the highest
# two-person score (0.47) and the lowest one-speaker score (0.56).
VOICE_WINDOW, VOICE_STEP = 1.5, 0.75
MIN_VOICE_WINDOWS = 2
TWO_VOICES_BELOW = 0.52


class Level(StrEnum):
    OK = "ok"
    WARNING = "warning"  # shown, does not stop the voice
    ERROR = "error"  # the sample cannot be used


@dataclass(frozen=True)
class Check:
    name: str
    level: Level
    message: str

    def as_dict(self) -> dict:
        return {"name": self.name, "level": self.level.value, "message": self.message}


@dataclass(frozen=True)
class SampleReport:
    duration: float
    speech_seconds: float
    level_db: float
    clipped_percent: float
    checks: tuple[Check, ...]
    # Speaker embedding of the whole recording (None: too little speech).
    embedding: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def passed(self) -> bool:
        return all(c.level != Level.ERROR for c in self.checks)

    def with_check(self, check: Check) -> "SampleReport":
        return SampleReport(
            self.duration,
            self.speech_seconds,
            self.level_db,
            self.clipped_percent,
            (*self.checks, check),
            self.embedding,
        )


def sample_check(audio: np.ndarray) -> SampleReport:
    """Check one recording (16 kHz mono float32)."""
    duration = len(audio) / SAMPLE_RATE
    speech = preprocess(audio)
    speech_seconds = len(speech) / SAMPLE_RATE
    level = speech_level_db(audio)
    clipped = 100.0 * float(np.mean(np.abs(audio) >= CLIP_LEVEL)) if len(audio) else 0.0
    checks = [_speech_check(speech_seconds, level)]
    if level >= SILENT_DB:  # a silent file needs no advice on its level
        checks.append(_level_check(level))
    checks.append(_clip_check(clipped, _clipped_spans(audio)))
    if speech_seconds >= MIN_SPEECH_SECONDS:
        checks.append(_noise_check(audio, level))
    embedding = None
    if speech_seconds >= MIN_SPEECH_SECONDS:
        partials = partial_embeddings(speech)
        embedding = _normalised(partials.mean(axis=0))
        check = _one_speaker_check(partials)
        checks.append(_two_voices_check(speech, check) if check.level == Level.OK else check)
    return SampleReport(duration, speech_seconds, level, clipped, tuple(checks), embedding)


def channels_check(report: SampleReport, channels: Sequence[np.ndarray]) -> SampleReport:
    """A two-channel recording (a call, a podcast with a microphone each) whose channels hold
    different people fails "one speaker", however the mixed-down sound compares with itself.
    `channels`: each channel as 16 kHz mono float32."""
    embeddings = []
    for channel in channels:
        speech = preprocess(channel)
        if len(speech) >= MIN_CHANNEL_SPEECH * SAMPLE_RATE:
            embeddings.append(_normalised(partial_embeddings(speech).mean(axis=0)))
    if len(embeddings) < 2:
        return report
    score = float(embeddings[0] @ embeddings[1])
    if score >= SAME_SPEAKER_WITHIN:
        return report
    check = Check(
        "speaker",
        Level.ERROR,
        f"The left and right channels hold different people (similarity {score:.2f}; one "
        f"person scores above {SAME_SPEAKER_WITHIN:.2f}). Use recordings of one speaker.",
    )
    return replace(report, checks=(*(c for c in report.checks if c.name != "speaker"), check))


def set_check(
    reports: Sequence[SampleReport], names: Sequence[str]
) -> tuple[list[SampleReport], list[str]]:
    """The reports with the across-recordings speaker check added, and problems of the set as
    a whole (too little or too much audio) as messages. `names` label the recordings."""
    reports = _across_check(list(reports), list(names))
    problems = []
    total_speech = sum(r.speech_seconds for r in reports if r.passed)
    total = sum(r.duration for r in reports)
    if total_speech < MIN_TOTAL_SPEECH:
        problems.append(
            f"The usable samples hold {total_speech:.1f} s of speech; at least "
            f"{MIN_TOTAL_SPEECH:g} s of one person speaking are needed (10-60 s is best)."
        )
    if total > MAX_TOTAL_SECONDS:
        problems.append(
            f"The samples add up to {total / 60:.1f} minutes; keep them under "
            f"{MAX_TOTAL_SECONDS / 60:g} minutes (remove some)."
        )
    return reports, problems


def speech_level_db(audio: np.ndarray) -> float:
    """Loudness of the speech: mean power of the louder half of 30 ms frames, in dBFS."""
    frame = int(0.03 * SAMPLE_RATE)
    count = len(audio) // frame
    if not count:
        return -120.0
    power = np.mean(audio[: count * frame].astype(np.float64).reshape(count, frame) ** 2, axis=1)
    loud = np.sort(power)[count // 2 :]
    return float(10 * np.log10(max(loud.mean(), 1e-12)))


def partial_embeddings(speech: np.ndarray) -> np.ndarray:
    """(n, 256) embeddings of the 1.6 s partials of preprocessed speech, as embed_utterance
    computes them before averaging."""
    slices = partial_slices(len(speech))
    needed = slices[-1].stop * HOP
    if needed >= len(speech):
        speech = np.pad(speech, (0, needed - len(speech)))
    mel = mel_spectrogram(speech)
    return forward(np.stack([mel[s] for s in slices]))


def _speech_check(speech_seconds: float, level: float) -> Check:
    if speech_seconds < MIN_SPEECH_SECONDS:
        what = "is silent" if level < SILENT_DB else "holds almost no speech"
        return Check("speech", Level.ERROR, f"This recording {what} ({speech_seconds:.1f} s).")
    return Check("speech", Level.OK, f"{speech_seconds:.1f} s of speech.")


def _level_check(level: float) -> Check:
    if level < TOO_QUIET_DB:
        return Check(
            "level", Level.ERROR, f"Far too quiet ({level:.0f} dBFS): record closer to the mic."
        )
    if level < QUIET_DB:
        return Check(
            "level", Level.WARNING, f"Quiet ({level:.0f} dBFS): closer to the mic would help."
        )
    return Check("level", Level.OK, f"Level {level:.0f} dBFS.")


def _clip_check(clipped: float, where: str) -> Check:
    advice = "record further from the microphone or lower its input level"
    if clipped >= CLIPPED_FAIL:
        return Check(
            "clipping", Level.ERROR, f"Distorted: {clipped:.1f}% clipped {where}; {advice}."
        )
    if clipped >= CLIPPED_WARN:
        return Check(
            "clipping", Level.WARNING, f"Some clipping ({clipped:.2f}%) {where}; {advice}."
        )
    return Check("clipping", Level.OK, "No clipping.")


def _clipped_spans(audio: np.ndarray) -> str:
    seconds = np.unique(np.flatnonzero(np.abs(audio) >= CLIP_LEVEL) // SAMPLE_RATE)
    return _at(seconds.tolist(), len(audio) / SAMPLE_RATE)


def _noise_check(audio: np.ndarray, level: float) -> Check:
    """Background noise or music: how far the quiet moments stay below the speech, per
    second, so the message says where."""
    frame = int(0.03 * SAMPLE_RATE)
    count = len(audio) // frame
    power = np.mean(audio[: count * frame].astype(np.float64).reshape(count, frame) ** 2, axis=1)
    db = 10 * np.log10(np.maximum(power, 1e-12))
    whole = level - float(np.percentile(db, 10))
    per_second = SAMPLE_RATE / frame
    noisy = []
    for second in range(int(np.ceil(len(audio) / SAMPLE_RATE))):
        lo, hi = int(max(0, (second - 1) * per_second)), int(min(count, (second + 2) * per_second))
        if hi > lo and level - float(np.percentile(db[lo:hi], 10)) < NOISY_SECOND_DB:
            noisy.append(second)
    advice = "record somewhere quieter, without music"
    if whole < NOISY_FILE_DB:
        return Check(
            "noise",
            Level.WARNING,
            f"Background noise or music throughout (speech only {whole:.0f} dB above it); "
            f"{advice}.",
        )
    if noisy:
        where = _at(noisy, len(audio) / SAMPLE_RATE)
        return Check("noise", Level.WARNING, f"Background noise or music {where}; {advice}.")
    return Check("noise", Level.OK, f"Quiet background ({whole:.0f} dB below the speech).")


def _at(seconds: list[int], duration: float) -> str:
    """'at 0:03-0:05, 0:09' for whole seconds into the recording (runs joined)."""
    runs: list[list[int]] = []
    for second in seconds:
        if runs and second - runs[-1][1] <= 1:
            runs[-1][1] = second
        else:
            runs.append([second, second])
    parts = [
        _clock(a) if a == b else f"{_clock(a)}–{_clock(min(b + 1, int(np.ceil(duration))))}"
        for a, b in runs[:4]
    ]
    more = f" and {len(runs) - 4} more places" if len(runs) > 4 else ""
    return f"at {', '.join(parts)}{more}" if parts else ""


def _clock(second: int) -> str:
    return f"{second // 60}:{second % 60:02d}"


def _one_speaker_check(partials: np.ndarray) -> Check:
    stretches = [
        _normalised(partials[i : i + PARTIALS_PER_STRETCH].mean(axis=0))
        for i in range(0, max(1, len(partials) - PARTIALS_PER_STRETCH + 1), STRETCH_STEP)
    ]
    if len(stretches) < 2:
        return Check("speaker", Level.OK, "One speaker (too short to compare parts).")
    matrix = np.array(stretches) @ np.array(stretches).T
    lowest = float(matrix.min())
    if lowest < SAME_SPEAKER_WITHIN:
        return Check(
            "speaker",
            Level.ERROR,
            f"Parts of this recording sound like different people (similarity {lowest:.2f}; "
            f"one person scores above {SAME_SPEAKER_WITHIN:.2f}). Use recordings of one speaker.",
        )
    return Check("speaker", Level.OK, f"One speaker throughout (similarity ≥ {lowest:.2f}).")


def _two_voices_check(speech: np.ndarray, passed: Check) -> Check:
    """Two voices however alike, however short their turns: the CAM++ embeddings of 1.5 s
    windows of `speech` (preprocessed) split in two by average linkage; a group under
    MIN_VOICE_WINDOWS is set aside and the rest split again. One person's two groups still
    sound alike (0.56 or more on the tuning set), two people's do not (0.47 or less)."""
    score, seconds = two_voices(speech)
    if score >= TWO_VOICES_BELOW:
        return passed
    return Check(
        "speaker",
        Level.ERROR,
        f"This recording holds two different voices ({seconds[0]:.0f} s and {seconds[1]:.0f} s "
        f"of speech, similarity {score:.2f}; one person's parts score above "
        f"{TWO_VOICES_BELOW:.2f}). Use recordings of one speaker.",
    )


def two_voices(speech: np.ndarray) -> tuple[float, tuple[float, float]]:
    """(similarity of the two most different groups of windows, seconds of speech in each);
    (1.0, (0, 0)) when there is too little speech to make two groups."""
    from apps.engines.analysis.campplus import CamPlusPlusEncoder

    size, step = int(VOICE_WINDOW * SAMPLE_RATE), int(VOICE_STEP * SAMPLE_RATE)
    windows = [speech[i : i + size] for i in range(0, len(speech) - size + 1, step)]
    if len(windows) < 2 * MIN_VOICE_WINDOWS:
        return 1.0, (0.0, 0.0)
    embeddings = CamPlusPlusEncoder().embed_many(windows)
    while len(embeddings) >= 2 * MIN_VOICE_WINDOWS:
        first, second = _split_in_two(embeddings)
        small, large = sorted((first, second), key=len)
        if len(small) >= MIN_VOICE_WINDOWS:
            a, b = (_normalised(embeddings[g].mean(axis=0)) for g in (large, small))
            return float(a @ b), (len(large) * VOICE_STEP, len(small) * VOICE_STEP)
        embeddings = embeddings[large]
    return 1.0, (0.0, 0.0)


def _split_in_two(embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two groups of average-linkage clustering (cosine): window indices."""
    from scipy.cluster.hierarchy import fcluster, linkage

    labels = fcluster(linkage(embeddings, method="average", metric="cosine"), 2, "maxclust")
    return np.flatnonzero(labels == 1), np.flatnonzero(labels != 1)


def _across_check(reports: list[SampleReport], names: list[str]) -> list[SampleReport]:
    """The recording that agrees with the most others is the reference (ties: more speech);
    each other recording must sound like the same person."""
    usable = [i for i, r in enumerate(reports) if r.embedding is not None and r.passed]
    if len(usable) < 2:
        return reports
    matrix = np.array([reports[i].embedding for i in usable])
    scores = matrix @ matrix.T
    agree = (scores >= SAME_SPEAKER_ACROSS).sum(axis=1)
    ref = max(range(len(usable)), key=lambda k: (agree[k], reports[usable[k]].speech_seconds))
    out = list(reports)
    for k, i in enumerate(usable):
        if k == ref:
            check = Check("same_speaker", Level.OK, "The reference for the other samples.")
        elif scores[k, ref] < SAME_SPEAKER_ACROSS:
            check = Check(
                "same_speaker",
                Level.ERROR,
                f"Sounds like a different person from “{names[usable[ref]]}” (similarity "
                f"{scores[k, ref]:.2f}; the same person usually scores above "
                f"{SAME_SPEAKER_ACROSS:.2f}).",
            )
        else:
            check = Check(
                "same_speaker", Level.OK, f"Same speaker as the others ({scores[k, ref]:.2f})."
            )
        out[i] = reports[i].with_check(check)
    return out


def _normalised(vector: np.ndarray) -> np.ndarray:
    return vector / max(float(np.linalg.norm(vector)), 1e-12)
