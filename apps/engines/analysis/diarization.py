"""Who spoke when, from the audio alone: speech -> windows -> voice embeddings -> clusters ->
turns at 10 ms.

1. Where the speech is. By default pyannote's segmentation-3.0 (segmentation.py), 10 s windows
   every 2.5 s, averaged onto 10 ms frames: the speech that is labelled is where someone speaks
   (probability over 0.5, pauses under 0.1 s bridged; with CAM++ also over 0.1 where two
   voices at once hold 15 % of it: quiet speech under another voice); the clear speech that is
   embedded is the same (never that quiet speech) less the frames where two people speak at
   once, pauses under 0.3 s bridged; where
   two voices are likely (over 0.4 with CAM++) a second speaker is marked (step 4). Trained
   on far-field meetings, it hears the quiet speech that Silero missed there (on the held-out
   AMI meetings Silero left 46 % of the reference speech unlabelled; docs/benchmarks.md). It
   also gives a floor for the "auto" count: the most voices one window heard talk for 2 s or more.
   With `activity_model="silero"`, Silero VAD (bundled with faster-whisper) with a short
   minimum silence, twice over the same speech probabilities: at 0.5 for the clear speech that
   is embedded, split at pauses of a fifth of a second, and at 0.25 for the speech that is
   labelled.
2. The clear speech is cut into 1.5 s windows every 0.75 s (a shorter region is one window), and
   each window gets a voice embedding from `embedder` (any `embed(audio16k) -> vector`).
3. Windows are clustered (count given: spectral or agglomerative; "auto": threshold, then
   clusters merged unless the talk time behind them shows two voices, against this recording's
   own same-voice similarity; clustering.py; thresholds per encoder, `options_for`). With
   CAM++, the clusters a count forces are checked too (`prune_given_count`): one with under a
   second of clear speech is folded, and after step 4 a speaker with under 2 s is dropped.
4. Re-segmentation (resegment.py): every 10 ms of labelled speech is scored against each
   speaker's centroid by the windows covering it, and a Viterbi pass with a price on each change
   of speaker and a minimum turn length picks the turns, so a turn changes where the voice does,
   not at a window's edge. On "auto" a speaker left with under two seconds is dropped. Where
   the segmentation heard two voices (Silero: where a second speaker scores nearly as well),
   the best-scoring other speaker's stretch is reported in `overlaps`. Opt-in, with a count
   given (`local_vote_weight`): one more Viterbi pass with the segmentation's local speakers'
   votes for each frame added to the scores (local_votes.py).

   Opt-in, on "auto" (`short_speakers`): the segmentation's local speakers (local_speakers.py)
   give a second opinion on the count after step 4 (short_speakers.py): a local speaker
   heard alone for half a second in a voice unlike every speaker found is a speaker more, given
   the frames where it is heard alone (a participant with a second or two of speech has too
   few windows for the clustering to keep apart).

5. With a `profile_embedder` (the backend's Resemblyzer, when CAM++ is clustered), each
   speaker's centroid is made again from that encoder's embeddings of up to 40 of the windows
   that lie inside the speaker's turns, so it can be compared with saved voice profiles.

With `pipeline="local_speakers"` steps 1-5 are replaced by pyannote 3.1's way
(local_speakers.py): the segmentation's per-window speakers embedded, clustered under a
cannot-link and put back together, two at once where the windows heard two. Better on the
tuning part and the shared corpus, worse held out (docs/benchmarks.md), so not the default.
With `pipeline="hybrid"` steps 1-4 make the turns and the local speakers only the second
voices in `overlaps` (`with_local_overlaps`).

`diarize_file` does the same on a file read as a stream, twice (speech activity and
loudness first, then the windows' audio; a third time for step 5), so memory stays flat
however long the recording; its result equals `diarize_audio(decode_all(path))`.
"""

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NamedTuple

import numpy as np

from apps.engines.stt.silero import speech_chunks

from .base import SpeakerTurn
from .clustering import (
    DEFAULT_THRESHOLD,
    MERGE_RATIO,
    SAME_VOICE_BOUNDS,
    centroids_of,
    cluster,
    merge_same_voice,
    same_voice_similarity,
)
from .embedding import SAMPLE_RATE, Embedder, embed_many, normalize_volume
from .local_speakers import (
    LocalSpeakerOptions,
    LocalSpeakers,
    LocalSpeakerSegmenter,
    local_speakers_of,
    speaker_frames,
)
from .local_votes import revoted
from .resegment import ResegmentOptions, nearest_centre, resegment
from .short_speakers import ShortSpeakerOptions, with_short_speakers

_FRAME = 0.01
# The least speech probability that quiet overlapped speech is looked for at (_quiet_two_voices).
_UNSURE = 0.1
# Windows embedded per call, so memory stays flat on long recordings.
_BATCH = 64


