"""Benchmark: transcript analyses (speakers, chapters, entities, sentiment, keywords, summary).

Prints figures; asserts nothing (it is a benchmark, not a test).

Part 1, cost per minute of audio: about --minutes of real English speech from the corpus (the
RTTM files and other English clips, repeated, with short gaps) is written to a WAV and
transcribed once with tiny.en. Each analysis then runs in a fresh process: once cold (imports
and model load included) and once warm. Printed per analysis: cold and warm seconds, warm
seconds per minute of audio, and the process's peak RSS (which includes the interpreter,
imports and models, as a worker would hold them).

Part 2, diarization error rate on every corpus file with an RTTM reference, with the speaker
count given and with "auto", strict (no collar) and with a 0.25 s collar
(apps/engines/analysis/der.py documents the scoring).

    .venv/bin/python bench/bench_analysis.py [--minutes 3]
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
RTTM_FILES = [
    ("sample", 2),
    ("ami_trn04", 3),
    ("ami_trn05", 4),
    ("falcon_3spk", 3),
    ("stereo_diarization", 2),
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


def part2() -> None:
    from apps.core.media import decode_all
    from apps.engines.analysis.der import diarization_error_rate, load_rttm
    from apps.engines.analysis.diarization import diarize_audio
    from apps.engines.analysis.embedding import default_embedder

    embedder = default_embedder()
    print(
        f"\n{'file':20s} {'count':>6s} {'found':>6s} {'DER':>7s} {'collar':>7s} "
        f"{'miss':>6s} {'FA':>6s} {'conf':>6s}"
    )
    for name, count in RTTM_FILES:
        audio = decode_all(CORPUS / f"{name}.wav")
        reference = load_rttm(CORPUS / f"{name}.rttm")
        for given in (count, None):
            timeline = diarize_audio(audio, embedder=embedder, num_speakers=given)
            hypothesis = [(t.speaker, t.start, t.end) for t in timeline.turns]
            strict = diarization_error_rate(reference, hypothesis)
            forgiving = diarization_error_rate(reference, hypothesis, collar=0.25)
            print(
                f"{name:20s} {given or 'auto':>6} {len(timeline.centroids):6d} "
                f"{strict.der:7.1%} {forgiving.der:7.1%} {strict.missed / strict.total:6.1%} "
                f"{strict.false_alarm / strict.total:6.1%} "
                f"{strict.confusion / strict.total:6.1%}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--skip-timing", action="store_true")
    args = parser.parse_args()
    setup()
    if not args.skip_timing:
        part1(args.minutes)
    part2()


if __name__ == "__main__":
    main()
