import os
import socket
import subprocess
import sys
import time

from apps.jobs.workers import Heartbeat, is_local_and_dead, worker_id


def test_it_beats_while_the_work_runs_and_stops_after():
    beats = []
    with Heartbeat(lambda: beats.append(time.monotonic()), every=0.05):
        time.sleep(0.3)
    count = len(beats)
    assert count >= 3
    time.sleep(0.15)
    assert len(beats) == count


def test_it_tells_a_dead_local_worker_from_a_live_or_remote_one():
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    assert is_local_and_dead(f"{socket.gethostname()}:{finished.pid}")
    assert not is_local_and_dead(worker_id())
    assert worker_id().endswith(f":{os.getpid()}")
    assert not is_local_and_dead(f"another-host:{finished.pid}")