@dataclass(frozen=True)
class DiarizationOptions:
    window: float = 1.5  # seconds of audio per embedding
    hop: float = 0.75
    min_window: float = 0.4  # shorter speech regions borrow a neighbour's label
    min_silence_ms: int = 200
    speech_pad_ms: int = 50
    threshold: float = DEFAULT_THRESHOLD  # "auto" speaker count: cosine similarity to merge
    # ... and the same-voice rule after it (clustering.merge_same_voice), calibrated per encoder
    # (`for_encoder`).
    merge_ratio: float = MERGE_RATIO
    same_voice_bounds: tuple[float, float] = SAME_VOICE_BOUNDS
    # Silero speech probability for the windows that are embedded: only clear speech, split at
    # short pauses, so few windows mix two voices.
    vad_threshold: float = 0.5
    # ... and for the speech that is labelled: far-field meeting speech is quiet, and at 0.5 a
    # fifth of it went unlabelled on the evaluation set (docs/benchmarks.md); the references
    # count a speaker's short pauses as part of the turn.
    activity_threshold: float = 0.25
    activity_min_silence_ms: int = 350  # bridges the short pauses within a turn
    min_speaker_seconds: float = 2.0  # "auto": less talk time after re-segmentation is no speaker
    # Take a count given as the most there are when neither the clustering nor the
    # segmentation finds that many voices. On the tuning part it paid (25.2 -> 18.5 %: a forced
    # cluster for a participant who says "mm-hmm" takes the dominant voice's speech), but on a
    # held-out recording of six speakers it kept two (13 -> 67 %), so it is off
    # (docs/benchmarks.md).
    count_as_limit: bool = False
    # With a count given, the clusters it forces are checked as "auto" checks its own: one with
    # under a second of clear speech (clustering.MIN_SPEAKER_SECONDS) is folded into the voice
    # it matches best, and a speaker left with under `min_speaker_seconds` after
    # re-segmentation is dropped, never below the segmentation's floor. A count usually
    # includes the participant who says "mm-hmm", whose forced cluster otherwise takes a slice
    # of the main voice (or a second "speaker" out of one reader when the count is one too
    # many). On for CAM++ (CAMPLUSPLUS_COUNTING), chosen on the tuning part; held out, mean DER
    # with the overlap marks 38.7 -> 36.6 %, but its six-speaker clip of 22 s came out with
    # five (docs/benchmarks.md). Not measured with Resemblyzer's calibration, so off there.
    prune_given_count: bool = False
    resegment: ResegmentOptions = ResegmentOptions()
    # Where the speech is: "segmentation" (pyannote's segmentation-3.0, segmentation.py: hears
    # quiet far-field speech and tells where two people talk at once) or "silero" (the
    # thresholds above).
    activity_model: str = "segmentation"
    segmentation_step: float = 2.5  # seconds between its 10 s windows
    speech_threshold: float = 0.5  # its speech probability for the speech that is labelled
    overlap_threshold: float = 0.5  # ... and for two voices at once (not embedded)
    # ... and for the second voice marked in `overlaps` (None: `overlap_threshold`). Lower than
    # the embedding's cut because a false mark costs only its own frames, while a frame of two
    # voices embedded muddles a whole window (CAMPLUSPLUS_MARKS).
    mark_threshold: float | None = None
    # Speech that is labelled though under `speech_threshold`: where two voices at once hold
    # this share of the speech probability (`_quiet_two_voices`; None: off). Not embedded.
    # CAMPLUSPLUS_ACTIVITY.
    two_voice_share: float | None = None
    speech_min_off: float = 0.1  # pauses shorter than this are bridged in the labelled speech
    clear_min_off: float = 0.3  # ... and in the speech that is embedded
    # Below this share of the labelled speech left once overlaps are taken out, all of it is
    # embedded (only stereo_diarization.wav, 48 %, of the evaluation files; the rest >= 62 %).
    min_clear_share: float = 0.5
    # "auto": a voice this long within one window is a speaker. At 1.0-1.5 s the segmentation
    # split cheetah_pt.wav's one reader in two.
    local_speaker_seconds: float = 2.0
    # "auto" count: "cluster" (the clustering's count, at least the segmentation's floor) or
    # "floor" (the most voices one window heard).
    auto_count: str = "cluster"
    # Cut the embedded speech where this share of the windows heard one voice give way to
    # another (None: no cuts). On the tuning part it helped CAM++ a little (20.7 -> 20.3 %) and
    # hurt Resemblyzer (26.3 -> 29.6 %: sample.wav's clustering flipped), so it is off.
    change_threshold: float | None = None
    # "windows": the steps above; "local_speakers": pyannote 3.1's way, from the segmentation's
    # local speakers (local_speakers.py), with `local`'s settings; "hybrid": see below. Only
    # `activity_model`'s "segmentation" has local speakers; "silero" always takes "windows".
    pipeline: str = "windows"
    local: LocalSpeakerOptions = LocalSpeakerOptions()
    # "hybrid": the windows' turns, the second voices from the local speakers
    # (`with_local_overlaps`), reconstructed with a second voice where the windows' mean count
    # of local speakers reaches 1.15 (the local pipeline's own: 1.25). Chosen on the tuning part
    # (docs/benchmarks.md): 0.25 / 0.35 / 0.45 scored 35.5 / 35.3 / 35.7 % with the second voices.
    hybrid_count_offset: float = 0.35
    # With a count given and the segmentation's speech activity: the re-segmentation is run
    # once more with the votes of the segmentation's local speakers added to its scores
    # (local_votes.py), this much for a frame all the named local speakers agree on (the
    # scores are cosines over `resegment.temperature`: 12 is about 0.6 of cosine, against a
    # switch penalty of 8), so turns change where the model hears the voice change. 0: off
    # (the default: better on the tuning part and the corpus, worse held out; LOCAL_VOTE_WEIGHT).
    local_vote_weight: float = 0.0
    local_vote_reach: float | None = 1.0  # seconds from a change of speaker (local_votes.py)
    # "auto" with the segmentation's speech activity: a second opinion on the count from the
    # segmentation's local speakers (short_speakers.py), which adds the short speakers the
    # clustering folded into a bigger voice (None: off, the default; SHORT_SPEAKERS).
    short_speakers: ShortSpeakerOptions | None = None


