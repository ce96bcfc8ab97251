"""Benchmark: time to first audio byte over HTTP, through POST /v1/audio/speech on the real stack.

Prints figures; asserts nothing (it is a benchmark, not a test).

Starts what `make run` starts, on a fresh data folder: daphne and the speech worker
(`run_worker --queue-name speech --interval 0.05`, which loads the default engine at start).
For each local engine, after one untimed request (the engine loads its model in the worker),
times `openai.OpenAI(...).audio.speech.with_streaming_response.create(...)` for a three-sentence
text: the first audio byte in the client, the last one, the audio's length and the real-time
factor (last byte / audio seconds); and, from the generation's row, where the time to the first
byte went: queue pickup (request stored → worker claimed it), first sentence (claimed → first
bytes written) and the web's delivery (written → in the client, including the poll interval).

With `--concurrency 1,4,8,16` it instead fires that many requests at once per round (every
fourth a long reading, the rest the short text) and prints the first byte's median and maximum,
and whether every stream came complete: speech is scheduled by sentence across requests, so
the first byte should not wait for other requests' whole texts.

    .venv/bin/python bench/bench_speech_http.py
    .venv/bin/python bench/bench_speech_http.py --engines piper --repeat 10 --format pcm
    .venv/bin/python bench/bench_speech_http.py --engines piper --concurrency 1,4,8,16
"""

