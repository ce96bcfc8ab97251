"""Keeps the portal's processes running for `make run`: a process that dies is started again
after a back-off, with a log line, while the others go on (a killed worker no longer takes the
web server down). SIGINT (Ctrl-C) or SIGTERM stops them all.

Usage: supervise.py NAME -- COMMAND ARGS [:: NAME -- COMMAND ARGS ...]

Plain Python with no Django import, so that a broken settings file cannot stop supervision.
"""

import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

FIRST_DELAY, MAX_DELAY = 1.0, 30.0
# A process that ran this long before dying was healthy: its next restart waits FIRST_DELAY.
HEALTHY_AFTER = 30.0
STOP_GRACE = 10.0


@dataclass
class Child:
    name: str
    args: list[str]
    process: subprocess.Popen | None = None
    started: float = 0.0
    delay: float = FIRST_DELAY
    restart_at: float | None = field(default=None)

    def start(self) -> None:
        self.process = subprocess.Popen(self.args)
        self.started, self.restart_at = time.monotonic(), None
        log(f"started {self.name} (pid {self.process.pid})")

    def check(self, now: float) -> None:
        if self.restart_at is not None:
            if now >= self.restart_at:
                self.start()
            return
        code = self.process.poll()
        if code is None:
            return
        ran = now - self.started
        if ran >= HEALTHY_AFTER:
            self.delay = FIRST_DELAY
        wait, self.delay = self.delay, min(self.delay * 2, MAX_DELAY)
        self.restart_at = now + wait
        log(f"{self.name} (pid {self.process.pid}) exited with {code} after {ran:.1f} s; "
            f"restarting in {wait:g} s")  # fmt: skip


def log(message: str) -> None:
    print(f"supervise: {message}", file=sys.stderr, flush=True)


def parse(argv: list[str]) -> list[Child]:
    children, current = [], []
    for arg in [*argv, "::"]:
        if arg != "::":
            current.append(arg)
            continue
        if len(current) < 3 or current[1] != "--":
            raise SystemExit(__doc__)
        children.append(Child(current[0], current[2:]))
        current = []
    return children


def stop(children: list[Child]) -> None:
    running = [c.process for c in children if c.process and c.process.poll() is None]
    for process in running:
        process.terminate()
    deadline = time.monotonic() + STOP_GRACE
    for process in running:
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main(argv: list[str]) -> int:
    children = parse(argv)
    stopping = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.append(True))
    for child in children:
        child.start()
    try:
        while not stopping:
            now = time.monotonic()
            for child in children:
                if not stopping:  # Ctrl-C reaches the children too: do not start them again
                    child.check(now)
            time.sleep(0.2)
    finally:
        log("stopping")
        stop(children)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