# The "auto" count's settings for CAM++ (campplus.py), whose cosine similarities run lower than
# Resemblyzer's: two windows of one voice 0.4-0.7 apart rather than 0.7-0.85. Chosen on the
# tuning part of the evaluation and the shared corpus (docs/benchmarks.md): every single-voice
# corpus file stays at one speaker, sample.wav and falcon_3spk keep their 2 and 3.
CAMPLUSPLUS_COUNTING = {
    "threshold": 0.6,
    "merge_ratio": 0.7,
    "same_voice_bounds": (0.4, 0.7),
    "prune_given_count": True,
}
# The second voices with CAM++: marked where the segmentation gives two voices at once a
# probability over 0.4 rather than 0.5. Chosen on the tuning part (docs/benchmarks.md, ninth
# pass): mean DER with the marks 34.6 -> 34.2 % (0.3: 34.0 %, but sample.wav 11.9 -> 12.5 %;
# 0.4: 11.6 %); held out 36.6 -> 36.4 %. Not measured with Resemblyzer, so not its setting.
CAMPLUSPLUS_MARKS = {"mark_threshold": 0.4}
# Quiet speech under another voice labelled with CAM++: where the segmentation's speech
# probability is only 0.1-0.5 but two voices at once hold 15 % of it or more. Chosen on the
# tuning part (docs/benchmarks.md, session 29): mean DER with the marks 34.2 -> 33.5 % (0.12:
# 33.3 %, but sample.wav 11.6 -> 11.8 %; 0.2: 34.1 %), no tuning or corpus file worse; held out
# 36.4 -> 36.3 %, no file worse. Not measured with Resemblyzer, so not its setting.
CAMPLUSPLUS_ACTIVITY = {"two_voice_share": 0.15}
# The turns with CAM++ and a count given, re-segmented with the local speakers' votes: opt-in
# (`options_for(..., local_vote_weight=LOCAL_VOTE_WEIGHT)`, `bench_analysis.py --local-votes`).
# Chosen on the tuning part (docs/benchmarks.md, tenth pass): mean DER with the marks 34.2 ->
# 32.8 % (weights 11-14 alike; 8: 33.3 %; 16 moved a short turn of ami_trn04 to the wrong
# voice), the corpus's five 18.0 -> 16.0 % (sample.wav 11.6 -> 8.5 %); but held out 36.4 ->
# 38.4 % (dev01 30.9 -> 44.6 %: on meetings segmentation-3.0 never saw, its local speakers
# often hold two people), so not the default.
LOCAL_VOTE_WEIGHT = 12.0
# The local speakers' second opinion on the "auto" count with CAM++: opt-in
# (`options_for(..., short_speakers=SHORT_SPEAKERS)`, `bench_analysis.py --short-speakers`).
# Chosen on the tuning part (docs/benchmarks.md, sessions 29 and 30): count right 0 -> 3 of 7
# (6 of 7 against the speakers with 2 s or more, from 5), auto DER with the marks 31.2 -> 30.0
# %, the corpus's counts kept and ami_trn04 found with all three. Held out, with session 30's
# guards (a short speaker is heard at most 3 s in its window; the bar rises with how far the
# long local speakers stand from the voices found, and by 0.1 a voice beyond two): right 4 ->
# 3 of 8 (6 -> 4 with 2 s or more; without the guards 2 of 8: a four-person meeting counted
# as six), auto DER 35.4 -> 35.3 %: a two-person meeting counted as three, so not the default.
SHORT_SPEAKERS = ShortSpeakerOptions(max_heard=3.0, spread_margin=0.4, per_speaker=0.1)
# The local-speaker pipeline's clustering cut for Resemblyzer: pyannote 3.1's own (for its
# WeSpeaker encoder), not tuned; LocalSpeakerOptions' default is CAM++'s, chosen on the tuning
# part (docs/benchmarks.md).
RESEMBLYZER_LOCAL_THRESHOLD = 0.7045654963945799


def options_for(encoder: str, **changes) -> DiarizationOptions:
    """DiarizationOptions calibrated for the speaker encoder ("campplus" or "resemblyzer")."""
    if encoder == "campplus":
        calibrated = {**CAMPLUSPLUS_COUNTING, **CAMPLUSPLUS_MARKS, **CAMPLUSPLUS_ACTIVITY}
    else:
        calibrated = {"local": LocalSpeakerOptions(threshold=RESEMBLYZER_LOCAL_THRESHOLD)}
    return DiarizationOptions(**{**calibrated, **changes})


@dataclass(frozen=True)
class SpeakerTimeline:
    turns: tuple[SpeakerTurn, ...]
    # label -> L2-normalised mean embedding of its windows
    centroids: dict[str, np.ndarray]
    # Where a second voice is likely at the same time: that voice's stretches (resegment.py).
    overlaps: tuple[SpeakerTurn, ...] = ()


def diarize_audio(
    audio: np.ndarray,
    *,
    embedder: Embedder,
    num_speakers: int | None = None,
    max_speakers: int = 8,
    options: DiarizationOptions = DiarizationOptions(),
    profile_embedder: Embedder | None = None,
) -> SpeakerTimeline:
    """Speaker turns and voice centroids of 16 kHz mono float32 `audio`. With
    `profile_embedder`, the centroids are that encoder's (`_profile_spans`), not `embedder`'s."""
    if _by_local_speakers(options):
        found, _ = local_speakers_of([audio], embedder, options.local)
        timeline = local_timeline(
            found, num_speakers=num_speakers, max_speakers=max_speakers, options=options.local
        )
        chosen, owners = _profile_spans(timeline.turns, _turn_windows(timeline.turns))
        if profile_embedder is None or not chosen:
            return timeline
        audio = normalize_volume(audio)
        clips = (audio[int(s * SAMPLE_RATE) : int(e * SAMPLE_RATE)] for s, e in chosen)
        return _with_profile_centroids(timeline, _embed(profile_embedder, clips), owners)
    if options.activity_model == "segmentation":
        from .segmentation import speech_activity

        heard = _heard(speech_activity(audio, step=options.segmentation_step), options)
    else:
        heard = _Heard(speech_regions(audio, options), speech_regions(audio, _activity(options)))
    heard, spans = _embedded_heard(heard, options)
    if not spans:
        return SpeakerTimeline((), {})
    local = None
    if _hybrid(options) or _checks_short_speakers(options, num_speakers):
        local, _ = local_speakers_of([audio], embedder, options.local)
    audio = normalize_volume(audio)
    clips = (audio[int(s * SAMPLE_RATE) : int(e * SAMPLE_RATE)] for s, e in spans)
    embeddings = _embed(embedder, clips)
    timeline = _speaker_turns(heard, spans, embeddings, local, num_speakers, max_speakers, options)
    if profile_embedder is None:
        return timeline
    chosen, owners = _profile_spans(timeline.turns, spans)
    if not chosen:
        return timeline
    clips = (audio[int(s * SAMPLE_RATE) : int(e * SAMPLE_RATE)] for s, e in chosen)
    return _with_profile_centroids(timeline, _embed(profile_embedder, clips), owners)


