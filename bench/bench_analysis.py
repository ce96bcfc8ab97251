"""Benchmark: transcript analyses (speakers, chapters, entities, sentiment, keywords, summary).

Prints figures; asserts nothing (it is a benchmark, not a test).

Part 1, cost per minute of audio: about --minutes of real English speech from the corpus (the
RTTM files and other English clips, repeated, with short gaps) is written to a WAV and
transcribed once with tiny.en. Each analysis then runs in a fresh process: once cold (imports
and model load included) and once warm. Printed per analysis: cold and warm seconds, warm
seconds per minute of audio, and the process's peak RSS (which includes the interpreter,
imports and models, as a worker would hold them).

Part 2, speaker counting and diarization error rate on every corpus file whose speaker count
MANIFEST.tsv knows: the count "auto" finds, and the DER with the count given and with "auto",
strict (no collar) and with a 0.25 s collar (apps/engines/analysis/der.py documents the scoring).
Files with an RTTM reference are scored against it. A single-speaker file has none: it is scored
against its own speech (as the count-given run finds it) under one label, so its DER is 0 with
the count given and, with "auto", the share of its speech handed to a bogus second speaker.

Part 4 (--eval DIR), the evaluation set: every audio file in DIR with an RTTM of the same stem
(bench/prepare_ami_excerpts.py and bench/prepare_paa_examples.py build one from public AMI
excerpts and pyAudioAnalysis's examples, bench/prepare_long_meetings.py one of conversations of
3 to 10 minutes; docs/benchmarks.md lists the sources and licences). `--part` scores one part.
`--encoder` picks the clustered embeddings (CAM++ by default, as the backend), with that
encoder's count calibration (`diarization.options_for`). `DER` scores the turns alone, `+ovl`
the turns with the second voices marked in overlapped speech (`overlaps`), and the collar, miss,
FA and confusion columns are of the latter (the means: per file, and pooled over the part's
reference speech as md-eval totals a set); files marked * are meetings segmentation-3.0 was
trained on. Files named in TUNING were used to choose the settings, files in HELD_OUT never
were; other files are reported as "other". Per file and as means per part: DER with the count
given, without a collar and with 0.25 s, its missed speech, false alarm and confusion, the DER
outside overlapped reference speech, the count "auto" finds and its DER, and the diarization's
real-time factor. Two yardsticks beside it: `plain`, the plain pipeline (Silero VAD at 0.5 with
200 ms minimum silence and 50 ms padding, 1.5 s windows every 0.75 s, spectral clustering with
the count, each 10 ms of speech to the nearest window's speaker), and `bound`, the DER of the
pipeline's own speech activity with every frame given a reference speaker who is talking there:
the least any labelling of that speech can score, one speaker at a time. `aud` is the number of
reference speakers with at least 2 s of speech, which the count is also checked against (most
excerpts have a participant who says only "mm-hmm"). With --segments each file is also
transcribed (the settings' default engine, as `manage.py transcribe --format diarized_json`
does) and the labelled segments, which is what diarized_json and the exports show, are scored
too (the engine's "no text" and "faint" marks left out of the transcript, as the command line
and the jobs leave them out; bench_segments.py scores the labelling alone, from a cache).
Under each part's means, the automatic count's confusion (true count -> count found, with
how many files) and where the missed speech is (bench/missed_speech.py: second voices by the
segmentation's two-voice probability, one voice unlabelled by its speech probability, stretch
length, loudness and Silero); with --words WORDS_DIR (bench/prepare_ami_words.py), per file the
DER with the marks against the words-only reference (`words`) and, under the means, the missed
speaker-time split into words, vocal sounds and the scored turns' wider edges
(bench/words_reference.py); with --count-stats, per file the statistics a count could be read from
(bench/count_stats.py: the segmentation's floors, the eigengap, the silhouette's best k, the
widest linkage merges, the found speakers' shares of the speech) against the true count.

Part 3, memory of diarization on a long recording (--memory-minutes of the same corpus speech,
or --memory-file, a real conversation such as bench/prepare_long_meetings.py's):
the wall and CPU seconds and peak RSS of a fresh process that decodes the whole file and runs
`diarize_audio`, and of one that runs `diarize_file` (the file read as a stream, what
LocalAnalysisBackend.diarize does), both with the backend's encoders (CAM++ clustered,
Resemblyzer centroids), and whether their results are identical.

    .venv/bin/python bench/bench_analysis.py [--minutes 3] [--skip-timing] [--memory-minutes 10]
        [--memory-file FILE] [--eval DIR [--segments] [--count-stats] [--skip-corpus]
        [--part tune|held|other] [--words WORDS_DIR]]
        [--pipeline windows|local_speakers|hybrid] [--local-votes] [--short-speakers]

`--local-votes` re-segments the turns with the segmentation's local speakers' votes (opt-in,
apps/engines/analysis/local_votes.py; count given only). `--short-speakers` gives the
automatic count a second opinion from the local speakers (opt-in,
apps/engines/analysis/short_speakers.py).
"""

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np
from prepare_long_meetings import HELD_OUT as LONG_HELD_OUT
from prepare_long_meetings import TUNING as LONG_TUNING

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("VOICEPORTAL_BENCH_CORPUS", ROOT.parent / "shared" / "corpus"))
SR = 16_000
CLIPS = [
    "sample.wav",
    "ami_trn04.wav",
    "falcon_3spk.wav",
    "eagle_spk1_utt1.wav",
    "eagle_spk2_test.wav",
    "jfk.flac",
    "libri_2412-153948-0000.flac",
]
ANALYSES = ["speakers", "chapters", "entities", "sentiment", "keywords", "summary"]


def setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voiceportal.settings")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import django

    django.setup()


def build_audio(minutes: float, path: Path) -> float:
    from apps.core.media import decode_all

    clips = [decode_all(CORPUS / name) for name in CLIPS]
    gap = np.zeros(int(0.7 * SR), dtype=np.float32)
    parts, total, i = [], 0, 0
    while total < minutes * 60 * SR:
        parts += [clips[i % len(clips)], gap]
        total += len(clips[i % len(clips)]) + len(gap)
        i += 1
    audio = np.concatenate(parts)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SR)
        out.writeframes((np.clip(audio, -1, 1) * 32767).astype(np.int16).tobytes())
    return len(audio) / SR


def transcribe(path: Path):
    from apps.engines.analysis.base import Transcript
    from apps.engines.stt.base import Segment, TranscriptionRequest
    from apps.engines.stt.local import LocalWhisperBackend

    stt = LocalWhisperBackend(alias="bench", default_model="tiny.en", beam_size=1, cpu_threads=1)
    events = stt.transcribe(TranscriptionRequest(audio_path=path))
    return Transcript(tuple(e for e in events if isinstance(e, Segment)), language="en")


def run_one(analysis: str, path: Path, transcript, queue) -> None:
    """In a fresh process: the analysis cold, then warm, then this process's peak RSS."""
    setup()
    from apps.engines.analysis.base import DiarizationRequest
    from apps.engines.analysis.local import LocalAnalysisBackend

    backend = LocalAnalysisBackend(alias="bench")
    calls = {
        "speakers": lambda: backend.diarize(
            DiarizationRequest(audio_path=path, transcript=transcript, num_speakers=3)
        ),
        "chapters": lambda: backend.chapters(transcript),
        "entities": lambda: backend.entities(transcript),
        "sentiment": lambda: backend.sentiment(transcript),
        "keywords": lambda: backend.keywords(transcript),
        "summary": lambda: backend.summarize(transcript, method="extractive"),
    }
    times = []
    for _ in range(2):
        started = time.perf_counter()
        result = calls[analysis]()
        times.append(time.perf_counter() - started)
    size = len(result.speakers) if analysis == "speakers" else _size(result)
    queue.put((times[0], times[1], peak_rss_mb(), size))


def peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM). Not ru_maxrss: Linux carries that across exec, so a
    spawned child would report its parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _size(result) -> int:
    if hasattr(result, "keywords"):
        return len(result.keywords)
    if hasattr(result, "sentences"):
        return len(result.sentences)
    return len(result)


