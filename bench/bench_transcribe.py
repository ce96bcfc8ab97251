"""Benchmark: speech-to-text through the portal versus faster-whisper called directly.

Prints figures; asserts nothing (it is a benchmark, not a test). See bench/README.md.

Part 1 (a few minutes of real speech with references, tests/long_recording.py, model
    VOICEPORTAL_LOCAL_MODEL or --model, default base): end-to-end time of an OpenAI-SDK call to
    a real stack (daphne + one run_worker, fresh SQLite in a temp folder) against a plain
    WhisperModel.transcribe() (beam 5, word timestamps, faster-whisper's defaults otherwise) in
    this process with the same model folder and threads. Prints wall time, RTF, CPU seconds,
    peak RSS while transcribing and WER (normaliser spelling numbers, tests/wer.py) per side,
    the ratio portal/direct and a breakdown of where the portal's extra time went.
    --long-minutes 30 repeats the comparison once on a 30-minute recording built the same way.
    Both sides are measured warm: the worker loads its default model at start (run_worker's
    warm-up), the direct model is loaded before timing, and each side first transcribes an
    11 s clip once, untimed (then 3 timed times: the fixed overhead on a short clip). Model
    load time is therefore in neither figure.

Part 2 (an hour of audio, model --hour-model, default tiny.en): a 60-minute mp3 is encoded
    to disk frame by frame (never held in memory), then transcribed by the worker's engine
    (`manage.py transcribe`, or with --hour-via api the running worker) while its RSS is sampled
    every second. Prints peak RSS for the hour against the few-minute recording.
"""

import argparse
import contextlib
import functools
import json
import os
import platform
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import av
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("VOICEPORTAL_BENCH_CORPUS", ROOT.parent / "shared" / "corpus"))
PYTHON = sys.executable
SR = 16_000
WARMUP_CLIP = "jfk.flac"


# --- audio ---------------------------------------------------------------------------------


def decode_mono16k(path: Path) -> np.ndarray:
    """A short clip as mono float32 16 kHz."""
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SR)
    chunks = []
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1))
    return np.concatenate(chunks).astype(np.float32) / 32768.0


class _Encoder:
    """Writes mono 16 kHz float samples to a file with PyAV, frame by frame."""

    def __init__(self, path: Path, codec: str, bit_rate: int | None = None):
        self.container = av.open(str(path), "w")
        self.stream = self.container.add_stream(codec, rate=SR, layout="mono")
        if bit_rate:
            self.stream.bit_rate = bit_rate
        fmt = self.stream.codec_context.format.name  # e.g. s16 (flac) or s16p/fltp (mp3)
        self.fmt = fmt
        self.pts = 0

    def write(self, samples: np.ndarray, frame_size: int = 4096) -> None:
        for i in range(0, len(samples), frame_size):
            block = samples[i : i + frame_size]
            data = _as_format(block, self.fmt)
            frame = av.AudioFrame.from_ndarray(data.reshape(1, -1), format=self.fmt, layout="mono")
            frame.sample_rate = SR
            frame.pts = self.pts
            self.pts += len(block)
            for packet in self.stream.encode(frame):
                self.container.mux(packet)

    def close(self) -> None:
        for packet in self.stream.encode(None):
            self.container.mux(packet)
        self.container.close()


def _as_format(block: np.ndarray, fmt: str) -> np.ndarray:
    """Float samples in -1..1 as the sample format an encoder wants (s16, s32, flt, dbl)."""
    base = fmt.rstrip("p")
    if base == "s16":
        return (np.clip(block, -1, 1) * 32767).astype(np.int16)
    if base == "s32":
        return (np.clip(block, -1, 1) * 2147483647).astype(np.int32)
    if base == "dbl":
        return block.astype(np.float64)
    return block.astype(np.float32)


def write_looped_mp3(path: Path, loop: np.ndarray, seconds: float) -> None:
    """`seconds` of `loop` repeated, encoded as 64 kb/s mp3 while it is generated (flat memory)."""
    codec = "libmp3lame" if "libmp3lame" in av.codecs_available else "mp3"
    enc = _Encoder(path, codec, bit_rate=64_000)
    left = int(seconds * SR)
    while left > 0:
        piece = loop[:left]
        enc.write(piece)
        left -= len(piece)
    enc.close()