def diarize_file(
    path: Path,
    *,
    embedder: Embedder,
    num_speakers: int | None = None,
    max_speakers: int = 8,
    options: DiarizationOptions = DiarizationOptions(),
    block_seconds: float = 30.0,
    profile_embedder: Embedder | None = None,
) -> SpeakerTimeline:
    """`diarize_audio` of a whole file, decoded block by block (apps.core.media.iter_pcm).

    First pass: Silero VAD, chunk by chunk with its state carried across blocks, and the sum of
    squares for the volume normalisation. Second pass: each window's audio is cut as its block
    goes by. Memory holds a block, the VAD's speech probabilities (one per 32 ms) and the
    embeddings. Raises apps.core.media.InvalidMedia for an undecodable file."""
    from apps.core.media import iter_pcm

    def blocks() -> Iterator[np.ndarray]:
        return iter_pcm(Path(path), block_seconds=block_seconds)

    if _by_local_speakers(options):
        found, squares = local_speakers_of(blocks(), embedder, options.local)
        timeline = local_timeline(
            found, num_speakers=num_speakers, max_speakers=max_speakers, options=options.local
        )
        chosen, owners = _profile_spans(timeline.turns, _turn_windows(timeline.turns))
        if profile_embedder is None or not chosen:
            return timeline
        gain = _volume_gain(squares, round(found.seconds * SAMPLE_RATE))
        clips = (gain(clip) for clip in _cut(blocks(), chosen))
        return _with_profile_centroids(timeline, _embed(profile_embedder, clips), owners)

    segmenting = options.activity_model == "segmentation"
    if segmenting:
        from .segmentation import Segmenter

        vad = Segmenter(options.segmentation_step)
    else:
        vad = _StreamingVad()
    # The hybrid's local speakers come from the same first pass (their own 1 s windows).
    local = None
    if _hybrid(options) or _checks_short_speakers(options, num_speakers):
        local = LocalSpeakerSegmenter(embedder, options.local)
    squares, samples = 0.0, 0
    for block in blocks():
        vad.feed(block)
        if local is not None:
            local.feed(block)
        squares += float(np.sum((block.astype(np.float64) * 32767) ** 2))
        samples += len(block)
    if segmenting:
        heard = _heard(vad.finish(), options)
    else:
        heard = _Heard(vad.regions(samples, options), vad.regions(samples, _activity(options)))
    heard, spans = _embedded_heard(heard, options)
    if not spans:
        return SpeakerTimeline((), {})
    gain = _volume_gain(squares, samples)
    clips = (gain(clip) for clip in _cut(blocks(), spans))
    embeddings = _embed(embedder, clips)
    heard_alone = local.finish_local() if local is not None else None
    timeline = _speaker_turns(
        heard, spans, embeddings, heard_alone, num_speakers, max_speakers, options
    )
    if profile_embedder is None:
        return timeline
    chosen, owners = _profile_spans(timeline.turns, spans)
    if not chosen:
        return timeline
    # A third pass, over the few windows chosen for each speaker's profile centroid.
    clips = (gain(clip) for clip in _cut(blocks(), chosen))
    return _with_profile_centroids(timeline, _embed(profile_embedder, clips), owners)


def _by_local_speakers(options: DiarizationOptions) -> bool:
    return options.pipeline == "local_speakers" and options.activity_model == "segmentation"


def _hybrid(options: DiarizationOptions) -> bool:
    return options.pipeline == "hybrid" and options.activity_model == "segmentation"


def _checks_short_speakers(options: DiarizationOptions, num_speakers: int | None) -> bool:
    return (
        num_speakers is None
        and options.short_speakers is not None
        and options.activity_model == "segmentation"
    )


def _with_local(timeline, found: LocalSpeakers, num_speakers, max_speakers, options):
    """The windows pipeline's `timeline` with what the local speakers add: the short speakers
    on "auto" (short_speakers.py), then the hybrid's second voices."""
    if _checks_short_speakers(options, num_speakers):
        timeline = with_short_speakers(
            timeline, found, max_speakers=max_speakers, options=options.short_speakers
        )
    if _hybrid(options):
        timeline = with_local_overlaps(timeline, found, _hybrid_local(options))
    return timeline


def _hybrid_local(options: DiarizationOptions) -> LocalSpeakerOptions:
    return replace(options.local, count_offset=options.hybrid_count_offset)


def _turn_windows(turns) -> list[tuple[float, float]]:
    """1.5 s windows over the turns, for the profile encoder (`_profile_spans`)."""
    regions = sorted((t.start, t.end) for t in turns)
    return windows(regions, DiarizationOptions())