def part1(minutes: float) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "speech.wav"
        seconds = build_audio(minutes, path)
        started = time.perf_counter()
        transcript = transcribe(path)
        stt_seconds = time.perf_counter() - started
        words = sum(len(s.words) for s in transcript.segments)
        print(
            f"Audio: {seconds / 60:.2f} min, {len(transcript.segments)} segments, {words} "
            f"words (tiny.en transcription {stt_seconds:.1f} s, not counted below)"
        )
        print(
            f"{'analysis':10s} {'cold s':>8s} {'warm s':>8s} {'s/min':>7s} {'peak RSS':>9s}  items"
        )
        context = multiprocessing.get_context("spawn")
        for analysis in ANALYSES:
            queue = context.Queue()
            child = context.Process(target=run_one, args=(analysis, path, transcript, queue))
            child.start()
            cold, warm, peak, size = queue.get()
            child.join()
            print(
                f"{analysis:10s} {cold:8.2f} {warm:8.2f} {warm / (seconds / 60):7.3f} "
                f"{peak:7.0f} MB  {size}"
            )


def known_counts() -> list[tuple[str, int]]:
    """(file, speakers) for each corpus file whose speaker count MANIFEST.tsv states: a number,
    or one named speaker ("eagle:speaker_1", "librispeech:2412")."""
    counts: dict[str, int] = {}
    lines = (CORPUS / "MANIFEST.tsv").read_text().splitlines()[1:]
    for fields in (line.split("\t") for line in lines if line.strip()):
        name, speakers = fields[0], fields[4]
        if speakers[:1].isdigit():
            counts.setdefault(name, int(speakers.split()[0]))
        elif ":" in speakers:
            counts.setdefault(name, 1)
    return sorted(counts.items(), key=lambda item: (item[1], item[0]))


def part2(
    encoder: str = "campplus", pipeline: str = "windows", votes: bool = False, short: bool = False
) -> None:
    from apps.core.media import decode_all
    from apps.engines.analysis.der import diarization_error_rate, load_rttm
    from apps.engines.analysis.diarization import diarize_audio

    embedder, options = _embedder(encoder), _options(encoder, votes, short, pipeline=pipeline)
    print(
        f"\n{'file':28s} {'true':>4s} {'auto':>4s} {'DER given':>9s} {'DER auto':>9s} "
        f"{'collar given':>12s} {'collar auto':>11s}"
    )
    right = 0
    files = known_counts()
    for name, count in files:
        audio = decode_all(CORPUS / name)
        given = diarize_audio(audio, embedder=embedder, num_speakers=count, options=options)
        auto = diarize_audio(audio, embedder=embedder, options=options)
        rttm = CORPUS / f"{Path(name).stem}.rttm"
        if rttm.exists():
            reference = load_rttm(rttm)
        else:  # one speaker: its own speech, one label (see the module's docstring)
            reference = [("voice", t.start, t.end) for t in given.turns]
        scores = [
            diarization_error_rate(reference, [(t.speaker, t.start, t.end) for t in run.turns], **c)
            for c in ({}, {"collar": 0.25})
            for run in (given, auto)
        ]
        found = len(auto.centroids)
        right += found == count
        mark = "" if rttm.exists() else "*"
        print(
            f"{name + mark:28s} {count:4d} {found:4d} {scores[0].der:9.1%} {scores[1].der:9.1%} "
            f"{scores[2].der:12.1%} {scores[3].der:11.1%}"
        )
    print(f"auto count right on {right} of {len(files)} files  (* no RTTM: scored on own speech)")


# The split of the AMI excerpts (bench/prepare_ami_excerpts.py) by meeting, so that no meeting
# is on both sides: the tuning part also holds the corpus's diarization files.
TUNING = {"ami_trn00", "ami_trn01", "ami_trn03", "ami_trn04", "ami_trn05", "ami_trn06", "ami_trn09"}
HELD_OUT = {"ami_trn07", "ami_trn08", "ami_tst00", "ami_tst01", "ami_dev00", "ami_dev01"}
# pyAudioAnalysis's diarization examples (bench/prepare_paa_examples.py): not AMI, never tuned on.
HELD_OUT |= {"paa_diarizationExample", "paa_diarizationExample2"}
# The long recordings (bench/prepare_long_meetings.py), split by voice and by meeting there.
TUNING |= LONG_TUNING
HELD_OUT |= LONG_HELD_OUT
# Meetings in AMI's training set, on which pyannote's segmentation-3.0 (the speech activity) was
# trained: its figures there flatter it. ami_dev* and ami_tst* (AMI's dev and test meetings) and
# the paa_* files judge it fairly.
SEEN_BY_SEGMENTATION = TUNING | {"ami_trn02", "ami_trn07", "ami_trn08", "amicat_trn07"}
SEEN_BY_SEGMENTATION -= {name for name in LONG_TUNING if name.startswith("conv_")}
AUDIO = {".wav", ".flac", ".mp3"}