def media_seconds(path: Path) -> float:
    with av.open(str(path)) as c:
        s = c.streams.audio[0]
        if s.duration is not None:
            return float(s.duration * s.time_base)
        return c.duration / av.time_base


# --- processes -----------------------------------------------------------------------------


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in bytes ({} once it has gone)."""
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, value = line.split(":", 1)
                    out[key] = int(value.split()[0]) * 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return out


class RssSampler(threading.Thread):
    """Samples a process's RSS every `interval` seconds until stopped or the process ends."""

    def __init__(self, pid: int, interval: float = 1.0):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.samples: list[tuple[float, int]] = []
        self.hwm = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        t0 = time.monotonic()
        while not self._stop_event.is_set():
            st = proc_status(self.pid)
            if not st:
                return
            self.samples.append((time.monotonic() - t0, st.get("VmRSS", 0)))
            self.hwm = max(self.hwm, st.get("VmHWM", 0))
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()

    @property
    def peak(self) -> int:
        return max((r for _, r in self.samples), default=0)

    def peaks_by_part(self, parts: int = 4) -> list[int]:
        """Peak sampled RSS in each of `parts` equal stretches of the run."""
        if not self.samples:
            return []
        end = self.samples[-1][0] or 1.0
        out = [0] * parts
        for t, r in self.samples:
            i = min(parts - 1, int(t / end * parts))
            out[i] = max(out[i], r)
        return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far, all its threads together."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def loadavg() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