def local_timeline(
    found, *, num_speakers: int | None, max_speakers: int, options: LocalSpeakerOptions
) -> SpeakerTimeline:
    """SpeakerTimeline from the local speakers (local_speakers.py): the first speaker of each
    frame makes the turns, the second (where two speak) the overlaps."""
    first, second, centroids = speaker_frames(
        found, num_speakers=num_speakers, max_speakers=max_speakers, options=options
    )
    turns, overlaps = _frame_runs(first), _frame_runs(second)
    names: dict[int, str] = {}
    for label, _, _ in sorted(turns + overlaps, key=lambda t: (t[1], t[0])):
        names.setdefault(label, f"SPEAKER_{len(names):02d}")
    return SpeakerTimeline(
        turns=tuple(SpeakerTurn(names[label], start, end) for label, start, end in turns),
        centroids={names[i]: centroids[i] for i in sorted(names)},
        overlaps=tuple(SpeakerTurn(names[label], start, end) for label, start, end in overlaps),
    )


def with_local_overlaps(
    timeline: SpeakerTimeline, found: LocalSpeakers, options: LocalSpeakerOptions
) -> SpeakerTimeline:
    """`timeline` (the windows pipeline's turns) with its second voices taken from the local
    speakers (local_speakers.py, clustered with the count the windows found): where the local
    speakers have two people at once, the one of them who is not the turn's speaker, each
    local cluster standing for the windows speaker it shares the most single-voice frames with
    (Hungarian method, so two clusters never stand for one speaker). The turns stay as they are,
    so the local speakers' impurity on unseen meetings (docs/benchmarks.md) touches only the
    second voices."""
    names = sorted(timeline.centroids)
    if len(names) < 2:
        return timeline
    first, second, _ = speaker_frames(
        found, num_speakers=len(names), max_speakers=len(names), options=options
    )
    own = _label_frames(timeline.turns, names, len(first))
    mapped = _map_clusters(first, second, own, len(names))
    two = (second >= 0) & (own >= 0)
    a = np.where(two, mapped[np.maximum(first, 0)], -1)
    b = np.where(two, mapped[np.maximum(second, 0)], -1)
    voice = np.where(two, np.where(b != own, b, np.where(a != own, a, -1)), -1)
    return replace(
        timeline,
        overlaps=tuple(SpeakerTurn(names[k], start, end) for k, start, end in _frame_runs(voice)),
    )


def _label_frames(turns, names: list[str], frames: int) -> np.ndarray:
    """The speaker index of each 10 ms frame in `turns` (-1: nobody)."""
    labels = np.full(frames, -1, dtype=int)
    for turn in turns:
        labels[round(turn.start / _FRAME) : round(turn.end / _FRAME)] = names.index(turn.speaker)
    return labels


def _map_clusters(first, second, own, speakers: int) -> np.ndarray:
    """For each local cluster, the windows speaker it shares the most frames with where the
    local speakers hear one voice (one-to-one as far as the counts allow; an unmatched
    cluster takes its best)."""
    from scipy.optimize import linear_sum_assignment

    alone = (first >= 0) & (second < 0) & (own >= 0)
    shared = np.zeros((max(first.max(initial=0), second.max(initial=0)) + 1, speakers))
    np.add.at(shared, (first[alone], own[alone]), 1)
    mapped = np.argmax(shared, axis=1)
    rows, cols = linear_sum_assignment(shared, maximize=True)
    mapped[rows] = cols
    return mapped


def _frame_runs(frames: np.ndarray) -> list[tuple[int, float, float]]:
    """(label, start, end) of each run of one label in 10 ms frames (-1: nobody)."""
    edges = np.flatnonzero(np.diff(np.r_[-2, frames, -2]))
    return [
        (int(frames[a]), round(a * _FRAME, 3), round(b * _FRAME, 3))
        for a, b in zip(edges[:-1], edges[1:], strict=True)
        if frames[a] >= 0
    ]


# Windows per speaker embedded with the profile encoder: about a minute of their speech, which
# pins a voice down (a saved profile is one clip's embedding) and bounds the extra cost.
_PROFILE_WINDOWS = 40


def _profile_spans(turns, spans) -> tuple[list[tuple[float, float]], list[str]]:
    """For each speaker, up to _PROFILE_WINDOWS of the embedded windows that lie mostly (over
    80 %) inside that speaker's turns, spread evenly over them; sorted by start, as `_cut`
    wants, with each one's speaker. A speaker with no such window gets its longest window-sized
    stretch of turn, so every speaker has a profile centroid."""
    by_speaker: dict[str, list[tuple[float, float]]] = {}
    for start, end in spans:
        speaker, held = _main_speaker(turns, start, end)
        if speaker is not None and held >= 0.8 * (end - start):
            by_speaker.setdefault(speaker, []).append((start, end))
    for turn in sorted(turns, key=lambda t: t.start - t.end):  # longest turn first
        if turn.speaker not in by_speaker:
            by_speaker[turn.speaker] = [(turn.start, min(turn.end, turn.start + 1.5))]
    chosen = []
    for speaker, own in by_speaker.items():
        keep = np.linspace(0, len(own) - 1, min(len(own), _PROFILE_WINDOWS)).round().astype(int)
        chosen += [(own[i], speaker) for i in np.unique(keep)]
    chosen.sort()
    return [span for span, _ in chosen], [speaker for _, speaker in chosen]


def _main_speaker(turns, start: float, end: float) -> tuple[str | None, float]:
    """The speaker whose turns cover most of [start, end), and for how many seconds."""
    held: dict[str, float] = {}
    for turn in turns:
        shared = min(end, turn.end) - max(start, turn.start)
        if shared > 0:
            held[turn.speaker] = held.get(turn.speaker, 0.0) + shared
    if not held:
        return None, 0.0
    speaker = max(held, key=held.__getitem__)
    return speaker, held[speaker]


