"""Time to the first audio of the local engines, warm, on a text whose first sentence is long,
with and without a short first chunk (the first few words spoken alone). Both settings run
alternately in one process, so machine load hits them alike; prints medians.

    python bench/bench_first_audio.py [--repeat 5]
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
    args = parser.parse_args()
    setup_django()
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


if __name__ == "__main__":
    main()