class OtherLoad:
    """CPU used by processes other than ours (this one, the worker, daphne), in cores.

    A shared machine makes wall-clock figures noisy; this says how much each run was disturbed.
    """

    def __init__(self, pids: list[int]):
        self.pids = [os.getpid(), *pids]

    def snapshot(self) -> tuple[float, float, float]:
        tick = os.sysconf("SC_CLK_TCK")
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:9]]
        busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7]  # user nice system irq softirq steal
        ours = 0.0
        for pid in self.pids:
            with contextlib.suppress(OSError):
                ours += cpu_seconds(pid)
        return time.monotonic(), busy / tick, ours

    @staticmethod
    def cores(a: tuple, b: tuple) -> float:
        return max(0.0, ((b[1] - a[1]) - (b[2] - a[2])) / max(b[0] - a[0], 1e-6))

    def wait_quiet(self, max_wait: float, threshold: float = 0.3, quiet_for: int = 3) -> float:
        """Wait (up to max_wait s) until others used < threshold cores for quiet_for seconds."""
        started, calm = time.monotonic(), 0
        while time.monotonic() - started < max_wait:
            a = self.snapshot()
            time.sleep(1.0)
            calm = calm + 1 if self.cores(a, self.snapshot()) < threshold else 0
            if calm >= quiet_for:
                break
        return time.monotonic() - started


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
    """daphne + one run_worker on a fresh data folder, from this source tree or `root`."""

    def __init__(self, env: dict, workdir: Path, root: Path = ROOT):
        self.env, self.workdir, self.root = env, workdir, root
        self.procs: list[subprocess.Popen] = []
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> None:
        manage(self.env, "migrate", "--noinput", "-v0", root=self.root)
        out = manage(self.env, "create_api_key", "bench", "--create-user", root=self.root)
        self.key = out.strip().splitlines()[-1]
        daphne = str(Path(PYTHON).with_name("daphne"))
        self.web = self._spawn(
            "daphne",
            [daphne, "-b", "127.0.0.1", "-p", str(self.port), "voiceportal.asgi:application"],
        )
        self.worker_log = self.workdir / "worker.log"
        self.worker = self._spawn("worker", [PYTHON, "manage.py", "run_worker"])
        self._wait_web()
        self._wait_worker_warm()

    def _spawn(self, name: str, cmd: list[str]) -> subprocess.Popen:
        log = open(self.workdir / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
        proc = subprocess.Popen(
            cmd, cwd=self.root, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        self.procs.append(proc)
        return proc

    def _wait_web(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        req = urllib.request.Request(
            f"{self.base_url}/models", headers={"Authorization": f"Bearer {self.key}"}
        )
        while time.monotonic() < deadline:
            if self.web.poll() is not None:
                sys.exit(f"daphne exited; see {self.workdir / 'daphne.log'}")
            try:
                with urllib.request.urlopen(req, timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        sys.exit("daphne did not answer in time")

    def _wait_worker_warm(self, timeout: float = 180) -> None:
        """run_worker logs 'Loaded Whisper' once its default model is in memory."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.worker.poll() is not None:
                sys.exit(f"worker exited; see {self.worker_log}")
            if b"Loaded Whisper" in self.worker_log.read_bytes():
                time.sleep(0.5)
                return
            time.sleep(0.2)
        print("  (no 'Loaded Whisper' line from the worker; going on)")

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


# --- the two sides -------------------------------------------------------------------------


def engine_settings() -> dict:
    from django.conf import settings

    alias = settings.SPEECH_TO_TEXT_DEFAULT
    return dict(settings.SPEECH_TO_TEXT[alias]["OPTIONS"])


def load_direct(model_name: str, opts: dict):
    from faster_whisper import WhisperModel

    from apps.engines.stt.batched import cpu_threads
    from apps.engines.stt.whisper_models import model_path

    folder = model_path(model_name, cache=opts.get("model_cache"))
    model = WhisperModel(
        str(folder),
        device=opts["device"],
        compute_type=opts["compute_type"],
        # As many threads as the engine takes (every core): the same cores for both sides.
        cpu_threads=opts["cpu_threads"] or cpu_threads(),
    )
    return model, folder


def direct_transcribe(
    model, path: Path, *, multilingual: bool, beam_size: int, vad_filter: bool = False
) -> dict:
    """A plain call: faster-whisper's defaults (its temperature ladder, conditioning on the
    text before, no VAD unless --plain-vad), beam 5 and word timestamps, as a user would call
    it. Peak memory is this process's RSS sampled while it runs."""
    sampler = RssSampler(os.getpid(), interval=0.2)
    sampler.start()
    t0, c0 = time.perf_counter(), time.process_time()
    segments, info = model.transcribe(
        str(path),
        language=None if multilingual else "en",
        beam_size=beam_size,
        word_timestamps=True,
        vad_filter=vad_filter,
    )
    segs = list(segments)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    sampler.stop()
    return {
        "peak": sampler.peak,
        "seconds": seconds,
        "cpu": cpu,
        "text": "".join(s.text for s in segs).strip(),
        "segments": len(segs),
        "words": sum(len(s.words or []) for s in segs),
        "language": info.language,
    }


def portal_transcribe(client, model_name: str, path: Path, stack: "Stack") -> dict:
    """Through the API; peak memory is the worker's RSS sampled while the job runs."""
    pids = (stack.worker.pid, stack.web.pid)
    sampler = RssSampler(stack.worker.pid, interval=0.2)
    sampler.start()
    c0 = sum(cpu_seconds(pid) for pid in pids) + time.process_time()
    t0 = time.perf_counter()
    with open(path, "rb") as f:
        result = client.audio.transcriptions.create(
            model=model_name,
            file=f,
            response_format="verbose_json",
            timestamp_granularities=["word", "segment"],
        )
    seconds = time.perf_counter() - t0
    cpu = sum(cpu_seconds(pid) for pid in pids) + time.process_time() - c0
    sampler.stop()
    return {
        "peak": sampler.peak,
        "seconds": seconds,
        "cpu": cpu,
        "text": (result.text or "").strip(),
        "segments": len(result.segments or []),
        "words": len(result.words or []),
        "language": result.language,
        "t_end": time.time(),
    }


def job_breakdown(t_sent: float, t_end: float) -> dict:
    """Where the portal's time went, from the newest transcript row."""
    from apps.transcripts.models import Transcript

    t = Transcript.objects.order_by("-created_at").first()
    return {
        "upload_to_row": t.created_at.timestamp() - t_sent,
        "queue_wait": (t.started_at - t.created_at).total_seconds(),
        "worker_processing": t.processing_seconds,
        "finish_to_response": t_end - t.finished_at.timestamp(),
        "segments_saved": t.segments.count(),
    }


def mb(n: int) -> str:
    return f"{n / 1024**2:,.0f} MB"


# --- main ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--model",
        default=os.environ.get("VOICEPORTAL_LOCAL_MODEL", "base"),
        choices=["base", "tiny.en"],
        help="model for the comparison",
    )
    parser.add_argument(
        "--minutes", type=float, default=3.0, help="length of the few-minute recording (default 3)"
    )
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per side")
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=60.0,
        help="before each timed run, wait up to this many seconds for other processes on the "
        "machine to go quiet (0: do not wait)",
    )
    parser.add_argument(
        "--long-minutes",
        type=float,
        default=0.0,
        help="also compare on a recording this long (e.g. 30; one run each side; 0: skip)",
    )
    parser.add_argument(
        "--plain-vad", action="store_true", help="the plain call with vad_filter=True"
    )
    parser.add_argument("--skip-hour", action="store_true", help="skip the hour-long memory test")
    parser.add_argument("--hour-minutes", type=float, default=60.0)
    parser.add_argument("--hour-model", default="tiny.en", choices=["base", "tiny.en"])
    parser.add_argument(
        "--hour-via",
        default="command",
        choices=["command", "api"],
        help="'command': manage.py transcribe in a fresh process; "
        "'api': the running worker, through the API",
    )
    parser.add_argument("--skip-compare", action="store_true", help="only the hour test")
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar='"LABEL ENV=VALUE ... [TREE=folder]"',
        help="also measure a worker with these settings (TREE: from another source tree, e.g. "
        "a git archive of an earlier commit), side by side with the default one in each timed "
        "round (repeatable; each its own stack and data folder)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="vp-bench-"))
    env = dict(os.environ)
    env.update(
        {
            "VOICEPORTAL_DATA_DIR": str(workdir / "data"),
            "VOICEPORTAL_LOCAL_MODEL": args.model,
            "VOICEPORTAL_STT_DEFAULT": "local",  # the benchmark is about the local engine
            "VOICEPORTAL_LOG_LEVEL": os.environ.get("VOICEPORTAL_LOG_LEVEL", "INFO"),
            "DJANGO_SETTINGS_MODULE": "voiceportal.settings",
            "HF_HUB_OFFLINE": "1",
            # The worker runs niced by default; on a busy machine that alone made it 1.5-2x
            # slower in wall time than the plain call in this (un-niced) process.
            "VOICEPORTAL_WORKER_NICE": os.environ.get("VOICEPORTAL_WORKER_NICE", "0"),
        }
    )
    env.pop("VOICEPORTAL_SQLITE_PATH", None)
    env.pop("VOICEPORTAL_MEDIA_ROOT", None)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import logging

    logging.getLogger().setLevel(logging.WARNING)  # this process: no per-file engine chatter

    results: dict = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
        f"{_mem_total()}, Python {platform.python_version()}",
    }
    print(f"VoicePortal transcription benchmark  {results['date']}")
    print(f"machine: {results['machine']}")
    print(f"temp folder: {workdir}")
    opts = engine_settings()
    print(f"engine settings (from voiceportal.settings): {opts}")

    stack, variants = None, {}
    try:
        short, reference = with_reference(workdir / "speech.wav", args.minutes, seed=3)
        recording = decode_mono16k(short)
        warm_clip = CORPUS / WARMUP_CLIP
        audio_s = media_seconds(short)
        results["recording_seconds"] = audio_s
        print(
            f"recording: {short.name}, {audio_s:.1f} s of real speech with references "
            f"(tests/long_recording.py, seed 3: corpus clips shuffled, some said 4 times)"
        )

        if not args.skip_compare or args.long_minutes or args.hour_via == "api":
            stack = Stack(env, workdir)
            t0 = time.monotonic()
            stack.start()
            print(
                f"stack up in {time.monotonic() - t0:.1f} s: daphne on {stack.base_url}, "
                f"worker pid {stack.worker.pid}"
            )
        variants = start_variants(args.variant, env, workdir)
        if not args.skip_compare:
            results["compare"] = compare(
                args,
                opts,
                stack,
                short,
                warm_clip,
                audio_s,
                reference,
                repeats=args.repeats,
                variants=variants,
            )
        if args.long_minutes:
            long, long_reference = with_reference(workdir / "long.wav", args.long_minutes, seed=4)
            results["compare_long"] = compare(
                args,
                opts,
                stack,
                long,
                warm_clip,
                media_seconds(long),
                long_reference,
                repeats=1,
                short_clip=False,
                variants=variants,
            )
        if not args.skip_hour:
            results["hour"] = hour_test(args, env, workdir, stack, short, recording)
    finally:
        for running in ([stack] if stack else []) + list(variants.values()):
            running.stop()
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
        print(f"figures written to {args.json}")