def _with_profile_centroids(timeline, embeddings: np.ndarray, owners: list[str]):
    names = list(timeline.centroids)
    centroids = centroids_of(embeddings, np.array(owners), names)
    return replace(timeline, centroids=dict(zip(names, centroids, strict=True)))


class _Heard(NamedTuple):
    """What the first pass heard: the clear speech to embed (`regions`), all the speech to label
    (`activity`), with the segmentation model the overlapped speech, the least count of speakers
    and its output (for the local speakers' votes)."""

    regions: list
    activity: list
    overlapped: list | None = None
    floor: int = 1
    found: object = None


def _heard(found, options: DiarizationOptions) -> _Heard:
    """What segmentation-3.0's output `found` says was heard (_from_segmentation)."""
    return _Heard(*_from_segmentation(found, options), found=found)


def _embedded_heard(heard: _Heard, options: DiarizationOptions) -> tuple[_Heard, list]:
    """`heard` with its clear speech as embedded, and the windows (_embedded)."""
    regions, spans = _embedded(heard.regions, heard.activity, options)
    return heard._replace(regions=regions), spans


def _speaker_turns(
    heard: _Heard, spans, embeddings, local, num_speakers, max_speakers, options
) -> SpeakerTimeline:
    """The turns of the windows' embeddings (_timeline), with what the segmentation's local
    speakers add where they were found (`local`; _with_local)."""
    timeline = _timeline(
        heard.regions,
        heard.activity,
        spans,
        embeddings,
        num_speakers,
        max_speakers,
        options,
        heard.overlapped,
        heard.floor,
        heard.found,
    )
    if local is not None:
        timeline = _with_local(timeline, local, num_speakers, max_speakers, options)
    return timeline


def _from_segmentation(found, options: DiarizationOptions):
    """From the segmentation model's speech activity: the speech to embed (one voice at a time:
    overlapped frames left out, split at every pause), the speech to label, and per labelled
    region the frames where a second voice is marked (`mark_threshold`); and the fewest
    speakers there can be (the most that one 10 s window heard talk for
    `local_speaker_seconds` or more)."""
    from .segmentation import _runs

    overlap = found.overlap > options.overlap_threshold
    marked = found.overlap > _mark_threshold(options)
    speech = found.speech > options.speech_threshold
    labelled = speech
    if options.two_voice_share is not None:
        labelled = speech | _quiet_two_voices(found, options.two_voice_share)
    activity = _runs(labelled, options.speech_min_off, 0.1)
    clear = _runs(speech & ~overlap, options.clear_min_off, 0.0)
    if options.change_threshold is not None:
        clear = _split(clear, _change_points(found.change, options.change_threshold))
    clear = [(s, e) for s, e in clear if e - s >= options.min_window]
    if _seconds(clear) < options.min_clear_share * _seconds(activity):
        # Mostly two at once (stereo_diarization.wav): the little speech left is one voice,
        # which the clustering would split in two; embed all the speech instead.
        clear = _runs(speech, options.clear_min_off, options.min_window)
    overlapped = []
    for start, end in activity:
        first, count = round(start / _FRAME), len(np.arange(start, end, _FRAME))
        mask = marked[first : first + count]
        overlapped.append(np.pad(mask, (0, count - len(mask))))
    return clear, activity, overlapped, max(1, found.local_speakers(options.local_speaker_seconds))


def _quiet_two_voices(found, share: float) -> np.ndarray:
    """Frames where the model is unsure anyone speaks (speech probability over _UNSURE) but
    gives two voices at once `share` or more of the speech it hears: quiet speech under
    another voice. Pauses and noise seldom draw two-voice mass (none of the tuning part's
    non-speech frames at 0.15; docs/benchmarks.md)."""
    return (found.speech > _UNSURE) & (found.overlap >= share * found.speech)


def _mark_threshold(options: DiarizationOptions) -> float:
    if options.mark_threshold is None:
        return options.overlap_threshold
    return options.mark_threshold


def _embedded(regions, activity, options):
    """The speech to embed and its windows: the clear speech, or where the recording has none
    (a far-field excerpt of murmurs and short replies), all the speech that is labelled, so
    the speech found is still given a speaker rather than dropped."""
    spans = windows(regions, options)
    if not spans:
        regions = activity
        spans = windows(regions, options)
    return regions, spans


def _embed(embedder: Embedder, clips: Iterable[np.ndarray]) -> np.ndarray:
    """Embeddings of `clips`, _BATCH at a time (the grouping fixes the result to the last bit)."""
    parts, batch = [], []
    for clip in clips:
        batch.append(clip)
        if len(batch) == _BATCH:
            parts.append(embed_many(embedder, batch))
            batch = []
    if batch:
        parts.append(embed_many(embedder, batch))
    return np.concatenate(parts)


def _seconds(regions) -> float:
    return sum(end - start for start, end in regions)


def _change_points(change: np.ndarray, threshold: float) -> np.ndarray:
    """Times (s) where most windows heard a change of voice: the votes summed over 0.2 s (the
    windows place one change a frame or two apart), then the peaks over `threshold`."""
    votes = np.convolve(change, np.ones(21), mode="same")
    peaks = (votes >= threshold) & (votes >= np.r_[votes[1:], 0]) & (votes > np.r_[0, votes[:-1]])
    return (np.flatnonzero(peaks) + 0.5) * _FRAME


def _split(regions, cuts: np.ndarray) -> list[tuple[float, float]]:
    out = []
    for start, end in regions:
        inner = [float(c) for c in cuts if start < c < end]
        bounds = [start, *inner, end]
        out.extend((round(a, 3), round(b, 3)) for a, b in zip(bounds, bounds[1:], strict=False))
    return out