import argparse
import io
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# The same three sentences as bench_tts.py, so the engine-level figures compare.
TEXT = (
    "Welcome to the portal. This short passage has three sentences of ordinary length. "
    "It measures how soon the first audio arrives and how fast the rest follows."
)
VOICES = {"piper": "piper:joe", "kokoro": "kokoro:jf_alpha", "espeak": "espeak:en-us"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def manage(env: dict, *args: str) -> str:
    done = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return done.stdout


class Stack:
    """daphne + the speech worker, as scripts/run.sh starts them."""

    def __init__(self, env: dict, workdir: Path, *, default_workers: int = 0):
        self.env, self.workdir = env, workdir
        self.procs: list[subprocess.Popen] = []
        self.url = f"http://127.0.0.1:{free_port()}"
        self.default_workers = default_workers  # transcription workers, as `make run` has

    def start(self) -> None:
        manage(self.env, "migrate", "--noinput", "-v0")
        self.key = manage(self.env, "create_api_key", "bench", "--create-user").split()[-1]
        port = self.url.rsplit(":", 1)[1]
        self.web = self._spawn(
            "daphne", [PYTHON, "-m", "daphne", "-b", "127.0.0.1", "-p", port,
                       "voiceportal.asgi:application"],
        )  # fmt: skip
        self.worker = self._spawn(
            "worker",
            [PYTHON, "manage.py", "run_worker", "--queue-name", "speech", "--interval", "0.05"],
        )
        for n in range(self.default_workers):
            self._spawn(f"worker-default-{n}", [PYTHON, "manage.py", "run_worker"])
        self._wait_for(lambda: self._answers(), "daphne")
        # The worker's warm-up loads the default engine and logs it.
        self._wait_for(lambda: b"Loaded (" in (self.workdir / "worker.log").read_bytes(), "worker")

    def _spawn(self, name: str, cmd: list[str]) -> subprocess.Popen:
        log = open(self.workdir / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
        proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        return proc

    def _answers(self) -> bool:
        import httpx

        try:
            return httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def _wait_for(self, ready, name: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p in self.procs):
                sys.exit(f"a process exited; see the logs in {self.workdir}")
            if ready():
                return
            time.sleep(0.1)
        sys.exit(f"{name} was not ready in time; see {self.workdir}")

    def worker_peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.worker.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


def audio_seconds(data: bytes, audio_format: str) -> float:
    if audio_format == "pcm":
        return len(data) / 2 / 24_000
    import av

    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        return sum(f.samples for f in container.decode(stream)) / stream.rate


# A long reading (about 1,400 characters, 16 sentences) among the short ones.
LONG_TEXT = " ".join([TEXT] * 5 + ["The end of a long reading is near."])


def speak(client, voice: str, audio_format: str, text: str = TEXT) -> dict:
    started = time.perf_counter()
    with client.audio.speech.with_streaming_response.create(
        model="tts-1", voice=voice, input=text, response_format=audio_format
    ) as response:
        pieces = response.iter_bytes()
        first = next(pieces)
        first_at = time.perf_counter() - started
        received_at = datetime.now().astimezone()
        data = first + b"".join(pieces)
        generation = response.headers["x-generation-id"]
    total = time.perf_counter() - started
    seconds = audio_seconds(data, audio_format)
    return {
        "first_byte": first_at,
        "total": total,
        "audio": seconds,
        "rtf": total / seconds,
        **breakdown(generation, received_at),
    }


def breakdown(generation_id: str, received_at: datetime) -> dict:
    from apps.speech.models import Generation

    g = Generation.objects.get(pk=generation_id)
    return {
        "pickup": (g.started_at - g.created_at).total_seconds(),
        "first_sentence": (g.first_audio_at - g.started_at).total_seconds(),
        "delivery": (received_at - g.first_audio_at).total_seconds(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="piper,kokoro,espeak")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--format", default="mp3", choices=["mp3", "wav", "opus", "flac", "aac", "pcm"]
    )
    parser.add_argument("--concurrency", default="", help="e.g. 1,4,8,16: requests at once")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder and logs")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="vp-bench-speech-"))
    env = dict(os.environ)
    env.update(
        {
            "VOICEPORTAL_DATA_DIR": str(workdir / "data"),
            # Kokoro's joined model is kept between runs, as in the tests.
            "VOICEPORTAL_MODEL_CACHE": os.environ.get(
                "VOICEPORTAL_MODEL_CACHE", str(ROOT / "var" / "models")
            ),
            "VOICEPORTAL_LOG_LEVEL": "INFO",
            "DJANGO_SETTINGS_MODULE": "voiceportal.settings",
        }
    )
    for name in ("VOICEPORTAL_SQLITE_PATH", "VOICEPORTAL_MEDIA_ROOT", "VOICEPORTAL_TASKS_BACKEND"):
        env.pop(name, None)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from openai import OpenAI

    stack = Stack(env, workdir)
    results: dict[str, list[dict]] = {}
    try:
        stack.start()
        client = OpenAI(base_url=f"{stack.url}/v1", api_key=stack.key, max_retries=0, timeout=120)
        print(
            f"Text: {len(TEXT)} characters, 3 sentences; format {args.format}; "
            f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}"
        )
        print(
            f"  {'engine':<8}{'1st byte':>10}{'(min–max)':>16}{'last byte':>11}{'audio':>8}"
            f"{'RTF':>7}   pickup  1st sentence  delivery"
        )
        if args.concurrency:
            for engine in args.engines.split(","):
                results[engine] = concurrent_rounds(client, engine, args)
            return
        for engine in args.engines.split(","):
            voice = VOICES[engine]
            speak(client, voice, args.format)  # untimed: the engine loads its model
            runs = []
            for _ in range(args.repeat):
                runs.append(speak(client, voice, args.format))
                time.sleep(0.2)
            results[engine] = runs
            print(summary_line(engine, runs))
        print(f"  speech worker peak RSS (all engines loaded): {stack.worker_peak_rss_mb():.0f} MB")
    finally:
        stack.stop()
        if args.keep:
            print(f"Kept {workdir}")
        else:
            import shutil

            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


def concurrent_rounds(client, engine: str, args) -> list[dict]:
    """Rounds of N requests at once; the first byte's median and maximum per N."""
    from concurrent.futures import ThreadPoolExecutor

    voice = VOICES[engine]
    speak(client, voice, args.format)  # untimed: the engine loads its model
    print(f"  {engine}: N at once, every fourth a {len(LONG_TEXT)}-character reading")
    rows = []
    for n in (int(x) for x in args.concurrency.split(",")):
        texts = [LONG_TEXT if i % 4 == 3 else TEXT for i in range(n)]
        firsts, complete, parts = [], True, []
        for _ in range(max(1, args.repeat // 3)):
            with ThreadPoolExecutor(max_workers=n) as pool:
                runs = list(pool.map(lambda t: speak(client, voice, args.format, t), texts))
            firsts += [r["first_byte"] for r in runs]
            parts += runs
            complete &= all(
                r["audio"] > (8 if t is LONG_TEXT else 2) for r, t in zip(runs, texts, strict=True)
            )
            time.sleep(0.5)
        row = {
            "n": n,
            "first_byte_p50": statistics.median(firsts),
            "first_byte_max": max(firsts),
            "complete": complete,
            "load": os.getloadavg()[0],
        }
        rows.append(row)
        print(
            f"    N={n:<3} first byte p50 {row['first_byte_p50'] * 1000:6.0f} ms, "
            f"max {row['first_byte_max'] * 1000:6.0f} ms; all streams complete: {complete}; "
            f"load {row['load']:.1f}"
        )
        slowest = max(parts, key=lambda r: r["first_byte"])
        print(
            "          where the slowest first byte's time went: "
            + ", ".join(f"{k} {slowest[k] * 1000:.0f} ms" for k in BREAKDOWN)
        )
    return rows


BREAKDOWN = ("pickup", "first_sentence", "delivery")


def summary_line(engine: str, runs: list[dict]) -> str:
    def med(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    firsts = [r["first_byte"] for r in runs]
    spread = f"({min(firsts) * 1000:.0f}–{max(firsts) * 1000:.0f} ms)"
    return (
        f"  {engine:<8}{med('first_byte') * 1000:>7.0f} ms{spread:>16}{med('total'):>10.2f}s"
        f"{med('audio'):>7.1f}s{med('rtf'):>7.3f}   {med('pickup') * 1000:4.0f} ms"
        f"  {med('first_sentence') * 1000:6.0f} ms  {med('delivery') * 1000:6.0f} ms"
    )


if __name__ == "__main__":
    main()