def start_variants(specs: list[str], env: dict, workdir: Path) -> dict[str, "Stack"]:
    """A stack per --variant "LABEL ENV=VALUE ... [TREE=folder]", on a data folder of its own;
    TREE runs another source tree (e.g. a `git archive` of an earlier commit)."""
    stacks = {}
    for spec in specs:
        label, *assignments = spec.split()
        folder = workdir / label
        folder.mkdir()
        overrides = dict(a.split("=", 1) for a in assignments)
        root = Path(overrides.pop("TREE", ROOT)).resolve()
        variant_env = dict(env) | overrides
        variant_env["VOICEPORTAL_DATA_DIR"] = str(folder / "data")
        stacks[label] = Stack(variant_env, folder, root=root)
        stacks[label].start()
        print(f"variant {label}: {' '.join(assignments)} (worker pid {stacks[label].worker.pid})")
    return stacks


def with_reference(path: Path, minutes: float, *, seed: int) -> tuple[Path, str]:
    """A WAV of real speech from the corpus clips that have a human reference, and its text."""
    from tests import long_recording

    said = long_recording.build(path, CORPUS, seconds=minutes * 60, seed=seed)
    return path, long_recording.reference(said)


def _mem_total() -> str:
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
        return f"{kb / 1024**2:.0f} GiB RAM"
    except OSError:
        return "? RAM"


