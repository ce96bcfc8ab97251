"""Benchmark: hallucination and repetition flags (apps/transcripts/flags.py) on real speech and on
audio with no speech at all.

Prints figures; asserts nothing. Two kinds of audio:

- **Clean speech**: every speech recording of the corpus (../shared/corpus, MANIFEST.tsv), through
  the portal's own engine path (the `local` alias, VAD on). A flag there is a false alarm.
- **No speech**: synthetic stretches made here (room-tone silence, white noise, a synthetic
  piece of music: notes with harmonics over a drum-like pulse) and speech with a long music
  break. Decoded twice: by the portal's engine, and by faster-whisper without its VAD filter
  (as many pipelines and cloud services run it), which is where Whisper writes its stock phrases
  and loops. Every segment over no speech is made up: a flag there is a hit.

    .venv/bin/python bench/bench_flags.py [--model base] [--seconds 60]
"""

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("VOICEPORTAL_BENCH_CORPUS", ROOT.parent / "shared" / "corpus"))
SR = 16_000
sys.path.insert(0, str(ROOT))


def setup_django() -> None:
    os.environ.setdefault("VOICEPORTAL_DATA_DIR", tempfile.mkdtemp(prefix="bench-flags-"))
    os.environ.setdefault("VOICEPORTAL_MODEL_CACHE", str(ROOT / "var" / "models"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voiceportal.settings")
    import django

    django.setup()


def speech_files() -> list[tuple[str, str]]:
    rows = (CORPUS / "MANIFEST.tsv").read_text().splitlines()[1:]
    seen, files = set(), []
    for row in rows:
        name, kind, language = row.split("\t")[:3]
        if kind in {"asr", "diarize", "speaker"} and name not in seen:
            seen.add(name)
            files.append((name, language.split("+")[0]))
    return files


def synthetic(seconds: float, rng: np.random.Generator) -> dict[str, np.ndarray]:
    n = int(seconds * SR)
    t = np.arange(n) / SR
    room = rng.normal(0, 10 ** (-55 / 20), n).astype(np.float32)
    noise = rng.normal(0, 0.05, n).astype(np.float32)
    # Music: a four-note arpeggio of 0.25 s notes with three harmonics, and a pulse every 0.5 s.
    notes = np.array([261.6, 329.6, 392.0, 523.3])
    freq = notes[(t // 0.25).astype(int) % 4]
    phase = 2 * np.pi * np.cumsum(freq) / SR
    melody = sum(np.sin(k * phase) / k for k in (1, 2, 3)) * 0.12
    envelope = np.exp(-(t % 0.25) * 6)
    drum = rng.normal(0, 0.2, n) * np.exp(-(t % 0.5) * 30)
    music = (melody * envelope + drum * 0.5).astype(np.float32)
    return {"silence": room, "white noise": noise, "music": music}


def with_music_break(music: np.ndarray) -> np.ndarray:
    from apps.core.media import decode_all

    speech = decode_all(CORPUS / "jfk.flac")
    return np.concatenate([speech, music[: 30 * SR], speech]).astype(np.float32)


def flags_of(segments, regions) -> list[list[str]]:
    """Each segment's flags, as the portal computes them (text, scores, VAD)."""
    from apps.transcripts import flags

    out, previous = [], []
    for seg in segments:
        untranscribed = getattr(seg, "untranscribed", False)
        signs = flags.SegmentSigns(seg.text, seg.avg_logprob, seg.no_speech_prob, untranscribed)
        found = flags.segment_flags(signs, previous[-flags.PREVIOUS_SEGMENTS :][::-1])
        share = flags.speech_share(seg.start, seg.end, regions)
        if seg.text.strip() and share < flags.SPEECH_SHARE:
            found = flags.merged(found, ["silence"])
        out.append(found)
        previous.append(seg.text)
    return out


def engine_segments(path: Path, model: str, language: str | None):
    from apps.engines.stt import stt_backends
    from apps.engines.stt.base import Segment, TranscriptionRequest

    request = TranscriptionRequest(audio_path=path, model=model, language=language)
    return [e for e in stt_backends["local"].transcribe(request) if isinstance(e, Segment)]


def raw_segments(audio: np.ndarray, model_name: str):
    """faster-whisper without its VAD and without Whisper's silence skip (as a pipeline feeding
    it short chunks runs it): what Whisper writes where nobody speaks."""
    from apps.engines.stt import stt_backends

    model = stt_backends["local"].model(model_name)
    segments, _ = model.transcribe(
        audio, beam_size=5, vad_filter=False, language="en", no_speech_threshold=None
    )
    return list(segments)


def _overlap(seg, span: tuple[float, float]) -> float:
    return max(0.0, min(seg.end, span[1]) - max(seg.start, span[0]))


def report(label: str, segments, flagged) -> Counter:
    n, hit = len(segments), sum(1 for f in flagged if f)
    kinds = Counter(f for fs in flagged for f in fs)
    print(f"  {label:<34} {n:>4} segments, {hit:>4} flagged  {dict(kinds)}")
    for seg, f in list(zip(segments, flagged, strict=True))[:3]:
        print(f"      {seg.start:7.2f}-{seg.end:7.2f} {f!s:<28} {seg.text.strip()[:60]!r}")
    return Counter({"segments": n, "flagged": hit})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="base")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--skip-corpus", action="store_true")
    args = parser.parse_args()
    setup_django()
    from apps.core.media import decode_all
    from apps.engines.stt.vad import speech_regions

    started = time.monotonic()
    print(f"model {args.model}; corpus speech through the portal's engine (VAD on):")
    print("  (segments, flagged, flags by kind; the first three segments)")
    clean = Counter()
    for name, language in [] if args.skip_corpus else speech_files():
        path = CORPUS / name
        lang = language if args.model != "tiny.en" else "en"
        if args.model == "tiny.en" and language != "en":
            continue
        segments = engine_segments(path, args.model, lang)
        clean += report(name, segments, flags_of(segments, speech_regions(path)))
    print(f"CLEAN SPEECH: {clean['flagged']} of {clean['segments']} segments flagged")

    from tests.media_factory import write_wav

    rng = np.random.default_rng(7)
    stretches = synthetic(args.seconds, rng)
    stretches["jfk + 30 s music + jfk"] = with_music_break(stretches["music"])
    made_up = Counter()
    with tempfile.TemporaryDirectory() as tmp:
        for label, audio in stretches.items():
            path = write_wav(Path(tmp) / "x.wav", audio)
            regions = speech_regions(path)
            print(f"{label} ({len(audio) / SR:.0f} s):")
            engine = engine_segments(path, args.model, "en")
            report("portal engine (VAD on)", engine, flags_of(engine, regions))
            raw = raw_segments(decode_all(path), args.model)
            if label.startswith("jfk"):  # made up: the segments (almost) inside the music
                music = (11.0, 41.0)
                raw = [s for s in raw if _overlap(s, music) >= 0.8 * (s.end - s.start)]
            made_up += report("faster-whisper, no VAD", raw, flags_of(raw, regions))
    print(
        f"NO SPEECH (faster-whisper, no VAD): {made_up['flagged']} of {made_up['segments']} "
        f"made-up segments flagged"
    )
    print(f"took {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