def _timeline(
    regions,
    activity,
    spans,
    embeddings,
    num_speakers,
    max_speakers,
    options,
    overlapped=None,
    floor=1,
    found=None,
) -> SpeakerTimeline:
    """`regions`: the clear speech the `spans` (windows) were cut from; `activity`: all the
    speech to label; `found`: the segmentation's output, for the local speakers' votes."""
    floor = min(floor, max_speakers, len(embeddings))
    if (
        num_speakers is not None
        and options.count_as_limit
        and options.auto_count == "cluster"
        and floor < num_speakers
    ):
        found = _timeline(
            regions, activity, spans, embeddings, None, num_speakers, options, overlapped, floor
        )
        if len(found.centroids) < num_speakers:
            return found
    counted = num_speakers
    if counted is None and options.auto_count == "floor":
        counted = floor
    seconds = _talk_per_window(regions, spans)
    same_voice = same_voice_similarity(embeddings, spans, options.same_voice_bounds)
    labels = cluster(
        embeddings,
        num_speakers=counted,
        max_speakers=max_speakers,
        threshold=options.threshold,
        seconds=seconds,
        window=options.window,
        same_voice=same_voice,
        merge_ratio=options.merge_ratio,
    )
    pruned = num_speakers is not None and options.prune_given_count
    if pruned:
        labels = merge_same_voice(
            embeddings,
            labels,
            seconds,
            window=options.window,
            same_voice=same_voice,
            # Only the folding: clusters the count asked for that have a second of speech each
            # are not merged again (merging them too lost a second of six voices, held out).
            merge_ratio=math.inf,
            min_clusters=floor,
        )
    if counted is None and len(np.unique(labels)) < floor:
        # The segmentation heard more voices within one window than the clustering found.
        labels = cluster(embeddings, num_speakers=floor)
    centroids = centroids_of(embeddings, labels, np.unique(labels))
    frames = resegment(activity, spans, embeddings, centroids, options.resegment, overlapped)
    if num_speakers is None or pruned:
        frames = _without_fleeting(activity, spans, embeddings, frames, options, overlapped, floor)
    if num_speakers is not None and options.local_vote_weight > 0 and found is not None:
        frames = revoted(
            activity,
            spans,
            embeddings,
            frames,
            found,
            weight=options.local_vote_weight,
            reach=options.local_vote_reach,
            options=options.resegment,
            overlapped=overlapped,
        )
    turns = _turns(activity, frames.labels)
    names = _names_by_first_turn(turns)
    overlaps = _turns(activity, frames.runner_up)
    return SpeakerTimeline(
        turns=tuple(SpeakerTurn(names[label], start, end) for label, start, end in turns),
        centroids={names[i]: frames.centroids[i] for i in sorted(names)},
        overlaps=tuple(
            SpeakerTurn(names[label], start, end)
            for label, start, end in overlaps
            if label >= 0 and label in names
        ),
    )


def _without_fleeting(regions, spans, embeddings, frames, options, overlapped=None, floor=1):
    """On "auto", drop the speaker with the least talk time while it has under
    `min_speaker_seconds` after re-segmentation, and re-segment without it. One voice split in two
    by the clustering scores alike on both halves, so the Viterbi pass, which pays for every
    change, keeps to one of them and leaves the other a few scattered frames."""
    while len(frames.centroids) > max(1, floor):
        talk = np.bincount(np.concatenate(frames.labels), minlength=len(frames.centroids))
        weakest = int(np.argmin(talk))
        if talk[weakest] * _FRAME >= options.min_speaker_seconds:
            break
        kept = np.delete(frames.centroids, weakest, axis=0)
        frames = resegment(regions, spans, embeddings, kept, options.resegment, overlapped)
    return frames


def _talk_per_window(regions, spans) -> np.ndarray:
    """The speech each window stands for: every 10 ms of speech counts for the window centred
    nearest to it (overlapping windows repeat audio, so their count overstates the evidence)."""
    seconds = np.zeros(len(spans))
    for start, end in regions:
        frames = np.arange(start, end, _FRAME) + _FRAME / 2
        if len(frames):
            np.add.at(seconds, nearest_centre(frames, spans), _FRAME)
    return seconds


def speech_regions(
    audio: np.ndarray, options: DiarizationOptions, *, threshold: float | None = None
) -> list[tuple[float, float]]:
    """Silero's speech regions, at `threshold` (by default `options.vad_threshold`)."""
    from faster_whisper.vad import get_speech_timestamps

    return [
        (c["start"] / SAMPLE_RATE, c["end"] / SAMPLE_RATE)
        for c in get_speech_timestamps(audio, _vad_options(options, threshold))
    ]


def _activity(options: DiarizationOptions) -> DiarizationOptions:
    """The VAD settings for the speech that is labelled."""
    return replace(
        options,
        vad_threshold=options.activity_threshold,
        min_silence_ms=options.activity_min_silence_ms,
    )


def _vad_options(options: DiarizationOptions, threshold: float | None = None):
    from faster_whisper.vad import VadOptions

    return VadOptions(
        threshold=options.vad_threshold if threshold is None else threshold,
        min_silence_duration_ms=options.min_silence_ms,
        speech_pad_ms=options.speech_pad_ms,
        min_speech_duration_ms=100,
    )