def compare(
    args,
    opts,
    stack: Stack,
    short: Path,
    warm_clip: Path,
    audio_s: float,
    reference: str,
    *,
    repeats: int,
    short_clip: bool = True,
    variants: dict[str, Stack] | None = None,
) -> dict:
    import openai

    from apps.engines.stt.whisper_models import PACKAGED_MODELS
    from tests.wer import wer

    print(
        f"\n== 1. portal API vs faster-whisper direct: model {args.model}, "
        f"{audio_s / 60:.1f} min =="
    )
    multilingual = PACKAGED_MODELS[args.model].multilingual
    hwm_idle = proc_status(stack.worker.pid).get("VmHWM", 0)
    rss_idle = proc_status(stack.worker.pid).get("VmRSS", 0)
    print(
        f"worker after start (model {args.model} pre-loaded by run_worker's warm-up): "
        f"RSS {mb(rss_idle)}, VmHWM {mb(hwm_idle)}"
    )

    t0 = time.perf_counter()
    model, folder = load_direct(args.model, opts)
    print(
        f"direct model loaded in {time.perf_counter() - t0:.2f} s from {folder} "
        f"(compute {opts['compute_type']}, threads "
        f"{opts['cpu_threads'] or 'all cores'}, beam {opts['beam_size']}, word timestamps, "
        f"vad_filter {args.plain_vad}, faster-whisper's defaults otherwise)"
    )
    client = openai.OpenAI(base_url=stack.base_url, api_key=stack.key, timeout=7200, max_retries=0)
    plain = functools.partial(
        direct_transcribe,
        model,
        multilingual=multilingual,
        beam_size=opts["beam_size"],
        vad_filter=args.plain_vad,
    )

    # Warm both sides once on a short clip (not timed).
    plain(warm_clip)
    portal_transcribe(client, args.model, warm_clip, stack)
    variants = variants or {}
    variant_clients = {
        label: openai.OpenAI(base_url=v.base_url, api_key=v.key, timeout=7200, max_retries=0)
        for label, v in variants.items()
    }
    for label, v in variants.items():
        portal_transcribe(variant_clients[label], args.model, warm_clip, v)
    if short_clip:
        short_d, short_p, clip_s = short_clip_overhead(client, args, stack, plain, warm_clip)
    else:
        short_d, short_p, clip_s = [], [], 0.0

    direct_runs, portal_runs = [], []
    variant_runs: dict[str, list[dict]] = {label: [] for label in variants}
    ours = [p.pid for s in [stack, *variants.values()] for p in (s.worker, s.web)]
    others = OtherLoad(ours)

    def run_direct() -> dict:
        waited = others.wait_quiet(args.wait_quiet)
        a = others.snapshot()
        r = plain(short)
        r["wer"] = wer(reference, r["text"])
        r["others"], r["waited"] = others.cores(a, others.snapshot()), waited
        return r

    def run_portal() -> dict:
        waited = others.wait_quiet(args.wait_quiet)
        a = others.snapshot()
        sent = time.time()
        r = portal_transcribe(client, args.model, short, stack)
        r["wer"] = wer(reference, r["text"])
        r["others"], r["waited"] = others.cores(a, others.snapshot()), waited
        r["breakdown"] = job_breakdown(sent, r.pop("t_end"))
        return r

    def run_variant(label: str) -> dict:
        waited = others.wait_quiet(args.wait_quiet)
        a = others.snapshot()
        r = portal_transcribe(variant_clients[label], args.model, short, variants[label])
        r["wer"] = wer(reference, r["text"])
        r["others"], r["waited"] = others.cores(a, others.snapshot()), waited
        return r

    print(
        f"  (before each run: wait up to {args.wait_quiet:g} s for other processes to use "
        "< 0.3 cores; 'others' = cores they used during the run)"
    )
    for i in range(repeats):
        if i % 2 == 0:  # alternate the order, so a drift in machine load hits both sides
            d = run_direct()
            p = run_portal()
        else:
            p = run_portal()
            d = run_direct()
        direct_runs.append(d)
        portal_runs.append(p)
        for label in variants if i % 2 == 0 else reversed(variants):
            v = run_variant(label)
            variant_runs[label].append(v)
            print(
                f"  run {i + 1}: variant {label} {v['seconds']:6.2f} s (cpu {v['cpu']:.1f}, WER "
                f"{v['wer']:.2%}, peak {mb(v['peak'])}, others {v['others']:.2f}) | ratio "
                f"{v['seconds'] / d['seconds']:.3f} to direct, "
                f"{v['seconds'] / p['seconds']:.3f} to the default portal"
            )
        b = p["breakdown"]
        print(
            f"  run {i + 1}: direct {d['seconds']:6.2f} s (cpu {d['cpu']:.1f}, WER "
            f"{d['wer']:.2%}, peak {mb(d['peak'])}, others {d['others']:.2f}) | portal "
            f"{p['seconds']:6.2f} s (cpu {p['cpu']:.1f}, WER {p['wer']:.2%}, peak "
            f"{mb(p['peak'])}, others "
            f"{p['others']:.2f}; upload+probe {b['upload_to_row']:.2f}, "
            f"queue wait {b['queue_wait']:.2f}, worker {b['worker_processing']:.2f}, "
            f"finish->response {b['finish_to_response']:.2f}) | ratio "
            f"{p['seconds'] / d['seconds']:.3f}"
        )
    hwm_after = proc_status(stack.worker.pid).get("VmHWM", 0)

    d_med = statistics.median(r["seconds"] for r in direct_runs)
    p_med = statistics.median(r["seconds"] for r in portal_runs)
    ratio = p_med / d_med
    d_min = min(r["seconds"] for r in direct_runs)
    p_min = min(r["seconds"] for r in portal_runs)
    quiet = [
        (d, p)
        for d, p in zip(direct_runs, portal_runs, strict=True)
        if d["others"] < 0.3 and p["others"] < 0.3
    ]
    quiet_ratio = (
        statistics.median(p["seconds"] / d["seconds"] for d, p in quiet) if quiet else None
    )
    overhead = statistics.median(
        r["seconds"] - r["breakdown"]["worker_processing"] for r in portal_runs
    )
    dc_med = statistics.median(r["cpu"] for r in direct_runs)
    pc_med = statistics.median(r["cpu"] for r in portal_runs)
    same_text = direct_runs[-1]["text"] == portal_runs[-1]["text"]
    d, p = direct_runs[-1], portal_runs[-1]
    print(
        f"median: direct {d_med:.2f} s (RTF {d_med / audio_s:.3f}), portal {p_med:.2f} s "
        f"(RTF {p_med / audio_s:.3f})"
    )
    print(
        f"RATIO portal/direct = {ratio:.3f}  (target <= 0.80: "
        f"{'met' if ratio <= 0.80 else 'NOT met'})"
    )
    print(
        f"best of {repeats}: direct {d_min:.2f} s, portal {p_min:.2f} s, ratio "
        f"{p_min / d_min:.3f}; runs where others used < 0.3 cores: {len(quiet)}"
        + (f", their median ratio {quiet_ratio:.3f}" if quiet else "")
    )
    print(
        f"portal time outside the worker's job (upload, probe, queue wait, polling, "
        f"response): median {overhead:.2f} s"
    )
    print(
        f"CPU seconds (less sensitive to other load on the machine): direct {dc_med:.1f}, "
        f"portal (worker + daphne + client) {pc_med:.1f}, ratio {pc_med / dc_med:.3f}"
    )
    print(
        f"output: direct {d['segments']} segments / {d['words']} words, portal "
        f"{p['segments']} segments / {p['words']} words, language {d['language']}/"
        f"{p['language']}; texts identical: {same_text}"
    )
    print(
        f"worker peak RSS (VmHWM) after the jobs: {mb(hwm_after)} "
        f"(idle with model loaded: {mb(hwm_idle)})"
    )
    print(
        f"WER (normaliser spelling numbers): direct {d['wer']:.2%}, portal {p['wer']:.2%}; "
        f"peak RSS while transcribing: direct (bench process) "
        f"{mb(max(r['peak'] for r in direct_runs))}, portal (worker) "
        f"{mb(max(r['peak'] for r in portal_runs))}"
    )
    variant_figures = {}
    for label, runs in variant_runs.items():
        v_med = statistics.median(r["seconds"] for r in runs)
        vc_med = statistics.median(r["cpu"] for r in runs)
        variant_figures[label] = {
            "seconds": [r["seconds"] for r in runs],
            "cpu": [r["cpu"] for r in runs],
            "wer": [r["wer"] for r in runs],
            "peak": [r["peak"] for r in runs],
            "others": [r["others"] for r in runs],
            "ratio": v_med / d_med,
            "cpu_ratio": vc_med / dc_med,
        }
        print(
            f"VARIANT {label}: median {v_med:.2f} s, RATIO to direct {v_med / d_med:.3f}, to "
            f"the default portal {v_med / p_med:.3f}; CPU {vc_med:.1f} s ({vc_med / dc_med:.3f} "
            f"of direct); WER {runs[-1]['wer']:.2%}; peak RSS "
            f"{mb(max(r['peak'] for r in runs))}"
        )
    return {
        "variants": variant_figures,
        "model": args.model,
        "audio_seconds": audio_s,
        "direct_wer": [r["wer"] for r in direct_runs],
        "portal_wer": [r["wer"] for r in portal_runs],
        "direct_peak": [r["peak"] for r in direct_runs],
        "portal_peak": [r["peak"] for r in portal_runs],
        "settings": opts,
        "direct_seconds": [r["seconds"] for r in direct_runs],
        "portal_seconds": [r["seconds"] for r in portal_runs],
        "portal_breakdown": [r["breakdown"] for r in portal_runs],
        "direct_median": d_med,
        "portal_median": p_med,
        "ratio": ratio,
        "direct_cpu": [r["cpu"] for r in direct_runs],
        "portal_cpu": [r["cpu"] for r in portal_runs],
        "cpu_ratio": pc_med / dc_med,
        "load_after": loadavg(),
        "direct_others": [r["others"] for r in direct_runs],
        "portal_others": [r["others"] for r in portal_runs],
        "best_ratio": p_min / d_min,
        "quiet_pairs": len(quiet),
        "quiet_ratio": quiet_ratio,
        "overhead_outside_job": overhead,
        "rtf_direct": d_med / audio_s,
        "rtf_portal": p_med / audio_s,
        "texts_identical": same_text,
        "segments": [d["segments"], p["segments"]],
        "words": [d["words"], p["words"]],
        "short_clip": {"seconds": clip_s, "direct": short_d, "portal": short_p},
        "worker_vmhwm_idle": hwm_idle,
        "worker_vmhwm_after": hwm_after,
    }