def part4(
    folder: Path,
    with_segments: bool,
    encoder: str = "campplus",
    activity: str = "segmentation",
    pipeline: str = "windows",
    with_count_stats: bool = False,
    votes: bool = False,
    short: bool = False,
    only: str | None = None,
    words: Path | None = None,
) -> None:
    from count_stats import count_statistics, reference_talk, talk_shares
    from words_reference import words_scores

    from apps.core.media import decode_all
    from apps.engines.analysis.der import load_rttm
    from apps.engines.analysis.diarization import diarize_audio

    embedder = _embedder(encoder)
    # As LocalAnalysisBackend(speaker_encoder=encoder): the count calibrated for the encoder.
    options = _options(encoder, votes, short, activity_model=activity, pipeline=pipeline)
    files = sorted(
        p
        for p in folder.iterdir()
        if p.suffix in AUDIO and p.with_suffix(".rttm").exists() and only in (None, _part(p.stem))
    )
    header = (
        f"{'file':14s} {'part':5s} {'spk':>3s} {'auto':>4s} {'DER':>6s} {'+ovl':>6s} "
        f"{'collar':>6s} {'miss':>5s} {'FA':>5s} {'conf':>5s} {'no-ovl':>6s} {'auto DER':>8s} "
        f"{'ovl':>4s} {'RTF':>6s} {'plain':>6s} {'bound':>6s} {'aud':>3s}"
        + (f" {'seg DER':>7s} {'seg col':>7s}" if with_segments else "")
    )
    print(f"\nEvaluation set {folder.name}: {len(files)} files\n{header}")
    rows = []
    for path in files:
        reference = load_rttm(path.with_suffix(".rttm"))
        count = len({r[0] for r in reference})
        audio = decode_all(path)
        started = time.perf_counter()
        given = diarize_audio(audio, embedder=embedder, num_speakers=count, options=options)
        rtf = (time.perf_counter() - started) / (len(audio) / SR)
        auto = diarize_audio(audio, embedder=embedder, options=options)
        row = _scores(reference, given, auto)
        row["seconds"] = len(audio) / SR
        name = path.stem + ("*" if path.stem in SEEN_BY_SEGMENTATION else "")
        row.update(name=name, part=_part(path.stem), count=count, rtf=rtf)
        row.update(_yardsticks(audio, embedder, reference, count, options, given))
        if with_segments:
            row.update(_segment_scores(path, reference, count))
        if words:
            row.update(words_scores(path.stem, words, reference, _marked(given)))
        if with_count_stats:
            row.update(count_statistics(audio, embedder, options))
            row.update(reference_talk=reference_talk(reference), shares=talk_shares(auto))
        rows.append(row)
        _print_row(row, with_segments)
    for part in ("tune", "held", "other"):
        chosen = [r for r in rows if r["part"] == part]
        if chosen:
            _print_mean(part, chosen, with_segments)
    unseen = [r for r in rows if r["part"] == "held" and not r["name"].endswith("*")]
    if unseen:
        _print_mean("held unseen", unseen, with_segments)
    if with_count_stats:
        _print_count_statistics(rows)
    print("* a meeting of AMI's training set, which segmentation-3.0 was trained on")
    print(f"peak RSS of this process so far: {peak_rss_mb():.0f} MB")


def _print_count_statistics(rows: list[dict]) -> None:
    from count_stats import print_statistics

    print("\nThe automatic count: each statistic against the true count (count_stats.py)")
    for part in ("tune", "held", "other"):
        for row in (r for r in rows if r["part"] == part):
            print_statistics(f"{row['name']} {part}", row)


def _embedder(encoder: str):
    from apps.engines.analysis.campplus import CamPlusPlusEncoder
    from apps.engines.analysis.embedding import default_embedder

    return CamPlusPlusEncoder() if encoder == "campplus" else default_embedder()


def _options(encoder: str, votes: bool, short: bool = False, **changes):
    """The encoder's calibrated options, with the local speakers' votes and the automatic
    count's second opinion (short_speakers.py) when asked for."""
    from apps.engines.analysis.diarization import LOCAL_VOTE_WEIGHT, SHORT_SPEAKERS, options_for

    if votes:
        changes["local_vote_weight"] = LOCAL_VOTE_WEIGHT
    if short:
        changes["short_speakers"] = SHORT_SPEAKERS
    return options_for(encoder, **changes)


