"""Who is running a job, and whether that process is still alive."""

import os
import socket


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