def short_clip_overhead(client, args, stack: Stack, plain, warm_clip: Path):
    """The portal's fixed costs (upload, queue pickup, polling) matter most on short clips."""
    clip_s = media_seconds(warm_clip)
    short_d, short_p = [], []
    for _ in range(3):
        short_d.append(plain(warm_clip)["seconds"])
        short_p.append(portal_transcribe(client, args.model, warm_clip, stack)["seconds"])
    sd, sp = statistics.median(short_d), statistics.median(short_p)
    print(
        f"short clip ({warm_clip.name}, {clip_s:.1f} s), median of 3: direct {sd:.2f} s, "
        f"portal {sp:.2f} s, ratio {sp / sd:.3f} (+{sp - sd:.2f} s)"
    )
    return short_d, short_p, clip_s


def hour_test(
    args, env, workdir: Path, stack: Stack | None, short: Path, recording: np.ndarray
) -> dict:
    print(
        f"\n== 2. memory for {args.hour_minutes:g} min of audio: model {args.hour_model}, "
        f"via {args.hour_via} =="
    )
    long = workdir / "hour.mp3"
    t0 = time.perf_counter()
    write_looped_mp3(long, recording, args.hour_minutes * 60)
    long_s = media_seconds(long)
    print(
        f"generated {long.name}: {long_s / 60:.1f} min, {long.stat().st_size / 1e6:.1f} MB "
        f"in {time.perf_counter() - t0:.1f} s (streamed to disk)"
    )
    from django.conf import settings

    window = settings.SPEECH_TO_TEXT["local"]["OPTIONS"]["window_seconds"]
    print(f"engine window: {window:g} s (VOICEPORTAL_WINDOW_SECONDS)")

    runs = {}
    for label, path in (("short", short), ("hour", long)):
        if args.hour_via == "command":
            r = _run_command(env, path, args.hour_model, workdir / f"{label}.txt")
        else:
            r = _run_api(stack, path, args.hour_model)
        audio_s = media_seconds(path)
        r["audio_seconds"] = audio_s
        r["rtf"] = r["seconds"] / audio_s
        runs[label] = r
        parts = ", ".join(mb(x) for x in r["peaks_by_quarter"])
        cpu = f", cpu {r['cpu']:.0f} s" if r["cpu"] is not None else ""
        print(
            f"  {audio_s / 60:5.1f} min: {r['seconds']:7.1f} s wall (RTF {r['rtf']:.3f}{cpu}), "
            f"PEAK RSS {mb(r['peak'])} (VmHWM {mb(r['vmhwm'])}, sampled every 1 s: max "
            f"{mb(r['peak_rss'])}; per quarter of the run: {parts})"
        )
    growth = runs["hour"]["peak"] - runs["short"]["peak"]
    q = runs["hour"]["peaks_by_quarter"]
    drift = q[-1] - q[0] if q else 0
    print(
        f"long vs short peak RSS: {mb(runs['hour']['peak'])} vs "
        f"{mb(runs['short']['peak'])} ({growth / 1024**2:+,.0f} MB); "
        f"first vs last quarter of the long run: {drift / 1024**2:+,.0f} MB"
    )
    return {"model": args.hour_model, "via": args.hour_via, "window_seconds": window, **runs}


