"""Benchmark: the local text-to-speech engines and voice matching, at the engine layer.

Prints figures; asserts nothing (it is a benchmark, not a test).

Per engine (each in a fresh process, so its peak memory is its own):
    load time; for a three-sentence text, time to the first PCM chunk and to the first mp3 bytes
    (warm: one untimed synthesis first), total time, audio seconds, real-time factor
    (RTF = processing seconds / audio seconds), and peak RSS (getrusage ru_maxrss).
Voice matching (one process): for speakers of the shared corpus, the similarity to the samples
    of the nearest stock voice, of that voice only passed through the vocoder, and of the matched
    voice, all on a text the search never saw; where the corpus holds another recording of the
    speaker, the same against that held-out recording; and the time the match took.

    .venv/bin/python bench/bench_tts.py
    .venv/bin/python bench/bench_tts.py --engines piper,espeak --skip-match --repeat 5
    .venv/bin/python bench/bench_tts.py --threads 2 --json /tmp/tts.json
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("VOICEPORTAL_BENCH_CORPUS", ROOT.parent / "shared" / "corpus"))
TEXT = (
    "Welcome to the portal. This short passage has three sentences of ordinary length. "
    "It measures how soon the first audio arrives and how fast the rest follows."
)
ENGINES = {
    "piper": ("apps.engines.tts.piper.PiperBackend", "joe"),
    "kokoro": ("apps.engines.tts.kokoro.KokoroBackend", "jf_alpha"),
    "espeak": ("apps.engines.tts.espeak.EspeakBackend", "en-us"),
}
# (label, samples to match, held-out recording of the same speaker or None)
SPEAKERS = [
    (
        "eagle speaker 1 (wav)",
        ["eagle_spk1_utt1.wav", "eagle_spk1_utt2.wav"],
        "eagle_spk1_test.wav",
    ),
    ("LibriSpeech 2412 (flac)", ["libri_2412-153948-0000.flac"], "libri_2412-153948-0001.flac"),
    ("LibriSpeech 1320 (mp3)", ["rtvc_1320.mp3"], None),
    ("VCTK p240 (mp3)", ["rtvc_p240.mp3"], None),
    ("VCTK p260 (mp3)", ["rtvc_p260.mp3"], None),
]


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voiceportal.settings")
    import django

    django.setup()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def others_cores() -> float:
    """Load average over the last minute: how busy the machine was (2 cores here)."""
    return float(Path("/proc/loadavg").read_text().split()[0])


# --- one engine, in its own process -------------------------------------------------------------


def run_engine(name: str, threads: int, repeat: int) -> dict:
    setup_django()
    from django.utils.module_loading import import_string

    from apps.engines.tts.base import SpeechRequest
    from apps.engines.tts.encode import encode_stream

    dotted, voice = ENGINES[name]
    from django.conf import settings

    options = {} if name == "espeak" else {"cpu_threads": threads}
    if name == "kokoro":
        options["model_cache"] = settings.VOICEPORTAL_MODEL_CACHE
    backend = import_string(dotted)(alias=name, **options)
    request = SpeechRequest(TEXT, voice=voice, format="mp3")
    started = time.perf_counter()
    list(backend.synthesize_pcm(SpeechRequest("Warm up.", voice=voice)))
    load = time.perf_counter() - started
    list(backend.synthesize_pcm(request))  # warm: caches, lazy allocations
    runs = []
    for _ in range(repeat):
        runs.append(time_one(backend, request, encode_stream))
    return {
        "engine": name,
        "voice": voice,
        "load_s": round(load, 3),
        "runs": runs,
        "first_chunk_s": statistics.median(r["first_chunk_s"] for r in runs),
        "first_mp3_byte_s": statistics.median(r["first_mp3_byte_s"] for r in runs),
        "rtf": statistics.median(r["rtf"] for r in runs),
        "audio_s": runs[0]["audio_s"],
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def time_one(backend, request, encode_stream) -> dict:
    load_before = others_cores()
    started = time.perf_counter()
    first_chunk = None
    audio = 0.0
    chunks = 0

    def timed_chunks():
        nonlocal first_chunk, audio, chunks
        for chunk in backend.synthesize_pcm(request):
            if first_chunk is None:
                first_chunk = time.perf_counter() - started
            audio += chunk.duration
            chunks += 1
            yield chunk

    first_byte = None
    for data in encode_stream(timed_chunks(), "mp3"):
        if first_byte is None and data:
            first_byte = time.perf_counter() - started
    total = time.perf_counter() - started
    return {
        "first_chunk_s": round(first_chunk, 3),
        "first_mp3_byte_s": round(first_byte, 3),
        "total_s": round(total, 3),
        "audio_s": round(audio, 2),
        "chunks": chunks,
        "rtf": round(total / audio, 3),
        "load_avg": load_before,
    }


# --- voice matching -----------------------------------------------------------------------------


def run_matching(threads: int) -> dict:
    setup_django()
    from django.conf import settings

    from apps.engines.tts.kokoro import KokoroBackend
    from apps.engines.tts.piper import PiperBackend
    from apps.engines.voice.embed import embed_utterance, load_audio, resample, similarity
    from apps.engines.voice.match import EVAL_TEXT, speak, transform, voice_match

    backends = [
        PiperBackend(alias="piper", cpu_threads=threads),
        KokoroBackend(
            alias="kokoro", cpu_threads=threads, model_cache=settings.VOICEPORTAL_MODEL_CACHE
        ),
    ]
    candidates = [(b, v) for b in backends for v in b.voices()]
    by_alias = {b.alias: b for b in backends}
    rows = []
    for label, files, held_out in SPEAKERS:
        started = time.perf_counter()
        match = voice_match([load_audio(CORPUS / f) for f in files], candidates)
        row = {
            "speaker": label,
            "voice": f"{match.engine}/{match.voice}",
            "seconds": round(time.perf_counter() - started, 1),
            "stock": match.similarity_stock,
            "vocoded": match.similarity_vocoded,
            "matched": match.similarity_matched,
            "f0": f"{match.source_f0:.0f}->{match.target_f0:.0f} Hz x{match.f0_range:.2f}",
            "formant": match.formant_ratio,
            "eq": bool(match.eq_db),
            "frames": match.frame_strength,
        }
        if held_out:
            held = embed_utterance(load_audio(CORPUS / held_out))
            stock = max(
                similarity(held, embed_utterance(resample(*speak(b, v.id, EVAL_TEXT))))
                for b, v in candidates
            )
            audio, rate = speak(by_alias[match.engine], match.voice, EVAL_TEXT)
            matched = similarity(
                held, embed_utterance(resample(transform(audio, rate, match), rate))
            )
            row["held_out"] = {"best_stock": round(stock, 4), "matched": round(matched, 4)}
        rows.append(row)
        print_match(row)
    return {"matches": rows, "peak_rss_mb": round(peak_rss_mb(), 1)}


def print_match(row: dict) -> None:
    line = (
        f"  {row['speaker']:<26} {row['voice']:<18} stock {row['stock']:.3f}  vocoded "
        f"{row['vocoded']:.3f}  matched {row['matched']:.3f} ({row['matched'] - row['stock']:+.3f})"
        f"  [{row['f0']}, formant {row['formant']}, eq {row['eq']}] {row['seconds']}s"
    )
    if "held_out" in row:
        h = row["held_out"]
        line += (
            f"\n  {'':<26} held-out recording: best stock voice {h['best_stock']:.3f} -> "
            f"matched {h['matched']:.3f} ({h['matched'] - h['best_stock']:+.3f})"
        )
    print(line, flush=True)


# --- driver -------------------------------------------------------------------------------------


def child(args: list[str]) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False
    )
    if out.returncode:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"{args} failed")
    *progress, last = out.stdout.rstrip().splitlines()
    for line in progress:
        print(line)
    return json.loads(last)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--threads", type=int, default=1, help="ONNX threads per engine")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-match", action="store_true")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child == "match":
        print(json.dumps(run_matching(args.threads)))
        return
    if args.child:
        print(json.dumps(run_engine(args.child, args.threads, args.repeat)))
        return

    print(
        f"Text: {len(TEXT)} characters, 3 sentences; {args.threads} ONNX thread(s); "
        f"load average at start {others_cores():.2f} on {os.cpu_count()} cores"
    )
    print(
        f"  {'engine':<8} {'load':>6} {'1st chunk':>10} {'1st mp3':>8} {'RTF':>6} "
        f"{'audio':>6} {'peak RSS':>9}"
    )
    results = {"engines": []}
    for name in args.engines.split(","):
        r = child(["--child", name, "--threads", str(args.threads), "--repeat", str(args.repeat)])
        results["engines"].append(r)
        print(
            f"  {name:<8} {r['load_s']:>5.2f}s {r['first_chunk_s']:>9.3f}s "
            f"{r['first_mp3_byte_s']:>7.3f}s {r['rtf']:>6.3f} {r['audio_s']:>5.1f}s "
            f"{r['peak_rss_mb']:>7.0f}MB",
            flush=True,
        )
    if not args.skip_match:
        print(
            "Voice matching (similarity to the samples on a text the search never saw):", flush=True
        )
        results["matching"] = child(["--child", "match", "--threads", str(args.threads)])
        print(f"  peak RSS {results['matching']['peak_rss_mb']:.0f} MB")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