class _StreamingVad:
    """faster-whisper's Silero VAD (`get_speech_timestamps`, faster-whisper 1.2) fed block by
    block. The model reads 512-sample chunks, each with the 64 samples before it as context,
    and carries its LSTM state from one call to the next, so running it on the chunks of each
    block in turn gives the same speech probabilities as one call on the whole file; the
    decisions on those probabilities are faster-whisper's (`stt.silero.speech_chunks`).
    tests/engines/test_analysis_diarization.py checks both against the library on the corpus."""

    CHUNK = 512
    CONTEXT = 64
    CALL = 10_000  # chunks per model call, as faster-whisper

    def __init__(self) -> None:
        from faster_whisper.vad import get_vad_model

        self._session = get_vad_model().session
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(self.CONTEXT, dtype=np.float32)
        self._pending = np.zeros(0, dtype=np.float32)
        self._probs: list[np.ndarray] = []
        self._final: np.ndarray | None = None

    def feed(self, block: np.ndarray) -> None:
        audio = np.concatenate([self._pending, np.asarray(block, dtype=np.float32)])
        whole = len(audio) - len(audio) % self.CHUNK
        self._run(audio[:whole])
        self._pending = audio[whole:]

    def regions(
        self, samples: int, options: DiarizationOptions, *, threshold: float | None = None
    ) -> list[tuple[float, float]]:
        """The speech regions of the `samples` fed, in seconds, as `speech_regions` gives them.
        Call after the last block; calls after the first reuse the speech probabilities."""
        if self._final is None:
            # faster-whisper pads the audio with zeros to the next multiple of 512 samples (a
            # whole chunk of them when the length is one already), and its context step zeroes
            # the last 64 samples of the last chunk.
            last = np.pad(self._pending, (0, self.CHUNK - len(self._pending)))
            last[-self.CONTEXT :] = 0
            self._run(last)
            self._final = (
                np.concatenate(self._probs) if self._probs else np.zeros((0, 1), np.float32)
            )
        return [
            (c["start"] / SAMPLE_RATE, c["end"] / SAMPLE_RATE)
            for c in speech_chunks(self._final, samples, _vad_options(options, threshold))
        ]

    def _run(self, audio: np.ndarray) -> None:
        if not len(audio):
            return
        chunks = audio.reshape(-1, self.CHUNK)
        context = np.concatenate([self._context[None, :], chunks[:-1, -self.CONTEXT :]])
        batched = np.concatenate([context, chunks], axis=1)
        for i in range(0, len(batched), self.CALL):
            out, self._h, self._c = self._session.run(
                None, {"input": batched[i : i + self.CALL], "h": self._h, "c": self._c}
            )
            self._probs.append(out)
        self._context = chunks[-1, -self.CONTEXT :].copy()


def _volume_gain(squares: float, samples: int) -> Callable[[np.ndarray], np.ndarray]:
    """embedding.normalize_volume as a function of a clip, from the whole file's sum of
    squares: the same decision and factor, applied to each window's samples."""
    from apps.engines.voice.embed import TARGET_DBFS

    rms = math.sqrt(squares / samples) if samples else 0.0
    change = TARGET_DBFS - 20 * np.log10(rms / 32767) if rms else -1.0
    if change < 0:
        return lambda clip: clip
    factor = 10 ** (change / 20)
    return lambda clip: (clip * factor).astype(np.float32)


def _cut(blocks: Iterable[np.ndarray], spans: list[tuple[float, float]]) -> Iterator[np.ndarray]:
    """The audio of each span (sorted by start), as `audio[int(s * 16k) : int(e * 16k)]` would
    be, from consecutive blocks of the audio; only the stretch still needed is kept."""
    bounds = [(int(s * SAMPLE_RATE), int(e * SAMPLE_RATE)) for s, e in spans]
    buffer, offset, i = np.zeros(0, dtype=np.float32), 0, 0  # offset: sample of buffer[0]
    for block in blocks:
        buffer = np.concatenate([buffer, block])
        while i < len(bounds) and bounds[i][1] <= offset + len(buffer):
            start, end = bounds[i]
            yield buffer[start - offset : end - offset]
            i += 1
        keep = min(bounds[i][0] - offset, len(buffer)) if i < len(bounds) else len(buffer)
        buffer, offset = buffer[keep:], offset + keep
    for start, end in bounds[i:]:  # past the end of the audio: cut short, as a slice is
        yield buffer[max(0, start - offset) : max(0, end - offset)]


def windows(
    regions: list[tuple[float, float]], options: DiarizationOptions
) -> list[tuple[float, float]]:
    spans = []
    for start, end in regions:
        if end - start < options.min_window:
            continue
        if end - start <= options.window:
            spans.append((start, end))
            continue
        count = int(np.ceil((end - start - options.window) / options.hop)) + 1
        for i in range(count):
            # The last window is pulled back to end with the region, so none runs past it.
            s = min(start + i * options.hop, end - options.window)
            spans.append((s, s + options.window))
    if not spans and regions:  # only short bursts: embed the longest
        spans.append(max(regions, key=lambda r: r[1] - r[0]))
    return spans


def _turns(regions, frame_labels) -> list[tuple[int, float, float]]:
    """(label, start, end) runs of each region's 10 ms frame labels."""
    turns: list[tuple[int, float, float]] = []
    for (start, end), labels in zip(regions, frame_labels, strict=True):
        change = np.flatnonzero(np.diff(labels)) + 1
        bounds = [0, *change.tolist(), len(labels)]
        for a, b in zip(bounds, bounds[1:], strict=False):
            turn_start = start if a == 0 else start + a * _FRAME
            turn_end = end if b == len(labels) else start + b * _FRAME
            turns.append((int(labels[a]), round(turn_start, 3), round(turn_end, 3)))
    return turns


def _names_by_first_turn(turns) -> dict[int, str]:
    names: dict[int, str] = {}
    for label, _, _ in turns:
        if label not in names:
            names[label] = f"SPEAKER_{len(names):02d}"
    return names
