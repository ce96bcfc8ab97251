"""Time to the first audio of the local engines, warm, on a text whose first sentence is long,
with and without a short first chunk (the first few words spoken alone). Both settings run
alternately in one process, so machine load hits them alike; prints medians.

`--split` compares Kokoro's network run whole with it cut in two (istftnet.py): only the
words decoded, and the first words alone, side by side in one process, on a text with a long
first sentence and one with a short one: the first chunk's wall and CPU time, the reading's CPU,
and how long playback would wait for the rest of the first piece after its first chunk (one
request at a time), also with each chunk taken to come when its CPU time was spent (a quiet
core's timeline, for runs on a busy machine).

`--stages` instead splits Kokoro's and Piper's first piece into its stages (sentence split,
phonemes, the model call, mp3 encoding), wall and CPU seconds each, side by side, with Kokoro's
ratio to Piper, for each ONNX thread count in `--threads`.

    python bench/bench_first_audio.py [--repeat 5]
    python bench/bench_first_audio.py --stages [--threads 1,2]
    python bench/bench_first_audio.py --split [--repeat 5]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEXT = (
    "When the storm finally passed over the valley late in the afternoon, the whole village "
    "came out to look at the damage. Nobody had been hurt."
)


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voiceportal.settings")
    import django

    django.setup()


def first_audio(backend, voice: str) -> float:
    from apps.engines.tts.base import SpeechRequest

    started = time.perf_counter()
    for _ in backend.synthesize_pcm(SpeechRequest(TEXT, voice=voice)):
        return time.perf_counter() - started
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--kokoro-chunks", default="40,24", help="first-chunk limits to compare for Kokoro"
    )
    parser.add_argument("--stages", action="store_true", help="time each stage of the first piece")
    parser.add_argument("--threads", default="1", help="ONNX threads to compare (--stages)")
    parser.add_argument("--split", action="store_true", help="Kokoro's network whole and cut")
    args = parser.parse_args()
    args.chunks_given = "--kokoro-chunks" in " ".join(sys.argv)
    setup_django()
    if args.split:
        split_main(args.repeat)
        return
    if args.stages:
        chunks = [int(n) for n in args.kokoro_chunks.split(",")] if args.chunks_given else []
        stages_main(args.repeat, [int(n) for n in args.threads.split(",")], chunks)
        return
    from django.conf import settings

    from apps.engines.tts.flite import FliteBackend
    from apps.engines.tts.kokoro import KokoroBackend
    from apps.engines.tts.piper import PiperBackend

    # One ONNX thread per engine, as the portal runs them (VOICEPORTAL_TTS_CPU_THREADS).

    cache = settings.VOICEPORTAL_MODEL_CACHE
    engines = {
        "kokoro, whole first sentence": (
            KokoroBackend(alias="k", model_cache=cache, cpu_threads=1),
            "jf_alpha",
        ),
        **{
            f"kokoro, first chunk <= {n} chars": (
                KokoroBackend(alias="k", model_cache=cache, cpu_threads=1, first_chunk_chars=n),
                "jf_alpha",
            )
            for n in map(int, args.kokoro_chunks.split(","))
        },
        # As the portal runs Piper: its long first sentence cut at the first comma.
        "piper": (
            PiperBackend(
                alias="p", cpu_threads=1, first_chunk_chars=40, first_chunk_clause_only=True
            ),
            "joe",
        ),
        "flite": (FliteBackend(alias="f"), "slt"),
    }
    for backend, voice in engines.values():
        first_audio(backend, voice)  # warm: model loaded, caches filled
    times: dict[str, list[float]] = {name: [] for name in engines}
    for _ in range(args.repeat):
        for name, (backend, voice) in engines.items():
            times[name].append(first_audio(backend, voice))
    load = Path("/proc/loadavg").read_text().split()[0]
    print(f"load average {load} (2 cores)")
    for name, values in times.items():
        print(
            f"  {name:<34} first audio {statistics.median(values):.2f} s (median of {len(values)})"
        )


STAGES = ("split", "phonemes", "model", "mp3")


def timed(totals: dict, stage: str, work):
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    totals.setdefault(stage, []).append((time.perf_counter() - wall, time.process_time() - cpu))
    return result


def first_piece_stages(engine: str, backend, totals: dict) -> None:
    """The portal's path to the first piece's bytes, stage by stage (as `speak` does it)."""
    from apps.engines.tts.base import AudioChunk
    from apps.engines.tts.encode import StreamEncoder
    from apps.engines.tts.kokoro import load_kokoro
    from apps.engines.tts.piper import _espeak_lock, _synthesis_config, load_voice
    from apps.engines.tts.text import split_sentences

    def split():
        return backend.first_cut(split_sentences(TEXT, max_chars=4096))[0]

    piece = timed(totals, "split", split)
    if engine == "kokoro":
        # The network whole, as kokoro-onnx runs it (--split compares it with the cut one).
        kokoro = load_kokoro(
            cpu_threads=backend.cpu_threads, model_cache=backend.model_cache, split=False
        ).kokoro
        style = backend._style(kokoro, "jf_alpha")
        phonemes = timed(totals, "phonemes", lambda: kokoro.tokenizer.phonemize(piece, "en-us"))
        samples, rate = timed(
            totals,
            "model",
            lambda: kokoro.create(phonemes, voice=style, speed=1.0, is_phonemes=True),
        )
    else:
        voice = load_voice(cpu_threads=backend.cpu_threads)

        def phonemize():
            with _espeak_lock:
                return voice.phonemize(piece)[0]

        ids = voice.phonemes_to_ids(timed(totals, "phonemes", phonemize))
        config = _synthesis_config(length_scale=1.0)
        samples, rate = (
            timed(totals, "model", lambda: voice.phoneme_ids_to_audio(ids, config)),
            voice.config.sample_rate,
        )
    chunk = AudioChunk(samples.astype("float32"), rate, piece)
    timed(totals, "mp3", lambda: StreamEncoder("mp3").feed(chunk))
    totals.setdefault("piece", []).append(piece)


def stages_main(repeat: int, thread_counts: list[int], kokoro_chunks: list[int]) -> None:
    """Kokoro cut at each of `kokoro_chunks` (default: the portal's setting) and Piper as the
    portal runs it, on each thread count."""
    from django.conf import settings

    from apps.engines.tts.kokoro import KokoroBackend
    from apps.engines.tts.piper import PiperBackend

    cache = settings.VOICEPORTAL_MODEL_CACHE
    kokoro_chunks = kokoro_chunks or [
        settings.TEXT_TO_SPEECH["kokoro"]["OPTIONS"]["first_chunk_chars"]
    ]
    engines = {}
    for n in thread_counts:
        for chunk in kokoro_chunks:
            engines[f"kokoro <={chunk} t{n}"] = KokoroBackend(
                alias="k", model_cache=cache, cpu_threads=n, first_chunk_chars=chunk
            )
        engines[f"piper t{n}"] = PiperBackend(
            alias="p", cpu_threads=n, first_chunk_chars=40, first_chunk_clause_only=True
        )
    totals: dict[str, dict] = {name: {} for name in engines}
    for name, backend in engines.items():
        first_piece_stages(name.split()[0], backend, {})  # warm
    loads = []
    for _ in range(repeat):
        for name, backend in engines.items():
            first_piece_stages(name.split()[0], backend, totals[name])
        loads.append(float(Path("/proc/loadavg").read_text().split()[0]))
    print(f"load average {min(loads):.1f}-{max(loads):.1f} (2 cores); medians of {repeat}")
    for name, stages in totals.items():
        print(f"  {name}: first piece {stages['piece'][0]!r}")
        total_wall = total_cpu = 0.0
        for stage in STAGES:
            wall = statistics.median(w for w, _ in stages[stage])
            cpu = statistics.median(c for _, c in stages[stage])
            total_wall, total_cpu = total_wall + wall, total_cpu + cpu
            line = f"    {stage:<9} wall {wall * 1000:7.1f} ms  cpu {cpu * 1000:7.1f} ms"
            piper = totals.get(f"piper {name.split()[-1]}")
            if name.startswith("kokoro") and piper:
                piper_cpu = statistics.median(c for _, c in piper[stage])
                line += f"  cpu {cpu / piper_cpu:5.1f}x Piper" if piper_cpu > 1e-4 else ""
            print(line)
        print(f"    {'total':<9} wall {total_wall * 1000:7.1f} ms  cpu {total_cpu * 1000:7.1f} ms")


SHORT_FIRST = "Welcome to the portal. It reads your text aloud, sentence by sentence."


def reading(backend, voice: str, text: str) -> dict:
    """One reading, chunk by chunk: when the first came (wall, CPU), the reading's CPU, and
    the longest wait for audio once playback started with the first chunk."""
    from apps.engines.tts.base import SpeechRequest

    wall, cpu = time.perf_counter(), time.process_time()
    arrivals, cpu_arrivals, durations, texts = [], [], [], []
    for chunk in backend.synthesize_pcm(SpeechRequest(text, voice=voice)):
        arrivals.append(time.perf_counter() - wall)
        cpu_arrivals.append(time.process_time() - cpu)
        durations.append(chunk.duration)
        texts.append(chunk.text)
    return {
        "first": arrivals[0],
        "first_cpu": cpu_arrivals[0],
        "first_audio": durations[0],
        "cpu": cpu_arrivals[-1],
        "wait": longest_wait(arrivals, durations, texts),
        # As if each chunk came when its CPU time was spent: a quiet core's timeline.
        "cpu_wait": longest_wait(cpu_arrivals, durations, texts),
        "cpu_waits": longest_wait(cpu_arrivals, durations, texts, first_piece_only=False),
    }


def longest_wait(arrivals, durations, texts, first_piece_only=True) -> float:
    """The longest wait for audio once playback started with the first chunk, within the first
    piece (its chunks have its text) or the whole reading."""
    played, wait = arrivals[0], 0.0
    for arrival, duration, said in zip(arrivals, durations, texts, strict=True):
        if said == texts[0] or not first_piece_only:
            wait = max(wait, arrival - played)
        played = max(played, arrival) + duration
    return wait


def split_main(repeat: int) -> None:
    from django.conf import settings

    from apps.engines.tts.kokoro import KokoroBackend
    from apps.engines.tts.piper import PiperBackend

    cache = settings.VOICEPORTAL_MODEL_CACHE
    chars = settings.TEXT_TO_SPEECH["kokoro"]["OPTIONS"]["first_chunk_chars"]

    def kokoro(**options):
        return KokoroBackend(
            alias="k", model_cache=cache, cpu_threads=1, first_chunk_chars=chars, **options
        ), "jf_alpha"

    engines = {
        "kokoro, network whole (before)": kokoro(split_network=False),
        "kokoro, words only": kokoro(first_audio_seconds=0.0),
        "kokoro, first 0.6 s alone": kokoro(first_audio_seconds=0.6),
        "piper (as the portal runs it)": (
            PiperBackend(
                alias="p",
                cpu_threads=1,
                first_chunk_chars=40,
                first_chunk_clause_only=True,
                first_audio_seconds=0.35,
            ),
            "joe",
        ),
    }
    texts = {"long first sentence": TEXT, "short first sentence": SHORT_FIRST}
    for backend, voice in engines.values():
        reading(backend, voice, TEXT)  # warm: models loaded, cut, caches filled
    runs = {(e, t): [] for e in engines for t in texts}
    loads = []
    for _ in range(repeat):
        for text_name, text in texts.items():
            for name, (backend, voice) in engines.items():
                runs[name, text_name].append(reading(backend, voice, text))
        loads.append(float(Path("/proc/loadavg").read_text().split()[0]))
    print(f"load average {min(loads):.1f}-{max(loads):.1f} (2 cores); medians of {repeat}")
    for text_name in texts:
        print(f"  {text_name}:")
        for name in engines:
            rows = runs[name, text_name]

            def median(key, rows=rows):
                return statistics.median(r[key] for r in rows)

            print(
                f"    {name:<32} first chunk {median('first') * 1000:5.0f} ms wall, "
                f"{median('first_cpu') * 1000:5.0f} ms CPU, {median('first_audio'):.2f} s of "
                f"audio; reading {median('cpu'):.2f} s CPU; wait within the first piece "
                f"{median('wait') * 1000:.0f} ms (by CPU time {median('cpu_wait') * 1000:.0f} "
                f"ms, whole reading {median('cpu_waits') * 1000:.0f} ms)"
            )


if __name__ == "__main__":
    main()
