"""Benchmark: live captions with the local streaming engine.

Prints figures; asserts nothing (it is a benchmark, not a test).

Corpus recordings are streamed into `STREAMING_SPEECH_TO_TEXT["local"]` sessions in real time
(100 ms PCM16 24 kHz frames, as the live page sends them), in this process, as the web process
runs them: every session shares the one inference pool.

- Final latency: for each utterance, the wall time from the end of its speech (the engine's
  `SpeechStopped` time less the silence kept after it, on the audio clock, which runs in step
  with the wall clock because audio is sent in real time) to the `Final` event. It includes
  the silence the VAD waits for before it ends an utterance (`min_silence_ms`).
- Partial cadence: seconds between successive partials of one utterance, and from speech start
  to its first partial.
- Concurrency: N sessions at once (N = 1, 2, 3, …) each streaming the recordings; the median and
  90th percentile final latency per N, up to the first N whose median passes --limit (1.5 s).

    .venv/bin/python bench/bench_live.py [--model base] [--sessions 1,2,3,4,6] [--limit 1.5]
"""

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("VOICEPORTAL_BENCH_CORPUS", ROOT.parent / "shared" / "corpus"))
FILES = ["jfk.flac", "libri_2412-153948-0000.flac", "librivox_sns_0870.wav"]
FRAME = 2400 * 2  # 100 ms


def setup(model: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["VOICEPORTAL_LOCAL_MODEL"] = model
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()


def pcm24(path: Path) -> bytes:
    import av

    out = bytearray()
    with av.open(str(path)) as container:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=24000)
        for frame in container.decode(audio=0):
            for chunk in resampler.resample(frame):
                out += bytes(chunk.planes[0])[: chunk.samples * 2]
    return bytes(out + bytes(48000))  # a second of silence ends the last utterance


async def session(audio: bytes) -> dict:
    from apps.engines.stt.streaming import streaming_backends
    from apps.engines.stt.streaming.base import (
        Final,
        Partial,
        SpeechStarted,
        SpeechStopped,
        StreamConfig,
    )
    from apps.engines.stt.streaming.local import _TAIL_SECONDS

    engine = await streaming_backends["local"].open(StreamConfig(language="en"))
    latencies, cadence, first_partial, texts = [], [], [], []
    started_at, stopped_at, last_partial = {}, {}, {}
    t0 = time.monotonic()

    async def read():
        async for event in engine.events():
            now = time.monotonic() - t0
            if isinstance(event, SpeechStarted):
                started_at[event.utterance] = event.at
            elif isinstance(event, SpeechStopped):
                stopped_at[event.utterance] = event.at - _TAIL_SECONDS
            elif isinstance(event, Partial):
                u = event.utterance
                if u in last_partial:
                    cadence.append(now - last_partial[u])
                else:
                    first_partial.append(now - started_at.get(u, now))
                last_partial[u] = now
            elif isinstance(event, Final):
                latencies.append(now - stopped_at[event.utterance])
                texts.append(event.segment.text)

    reader = asyncio.create_task(read())
    for i in range(0, len(audio), FRAME):
        await engine.send(audio[i : i + FRAME])
        await asyncio.sleep(max(0.0, t0 + (i + FRAME) / 48000 - time.monotonic()))
    await engine.finish()
    await reader
    return {"latency": latencies, "cadence": cadence, "first_partial": first_partial,
            "text": " ".join(texts)}  # fmt: skip


async def run(n: int, audios: list[bytes]) -> dict:
    results = await asyncio.gather(*(session(audios[i % len(audios)]) for i in range(n)))
    merged = {
        k: [v for r in results for v in r[k]] for k in ("latency", "cadence", "first_partial")
    }
    merged["text"] = results[0]["text"]
    return merged


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=10)[int(q * 10) - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=os.environ.get("VOICEPORTAL_LOCAL_MODEL", "base"))
    parser.add_argument("--sessions", default="1,2,3,4,6")
    parser.add_argument("--limit", type=float, default=1.5)
    args = parser.parse_args()
    setup(args.model)
    from django.conf import settings

    options = settings.STREAMING_SPEECH_TO_TEXT["local"]["OPTIONS"]
    print(f"final model {args.model}, partials {options['partial_model']}, "
          f"workers {options['workers'] or os.cpu_count()}, cores {os.cpu_count()}, "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    audios = [pcm24(CORPUS / name) for name in FILES]
    asyncio.run(run(1, [audios[0][: 48000 * 3]]))  # warm: models load
    for n in [int(x) for x in args.sessions.split(",")]:
        r = asyncio.run(run(n, audios))
        lat = r["latency"]
        print(
            f"{n} session(s): final latency median {statistics.median(lat):.2f} s, "
            f"p90 {pct(lat, 0.9):.2f} s, max {max(lat):.2f} s ({len(lat)} utterances); "
            f"partial cadence median {statistics.median(r['cadence'] or [0]):.2f} s; "
            f"first partial median {statistics.median(r['first_partial'] or [0]):.2f} s "
            f"after speech start; load {os.getloadavg()[0]:.1f}"
        )
        if n == 1:
            print("  heard:", r["text"][:200])
        if statistics.median(lat) > args.limit:
            print(f"  median final latency passes {args.limit} s at {n} sessions")
            break


if __name__ == "__main__":
    main()