def _part(stem: str) -> str:
    return "tune" if stem in TUNING else "held" if stem in HELD_OUT else "other"


def _scores(reference, given, auto) -> dict:
    from apps.engines.analysis.der import diarization_error_rate

    def turns(timeline):
        return [(t.speaker, t.start, t.end) for t in timeline.turns]

    strict = diarization_error_rate(reference, turns(given))
    marked = diarization_error_rate(reference, _marked(given))
    total = strict.total or 1.0
    return {
        "total": strict.total,
        "der": strict.der,
        "der_ovl": marked.der,
        "collar": diarization_error_rate(reference, _marked(given), collar=0.25).der,
        "miss_ovl": marked.missed / total,
        "fa_ovl": marked.false_alarm / total,
        "conf_ovl": marked.confusion / total,
        "miss": strict.missed / total,
        "fa": strict.false_alarm / total,
        "conf": strict.confusion / total,
        "no_overlap": diarization_error_rate(reference, turns(given), skip_overlap=True).der,
        "overlap": 1.0 - _union_seconds(reference) / total,
        "auto_der": diarization_error_rate(reference, _marked(auto)).der,
        "found": len(auto.centroids),
    }


def _marked(timeline) -> list[tuple[str, float, float]]:
    """The turns and the second voices marked in overlapped speech."""
    return [(t.speaker, t.start, t.end) for t in (*timeline.turns, *timeline.overlaps)]


def _yardsticks(audio, embedder, reference, count: int, options, given) -> dict:
    """The plain pipeline's DER, the speech activity's bound, the audible speaker count and
    where `given`'s missed speech is (missed_speech.py)."""
    from missed_speech import missed_speech

    from apps.engines.analysis.der import diarization_error_rate
    from apps.engines.analysis.diarization import _activity, _from_segmentation, speech_regions
    from apps.engines.analysis.segmentation import speech_activity

    missed = {}
    if options.activity_model == "segmentation":
        found = speech_activity(audio, step=options.segmentation_step)
        activity = _from_segmentation(found, options)[1]
        silero = speech_regions(audio, options, threshold=0.5)
        missed = missed_speech(reference, given, found, audio, silero)
    else:
        activity = speech_regions(audio, _activity(options))
    bound = [(_speaker_at(reference, t), t, t + 0.01) for t in _frames(activity)]
    talk: dict[str, float] = {}
    for speaker, start, end in reference:
        talk[speaker] = talk.get(speaker, 0.0) + end - start
    return {
        "plain": diarization_error_rate(reference, _plain_turns(audio, embedder, count)).der,
        "bound": diarization_error_rate(reference, bound).der,
        "audible": sum(seconds >= 2.0 for seconds in talk.values()),
        **missed,
    }


def _plain_turns(audio, embedder, count: int) -> list[tuple[str, float, float]]:
    """The plain pipeline of issue 10, as a yardstick (see the module's docstring)."""
    from apps.engines.analysis.clustering import spectral
    from apps.engines.analysis.diarization import DiarizationOptions, speech_regions, windows
    from apps.engines.analysis.embedding import embed_many, normalize_volume

    options = DiarizationOptions(vad_threshold=0.5, min_silence_ms=200, speech_pad_ms=50)
    regions = speech_regions(audio, options)
    spans = windows(regions, options)
    if len(spans) < 3:
        return [("0", start, end) for start, end in regions]
    audio = normalize_volume(audio)
    clips = [audio[int(s * SR) : int(e * SR)] for s, e in spans]
    labels = spectral(embed_many(embedder, clips), min(count, len(spans) - 1))
    centres = np.array([(s + e) / 2 for s, e in spans])
    frames = np.array(_frames(regions))
    nearest = np.argmin(np.abs(frames[:, None] + 0.005 - centres[None, :]), axis=1)
    return [(str(labels[i]), t, t + 0.01) for t, i in zip(frames, nearest, strict=True)]


def _frames(regions) -> list[float]:
    return [t / 100 for start, end in regions for t in range(round(start * 100), round(end * 100))]


def _speaker_at(reference, t: float) -> str:
    return next((s for s, start, end in reference if start <= t + 0.005 < end), "nobody")


