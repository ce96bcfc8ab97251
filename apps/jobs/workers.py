"""Who is running a job, and whether that process is still alive."""

import os
import socket
import threading


def worker_id() -> str:
    """host:pid of this process; computed on each call so forked workers get their own."""
    return f"{socket.gethostname()}:{os.getpid()}"


def is_local_and_dead(worker: str) -> bool:
    """True when `worker` ran on this host and its process is gone."""
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, owned by another user
        return False
    return False


def worker_is_gone(worker: str, heartbeat_at, *, stale_after: float | None = None) -> bool:
    """Whether a job's worker died: its process is gone from this host, or (anywhere) it has
    not reported for `stale_after` seconds (VOICEPORTAL_JOB_STALE_SECONDS by default)."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    stale_after = stale_after or settings.VOICEPORTAL_JOB_STALE_SECONDS
    stale = heartbeat_at is not None and heartbeat_at < timezone.now() - timedelta(
        seconds=stale_after
    )
    return is_local_and_dead(worker) or stale


class Heartbeat:
    """Calls `beat` every `every` seconds in a background thread while a long engine call runs,
    so recovery (which re-queues jobs whose heartbeat went stale) never takes a live job for a
    dead one. Use as a context manager around the call."""

    def __init__(self, beat, *, every: float = 30.0):
        self.beat = beat
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="heartbeat")

    def __enter__(self) -> "Heartbeat":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        from django.db import close_old_connections

        try:
            while not self._stop.wait(self.every):
                self.beat()
        finally:
            close_old_connections()  # this thread's own database connection
