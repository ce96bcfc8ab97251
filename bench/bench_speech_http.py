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
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
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


def manage(env: dict, *args: str, root: Path = ROOT) -> str:
    done = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=root, env=env, check=True, capture_output=True, text=True
    )
    return done.stdout


class Stack:
    """daphne + the speech worker, as scripts/run.sh starts them."""

    def __init__(self, env: dict, workdir: Path, *, default_workers: int = 0, root: Path = ROOT):
        self.env, self.workdir, self.root = env, workdir, root
        self.procs: list[subprocess.Popen] = []
        self.url = f"http://127.0.0.1:{free_port()}"
        self.default_workers = default_workers  # transcription workers, as `make run` has

    def start(self) -> None:
        manage(self.env, "migrate", "--noinput", "-v0", root=self.root)
        created = manage(self.env, "create_api_key", "bench", "--create-user", root=self.root)
        self.key = created.split()[-1]
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
        proc = subprocess.Popen(
            cmd, cwd=self.root, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
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

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time used so far by the web server and the speech worker (all their threads)."""
        tick = os.sysconf("SC_CLK_TCK")

        def used(proc: subprocess.Popen) -> float:
            fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / tick  # utime + stime

        return {"web": used(self.web), "worker": used(self.worker)}

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
# With --mix varied, half the requests open with a long sentence (a clause, then more), as
# readings of articles and messages do: what a short first chunk is for.
LONG_OPENING = (
    "When the meeting ended late on Thursday, everyone agreed that the new schedule would start "
    "on Monday and run until the end of the month. Questions go to the office."
)


def texts_for(n: int, mix: str) -> list[str]:
    """Every fourth a long reading; with "varied", every other short one a long first sentence."""
    if mix == "varied":
        cycle = [TEXT, LONG_OPENING, TEXT, " ".join([LONG_OPENING] * 6)]
    else:
        cycle = [TEXT, TEXT, TEXT, LONG_TEXT]
    return [cycle[i % 4] for i in range(n)]


# Playback waits are counted apart in the first seconds of each stream's audio.
START_SECONDS = 3.0


def speak(client, voice: str, audio_format: str, text: str = TEXT, db: Path | None = None) -> dict:
    sent_at = datetime.now(UTC)
    started = time.perf_counter()
    with client.audio.speech.with_streaming_response.create(
        model="tts-1", voice=voice, input=text, response_format=audio_format
    ) as response:
        pieces = response.iter_bytes()
        first = next(pieces)
        first_at = time.perf_counter() - started
        received_at = datetime.now(UTC)
        arrivals = [(0.0, len(first))]  # (seconds after the first byte, bytes so far)
        data = [first]
        for piece in pieces:
            data.append(piece)
            arrivals.append(
                (time.perf_counter() - started - first_at, arrivals[-1][1] + len(piece))
            )
        data = b"".join(data)
        generation = response.headers["x-generation-id"]
    total = time.perf_counter() - started
    seconds = audio_seconds(data, audio_format)
    return {
        "first_byte": first_at,
        "total": total,
        "audio": seconds,
        "rtf": total / seconds,
        # Waits in the first seconds (the first sentence and what follows it), and in all: a
        # stream of many sentences at once waits later when the worker cannot keep up.
        "stall_start": stalls(arrivals, seconds, within=START_SECONDS),
        "stall": stalls(arrivals, seconds, within=seconds),
        **breakdown(db, generation, sent_at, received_at),
    }


def stalls(arrivals: list[tuple[float, int]], seconds: float, *, within: float) -> float:
    """How long in all a player that starts with the first bytes would have waited for more
    within the first `within` seconds of audio (0: the audio always came before it was
    needed). Bytes are taken as evenly spread over the audio (mp3 here is constant bit rate)."""
    size, stall = arrivals[-1][1], 0.0
    for (at, _), (_, before) in zip(arrivals[1:], arrivals, strict=False):
        played = before / size * seconds  # the audio before this piece
        if played >= within:
            break
        # That audio has played `played` seconds after the first byte, plus the waits so
        # far; this piece came at `at`.
        stall += max(0.0, at - (played + stall))
    return stall


def breakdown(db: Path, generation_id: str, sent_at: datetime, received_at: datetime) -> dict:
    """Where the time to the first byte went, from the generation's row: the request (sent →
    row made: HTTP, key check, voice and sentence split), pickup (row made → a worker claimed
    it), the first sentence (claimed → first bytes in the file) and delivery (→ the client)."""
    with sqlite3.connect(db) as connection:
        row = connection.execute(
            "SELECT created_at, started_at, first_audio_at FROM speech_generation WHERE id = ?",
            (generation_id.replace("-", ""),),
        ).fetchone()
    created, started, first_audio = (datetime.fromisoformat(v).replace(tzinfo=UTC) for v in row)
    return {
        "request": (created - sent_at).total_seconds(),
        "pickup": (started - created).total_seconds(),
        "first_sentence": (first_audio - started).total_seconds(),
        "delivery": (received_at - first_audio).total_seconds(),
    }


@dataclass
class Variant:
    """One stack of the run: its label, its own data folder and environment, and optionally
    another source tree (TREE=folder, e.g. a `git archive` of an earlier commit)."""

    label: str
    overrides: dict
    root: Path = ROOT
    stack: Stack | None = None
    client: object = None

    @classmethod
    def parse(cls, spec: str) -> "Variant":
        label, *pairs = spec.split()
        overrides = dict(pair.split("=", 1) for pair in pairs)
        root = Path(overrides.pop("TREE", ROOT)).resolve()
        return cls(label, overrides, root)

    @property
    def db(self) -> Path:
        return self.stack.workdir / "data" / "db.sqlite3"

    def start(self, base_env: dict, workdir: Path) -> None:
        from openai import OpenAI

        folder = workdir / self.label
        folder.mkdir()
        env = base_env | {"VOICEPORTAL_DATA_DIR": str(folder / "data")} | self.overrides
        self.stack = Stack(env, folder, root=self.root)
        self.stack.start()
        self.client = OpenAI(
            base_url=f"{self.stack.url}/v1", api_key=self.stack.key, max_retries=0, timeout=120
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="piper,kokoro,espeak")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--format", default="mp3", choices=["mp3", "wav", "opus", "flac", "aac", "pcm"]
    )
    parser.add_argument("--concurrency", default="", help="e.g. 1,4,8,16: requests at once")
    parser.add_argument("--rounds", type=int, default=0, help="rounds per N (default repeat/3)")
    parser.add_argument("--mix", default="classic", choices=["classic", "varied"])
    parser.add_argument(
        "--long-first",
        action="store_true",
        help="one at a time: a text opening with a long sentence (the engines cut it)",
    )
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        help='"LABEL ENV=VALUE ... [TREE=folder]": stacks measured side by side, in turn',
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp folder and logs")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="vp-bench-speech-"))
    env = dict(os.environ)
    env.update(
        {
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
    variants = [Variant.parse(v) for v in args.variant] or [Variant("this", {})]
    results: dict = {}
    try:
        for variant in variants:
            variant.start(env, workdir)
        print(
            f"Text: {len(LONG_OPENING if args.long_first else TEXT)} characters, "
            f"{'a long first sentence' if args.long_first else '3 sentences'}; "
            f"format {args.format}; "
            f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}"
        )
        if args.concurrency:
            for engine in args.engines.split(","):
                results[engine] = concurrent_rounds(variants, engine, args)
            return
        results = single_requests(variants[0], args)
        print(f"  speech worker peak RSS: {variants[0].stack.worker_peak_rss_mb():.0f} MB")
    finally:
        for variant in variants:
            if variant.stack:
                variant.stack.stop()
        if args.keep:
            print(f"Kept {workdir}")
        else:
            import shutil

            shutil.rmtree(workdir, ignore_errors=True)
        if args.json:
            args.json.write_text(json.dumps(results, indent=2))


def single_requests(variant: Variant, args) -> dict[str, list[dict]]:
    print(
        f"  {'engine':<8}{'1st byte':>10}{'(min–max)':>16}{'last byte':>11}{'audio':>8}"
        f"{'RTF':>7}  request  pickup  1st sentence  delivery"
    )
    results = {}
    text = LONG_OPENING if args.long_first else TEXT
    for engine in args.engines.split(","):
        voice = VOICES[engine]
        speak(variant.client, voice, args.format, db=variant.db)  # untimed: the model loads
        runs = []
        for _ in range(args.repeat):
            runs.append(speak(variant.client, voice, args.format, text, db=variant.db))
            time.sleep(0.2)
        results[engine] = runs
        print(summary_line(engine, runs))
    return results


def concurrent_rounds(variants: list[Variant], engine: str, args) -> list[dict]:
    """Rounds of N requests at once, the variants in turn; the first byte's median and maximum
    per N and variant."""
    from concurrent.futures import ThreadPoolExecutor

    voice = VOICES[engine]
    for variant in variants:
        speak(variant.client, voice, args.format, db=variant.db)  # untimed: the model loads
    print(f"  {engine}: N at once, mix {args.mix!r} (every fourth a long reading)")
    rows = []
    for n in (int(x) for x in args.concurrency.split(",")):
        texts = texts_for(n, args.mix)
        runs: dict[str, list[dict]] = {v.label: [] for v in variants}
        complete = {v.label: True for v in variants}
        cpus: dict[str, list[dict]] = {v.label: [] for v in variants}
        loads = []
        for _ in range(args.rounds or max(1, args.repeat // 3)):
            for variant in variants:
                cpu_before, own_before = variant.stack.cpu_seconds(), sum(os.times()[:2])
                with ThreadPoolExecutor(max_workers=n) as pool:
                    done = list(
                        pool.map(
                            lambda t, v=variant: speak(v.client, voice, args.format, t, db=v.db),
                            texts,
                        )
                    )
                runs[variant.label] += done
                cpu = variant.stack.cpu_seconds()
                cpus[variant.label].append(
                    {name: cpu[name] - cpu_before[name] for name in cpu}
                    | {"client": sum(os.times()[:2]) - own_before}
                )
                # Each stream whole: about 0.05 s of audio per character or more.
                complete[variant.label] &= all(
                    r["audio"] > len(t) * 0.04 for r, t in zip(done, texts, strict=True)
                )
                loads.append(os.getloadavg()[0])
                time.sleep(0.5)
        for variant in variants:
            rows.append(report_row(n, variant.label, runs[variant.label], complete, loads))
            per_round = cpus[variant.label]
            print(
                "          CPU seconds per round: "
                + ", ".join(
                    f"{name} {statistics.median(c[name] for c in per_round):.2f}"
                    for name in per_round[0]
                )
            )
    return rows


def report_row(n: int, label: str, runs: list[dict], complete: dict, loads: list) -> dict:
    firsts = [r["first_byte"] for r in runs]
    row = {
        "n": n,
        "variant": label,
        "first_byte_p50": statistics.median(firsts),
        "first_byte_max": max(firsts),
        "complete": complete[label],
        "load": [min(loads), max(loads)],
        "start_stall_max": max(r["stall_start"] for r in runs),
        "start_stalled": sum(r["stall_start"] > 0.05 for r in runs) / len(runs),
        "stall_max": max(r["stall"] for r in runs),
    }
    print(
        f"    N={n:<3} {label:<10} first byte p50 {row['first_byte_p50'] * 1000:6.0f} ms, "
        f"max {row['first_byte_max'] * 1000:6.0f} ms; all complete: {complete[label]}; "
        f"load {min(loads):.1f}–{max(loads):.1f}"
    )
    print(
        f"          playback waited in its first {START_SECONDS:.0f} s (over 50 ms) in "
        f"{row['start_stalled']:.0%} of streams, at most {row['start_stall_max'] * 1000:.0f} ms; "
        f"in all at most {row['stall_max']:.1f} s"
    )
    slowest = max(runs, key=lambda r: r["first_byte"])
    print(
        "          the slowest: "
        + ", ".join(f"{k} {slowest[k] * 1000:.0f} ms" for k in BREAKDOWN)
        + "; medians: "
        + ", ".join(f"{k} {statistics.median(r[k] for r in runs) * 1000:.0f}" for k in BREAKDOWN)
    )
    return row


BREAKDOWN = ("request", "pickup", "first_sentence", "delivery")


def summary_line(engine: str, runs: list[dict]) -> str:
    def med(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    firsts = [r["first_byte"] for r in runs]
    spread = f"({min(firsts) * 1000:.0f}–{max(firsts) * 1000:.0f} ms)"
    return (
        f"  {engine:<8}{med('first_byte') * 1000:>7.0f} ms{spread:>16}{med('total'):>10.2f}s"
        f"{med('audio'):>7.1f}s{med('rtf'):>7.3f}   {med('request') * 1000:4.0f} ms"
        f"  {med('pickup') * 1000:4.0f} ms"
        f"  {med('first_sentence') * 1000:6.0f} ms  {med('delivery') * 1000:6.0f} ms"
    )


if __name__ == "__main__":
    main()