def _union_seconds(turns) -> float:
    frames = set()
    for _, start, end in turns:
        frames.update(range(int(round(start * 100)), int(round(end * 100))))
    return len(frames) / 100


def _segment_scores(path: Path, reference, count: int) -> dict:
    """DER of the labelled segments, as diarized_json shows them: the default speech-to-text
    engine, then the speakers analysis with the count given."""
    from apps.engines.analysis import analysis_backends
    from apps.engines.analysis.base import DiarizationRequest, Transcript
    from apps.engines.analysis.der import diarization_error_rate
    from apps.engines.stt import stt_backends
    from apps.engines.stt.base import Segment, TranscriptionRequest

    stt = stt_backends.default()
    events = stt.transcribe(TranscriptionRequest(audio_path=path))
    # The "no text" and "faint" marks are stored apart from the segments (transcripts.services),
    # so the labelling never sees them: neither does it here.
    segments = tuple(e for e in events if isinstance(e, Segment) and not e.gap)
    transcript = Transcript(segments, language="en")
    result = analysis_backends.default().diarize(
        DiarizationRequest(audio_path=path, transcript=transcript, num_speakers=count)
    )
    pieces = [
        (p.speaker, p.segment.start, p.segment.end)
        for p in result.segments
        if p.segment.text.strip()
    ]
    return {
        "seg_der": diarization_error_rate(reference, pieces).der,
        "seg_collar": diarization_error_rate(reference, pieces, collar=0.25).der,
    }


def _print_row(row: dict, with_segments: bool) -> None:
    line = (
        f"{row['name']:14s} {row['part']:5s} {row['count']:3d} {row['found']:4d} "
        f"{row['der']:6.1%} {row['der_ovl']:6.1%} {row['collar']:6.1%} {row['miss_ovl']:5.1%} "
        f"{row['fa_ovl']:5.1%} {row['conf_ovl']:5.1%} {row['no_overlap']:6.1%} "
        f"{row['auto_der']:8.1%} {row['overlap']:4.0%} {row['rtf']:6.3f} {row['plain']:6.1%} "
        f"{row['bound']:6.1%} {row['audible']:3d}"
    )
    if with_segments:
        line += f" {row['seg_der']:7.1%} {row['seg_collar']:7.1%}"
    if "words_der" in row:
        line += f"  words {row['words_der']:6.1%}"
    print(line)


def _print_mean(part: str, rows: list[dict], with_segments: bool) -> None:
    from count_stats import confusion
    from missed_speech import print_missed
    from words_reference import print_words

    def mean(key):
        return sum(r[key] for r in rows) / len(rows)

    right = sum(r["found"] == r["count"] for r in rows)
    audible = sum(r["found"] == r["audible"] for r in rows)
    # Pooled, as pyannote.metrics and md-eval total a set: all errors over all reference speech,
    # so a file with 3 s of speech weighs 3 s, not as much as a whole conversation.
    speech = sum(r["total"] for r in rows) or 1.0
    pooled = {k: sum(r[k] * r["total"] for r in rows) / speech for k in ("der", "der_ovl")}
    line = (
        f"{'mean ' + part:14s} {len(rows):5d} {'':3s} {right:4d} {mean('der'):6.1%} "
        f"{mean('der_ovl'):6.1%} {mean('collar'):6.1%} {mean('miss_ovl'):5.1%} "
        f"{mean('fa_ovl'):5.1%} {mean('conf_ovl'):5.1%} "
        f"{mean('no_overlap'):6.1%} {mean('auto_der'):8.1%} {mean('overlap'):4.0%} "
        f"{mean('rtf'):6.3f} {mean('plain'):6.1%} {mean('bound'):6.1%}"
    )
    if with_segments:
        line += f" {mean('seg_der'):7.1%} {mean('seg_collar'):7.1%}"
    print(
        line + f"   (auto count right on {right} of {len(rows)}; "
        f"{audible} against the speakers with 2 s or more; pooled DER {pooled['der']:.1%}, "
        f"+ovl {pooled['der_ovl']:.1%}, over {speech:.0f} s of reference speech)"
    )
    print(f"{'':14s} auto count, true -> found: {confusion(rows)}")
    print_missed(rows, f"{'':14s}")
    print_words(rows, f"{'':14s}")


