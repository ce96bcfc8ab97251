"""Reruns the measurements of issue 11 against the real stack (`scripts/run.sh`: Daphne and two
workers under the supervisor, on a fresh data folder): what a refused body costs, how fast a
too-long voice sample is refused and with how much memory, how soon a killed worker is back
while the web server answers, login throttling, and `check --deploy`. A benchmark: it prints
figures and asserts nothing.

    .venv/bin/python bench/bench_hardening.py
"""

import contextlib
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
MB = 1024 * 1024


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="voiceportal-bench-hardening-"))
    port = _free_port()
    env = {
        **os.environ,
        "PY": sys.executable,
        "PORT": str(port),
        # The test stack's settings: real engines, no model warm-up in the workers.
        "DJANGO_SETTINGS_MODULE": "tests.speech.stack_settings",
        "VOICEPORTAL_SQLITE_PATH": str(tmp / "db.sqlite3"),
        "VOICEPORTAL_MEDIA_ROOT": str(tmp / "media"),
        "VOICEPORTAL_TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "VOICEPORTAL_MAX_UPLOAD_BYTES": str(5 * MB),
    }
    figures = {}
    log = open(tmp / "run.log", "wb")  # noqa: SIM115
    portal = subprocess.Popen(
        ["scripts/run.sh"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: _healthy(url), 180)
        key = _api_key(env)
        figures["upload_300mb_signed_in"] = _refused_body(
            port, "/v1/audio/transcriptions", 300 * MB, f"Authorization: Bearer {key}\r\n"
        )
        figures["post_100mb_anonymous_login"] = _refused_body(port, "/account/login/", 100 * MB)
        figures["lying_content_length_3e9"] = _refused_body(
            port, "/transcripts/new/", 3 * 10**9, send=1024
        )
        figures["server_read_bytes_per_refusal"] = re.findall(
            r"Refused a request body with \d+ after reading (\d+) bytes",
            (tmp / "run.log").read_text(),
        )
        figures["voice_sample_2h_silence"] = _long_sample(env, tmp)
        figures["killed_worker"] = _kill_a_worker(portal.pid, url)
        figures["thirty_wrong_logins"] = _wrong_logins(url)
    finally:
        os.killpg(portal.pid, signal.SIGINT)
        portal.wait(30)
    figures["check_deploy"] = _check_deploy(tmp)
    print(json.dumps(figures, indent=2))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.1)
    raise RuntimeError("timed out")


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _api_key(env) -> str:
    out = subprocess.run(
        [sys.executable, "manage.py", "create_api_key", "bench", "--create-user"],
        cwd=REPO, env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return re.search(r"vp-\S+", out)[0]


def _refused_body(port, path, length, headers="", send=None) -> dict:
    """Send up to `send` bytes (default: all of `length`) as fast as the server takes them;
    stop when the answer comes. Bytes the server read are at most the bytes sent."""
    s = socket.create_connection(("127.0.0.1", port))
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {length}\r\n{headers}\r\n"
    started = time.monotonic()
    s.sendall(head.encode())
    s.setblocking(False)
    chunk, sent, limit = b"x" * 65536, 0, length if send is None else send
    answer = b""
    while time.monotonic() - started < 60:
        readable, writable, _ = select.select([s], [s] if sent < limit else [], [], 1)
        if readable:
            with contextlib.suppress(OSError):
                answer = s.recv(4096)
            break
        if writable:
            try:
                sent += s.send(chunk[: limit - sent])
            except BlockingIOError:
                pass
            except OSError:
                break
    s.close()
    status = answer.split(b" ", 2)[1].decode() if answer else "no answer"
    return {
        "status": status,
        "seconds_to_answer": round(time.monotonic() - started, 3),
        "body_bytes_sent_before_answer": sent,
    }


_SAMPLE_SCRIPT = """
import os, resource, sys, time
import django
django.setup()
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.contrib.auth.models import User
from apps.voices import services
from apps.voices.services import Consent, SampleUpload
path = sys.argv[1]
data = open(path, "rb").read()
owner = User.objects.get(username="bench")
consent = Consent(basis="own_voice", speaker_name="Me", confirmed=True)
def rss():
    return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
before, peak_before = rss(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.monotonic()
try:
    services.voice_create(owner=owner, name="Long", consent=consent,
                          samples=[SampleUpload(SimpleUploadedFile("silence.flac", data))])
    outcome = "accepted"
except ValidationError as exc:
    outcome = " ".join(exc.messages)
seconds = time.monotonic() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"{seconds:.3f} {(peak - peak_before) / 1024:.1f} {(rss() - before) / 2**20:.1f} {outcome}")
"""


def _long_sample(env, tmp: Path) -> dict:
    path = tmp / "silence-2h.flac"
    _silent_flac(path, 2 * 3600)
    out = subprocess.run(
        [sys.executable, "-c", _SAMPLE_SCRIPT, str(path)],
        cwd=REPO, env=env, capture_output=True, text=True, check=True,
    ).stdout.strip().splitlines()[-1]  # fmt: skip
    seconds, peak_growth, rss_growth, outcome = out.split(" ", 3)
    return {
        "file_mb": round(path.stat().st_size / MB, 2),
        "seconds_to_refuse": float(seconds),
        "peak_rss_growth_mb": float(peak_growth),
        "rss_growth_mb": float(rss_growth),
        "answer": outcome,
    }


def _silent_flac(path: Path, seconds: int) -> None:
    import av
    import numpy as np

    with av.open(str(path), "w") as out:
        stream = out.add_stream("flac", rate=16000, layout="mono")
        block = np.zeros((1, 16000 * 10), dtype=np.int16)
        for _ in range(seconds // 10):
            frame = av.AudioFrame.from_ndarray(block, format="s16", layout="mono")
            frame.sample_rate = 16000
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


def _children(pid: int) -> dict[int, str]:
    found = {}
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        found[int(child)] = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
    return {p: c.decode() for p, c in found.items()}


def _kill_a_worker(supervisor: int, url: str) -> dict:
    def workers():
        return {p for p, c in _children(supervisor).items() if "--queue-name default" in c}

    (victim,) = workers()
    os.kill(victim, signal.SIGKILL)
    killed = time.monotonic()
    answered = failed = 0
    back = None
    while time.monotonic() - killed < 20:
        if _healthy(url):
            answered += 1
        else:
            failed += 1
        if back is None and workers() - {victim}:
            back = time.monotonic() - killed
        if back is not None and time.monotonic() - killed > back + 2:
            break
        time.sleep(0.1)
    return {
        "seconds_until_restarted": None if back is None else round(back, 2),
        "healthz_answered": answered,
        "healthz_failed": failed,
    }


def _wrong_logins(url: str) -> dict:
    with httpx.Client(base_url=url) as client:
        client.get("/account/login/")
        token = client.cookies["csrftoken"]
        codes = [
            client.post(
                "/account/login/",
                data={"username": "bench", "password": f"wrong-{n}", "csrfmiddlewaretoken": token},
            ).status_code
            for n in range(30)
        ]
    return {"statuses": {str(c): codes.count(c) for c in sorted(set(codes))},
            "first_429_at_try": codes.index(429) + 1 if 429 in codes else None}  # fmt: skip


def _check_deploy(tmp: Path) -> str:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "voiceportal.settings",
        "VOICEPORTAL_DATA_DIR": str(tmp / "deploy"),
        "VOICEPORTAL_ALLOWED_HOSTS": "portal.example.org",
        "VOICEPORTAL_SECURE": "true",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=REPO, env=env, capture_output=True, text=True,
    )  # fmt: skip
    return (result.stdout + result.stderr).strip()


if __name__ == "__main__":
    main()