def _run_command(env, path: Path, model: str, out: Path) -> dict:
    """manage.py transcribe in its own process: only this job's memory is counted."""
    t0 = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(out, "w") as f:
        proc = subprocess.Popen(
            [PYTHON, "manage.py", "transcribe", str(path), "--model", model],
            cwd=ROOT,
            env=env,
            stdout=f,
            stderr=subprocess.PIPE,
        )
        sampler = RssSampler(proc.pid)
        sampler.start()
        _, err = proc.communicate()
        sampler.stop()
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        sys.exit(f"manage.py transcribe failed: {err.decode()[-2000:]}")
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {
        "seconds": seconds,
        "cpu": cpu,
        "peak": sampler.hwm,  # VmHWM of a process that did only this job: the exact peak
        "peak_rss": sampler.peak,
        "vmhwm": sampler.hwm,
        "peaks_by_quarter": sampler.peaks_by_part(4),
        "samples": len(sampler.samples),
        "characters": len(out.read_text()),
    }


def _run_api(stack: Stack, path: Path, model: str) -> dict:
    """Through the API: samples the running worker's RSS while the job runs."""
    import openai

    client = openai.OpenAI(base_url=stack.base_url, api_key=stack.key, timeout=7200, max_retries=0)
    sampler = RssSampler(stack.worker.pid)
    sampler.start()
    t0 = time.perf_counter()
    with open(path, "rb") as f:
        result = client.audio.transcriptions.create(
            model=model, file=f, response_format="verbose_json", timestamp_granularities=["segment"]
        )
    seconds = time.perf_counter() - t0
    sampler.stop()
    return {
        "seconds": seconds,
        "cpu": None,
        "peak": sampler.peak,  # the worker's VmHWM also holds earlier jobs: use the samples
        "peak_rss": sampler.peak,
        "vmhwm": sampler.hwm,
        "peaks_by_quarter": sampler.peaks_by_part(4),
        "samples": len(sampler.samples),
        "characters": len(result.text or ""),
    }


if __name__ == "__main__":
    main()