def diarize_one(mode: str, path: Path, queue, pipeline: str = "windows") -> None:
    """In a fresh process: diarize `path` on "auto", from the decoded array or streamed."""
    setup()
    from apps.core.media import decode_all
    from apps.engines.analysis.diarization import diarize_audio, diarize_file
    from apps.engines.analysis.local import LocalAnalysisBackend

    # As the worker runs it: the default encoder, and Resemblyzer centroids for the profiles.
    backend = LocalAnalysisBackend(alias="bench", speaker_pipeline=pipeline)
    kwargs = {
        "embedder": backend.embedder,
        "options": backend.diarization_options,
        "profile_embedder": backend._profile_embedder(),
    }
    started, cpu = time.perf_counter(), time.process_time()
    if mode == "decoded":
        timeline = diarize_audio(decode_all(path), **kwargs)
    else:
        timeline = diarize_file(path, **kwargs)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    centroids = {k: v.tolist() for k, v in timeline.centroids.items()}
    queue.put((seconds, cpu, peak_rss_mb(), timeline.turns, centroids))


def part3(minutes: float, pipeline: str = "windows", recording: Path | None = None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "long.wav"
        if recording is None:
            seconds = build_audio(minutes, path)
        else:  # a real conversation: long turns make long speech regions
            path, seconds = recording, _seconds_of(recording)
        print(f"\nDiarization of {seconds / 60:.1f} min on auto, each in a fresh process")
        context = multiprocessing.get_context("spawn")
        results = {}
        for mode in ("decoded", "streamed"):
            queue = context.Queue()
            child = context.Process(target=diarize_one, args=(mode, path, queue, pipeline))
            child.start()
            results[mode] = queue.get()
            child.join()
            took, cpu, peak, turns, centroids = results[mode]
            print(
                f"{mode:9s} {took:6.1f} s wall, {cpu:6.1f} s CPU (CPU RTF {cpu / seconds:.3f})  "
                f"peak RSS {peak:5.0f} MB  {len(centroids)} speakers"
            )
        print("identical turns and centroids:", results["decoded"][3:] == results["streamed"][3:])


def _seconds_of(path: Path) -> float:
    from apps.core.media import decode_all

    return len(decode_all(path)) / SR


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--skip-timing", action="store_true")
    parser.add_argument("--memory-minutes", type=float, default=10.0, help="0 skips part 3")
    parser.add_argument(
        "--memory-file", type=Path, help="part 3 on this recording instead of corpus speech"
    )
    parser.add_argument("--eval", type=Path, help="a folder of recordings with RTTM references")
    parser.add_argument("--segments", action="store_true", help="--eval: score segments too")
    parser.add_argument("--skip-corpus", action="store_true", help="skip part 2")
    parser.add_argument(
        "--part", choices=["tune", "held", "other"], help="--eval: score only that part"
    )
    parser.add_argument(
        "--words",
        type=Path,
        help="--eval: words-only references (prepare_ami_words.py): DER and missed speech by kind",
    )
    parser.add_argument(
        "--count-stats", action="store_true", help="--eval: the count's statistics per file"
    )
    parser.add_argument(
        "--encoder", choices=["resemblyzer", "campplus"], default="campplus", help="parts 2, 4"
    )
    parser.add_argument(
        "--activity", choices=["segmentation", "silero"], default="segmentation", help="--eval"
    )
    parser.add_argument(
        "--local-votes",
        action="store_true",
        help="parts 2, 4: re-segment with the local speakers' votes (opt-in, local_votes.py)",
    )
    parser.add_argument(
        "--pipeline",
        choices=["windows", "local_speakers", "hybrid"],
        default="windows",
        help="parts 2-4: the speaker pipeline (diarization.py)",
    )
    parser.add_argument(
        "--short-speakers",
        action="store_true",
        help="parts 2, 4: the automatic count's second opinion (opt-in, short_speakers.py)",
    )
    args = parser.parse_args()
    setup()
    if not args.skip_timing:
        part1(args.minutes)
    if not args.skip_corpus:
        part2(args.encoder, args.pipeline, args.local_votes, args.short_speakers)
    if args.eval:
        part4(
            args.eval,
            args.segments,
            args.encoder,
            args.activity,
            args.pipeline,
            args.count_stats,
            args.local_votes,
            args.short_speakers,
            args.part,
            args.words,
        )
    if args.memory_minutes > 0 or args.memory_file:
        part3(args.memory_minutes, args.pipeline, args.memory_file)


if __name__ == "__main__":
    main()
