"""Real worker processes for tests: start ``edihub run``, stop it, kill it, wait for conditions;
and a dispatcher thread held mid-write (a stopped worker, deterministically)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable


class WorkerProcess:
    """One ``edihub run`` process on an instance."""

    def __init__(self, home: Path, env: dict[str, str] | None = None, log: Path | None = None):
        self.home = home
        self.log = log or home / f"worker-{time.monotonic_ns()}.log"
        full_env = {**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"}
        with open(self.log, "w") as out:   # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen([sys.executable, "-m", "hub", "--home", str(home), "-v", "run"],
                                         stdout=out, stderr=subprocess.STDOUT, env=full_env)

    def terminate(self, timeout: float = 60) -> int:
        """SIGTERM, then wait for a clean exit; return the exit status."""
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def kill(self) -> None:
        """SIGKILL: the crash no code can catch; reaped at once so its pid reads as dead."""
        self.proc.kill()
        self.proc.wait(30)

    def output(self) -> str:
        """What the worker logged."""
        return self.log.read_text(errors="replace")


def wait_for(condition: Callable[[], bool], timeout: float, what: str, procs=()) -> None:
    """Poll ``condition`` until it holds; fail after ``timeout`` s or when a worker died."""
    deadline = time.monotonic() + timeout
    while not condition():
        for p in procs:
            if p.proc.poll() is not None:
                raise AssertionError(f"worker exited ({p.proc.returncode}) while waiting for {what}:\n"
                                     + p.output()[-3000:])
        if time.monotonic() > deadline:
            logs = "\n".join(p.output()[-2000:] for p in procs)
            raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{logs}")
        time.sleep(0.05)


class HeldWorker:
    """A dispatcher run in a thread that is held at one point of its work until released:
    a worker stopped (SIGSTOP, a frozen VM) in the middle of writing a document, made
    deterministic. ``hold`` is installed where the transport opens its temporary file."""

    def __init__(self, run: Callable[[], object]):
        self.inside, self.released = threading.Event(), threading.Event()
        self.result: object = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._main, args=(run,), daemon=True)

    def _main(self, run: Callable[[], object]) -> None:
        try:
            self.result = run()
        except BaseException as exc:   # handed to the test by join()
            self.error = exc

    def hold(self) -> None:
        """Called by the hooked code: holds this worker's thread (once), others pass."""
        if threading.current_thread() is self.thread and not self.inside.is_set():
            self.inside.set()
            if not self.released.wait(120):
                raise AssertionError("the held worker was never released")

    def start_and_wait_until_held(self) -> None:
        """Start the worker and return once it is held inside its write."""
        self.thread.start()
        if not self.inside.wait(120):
            raise AssertionError(f"the worker never reached its write (error: {self.error!r})")

    def release_and_join(self) -> object:
        """Let the worker go on; return what its run returned (re-raising its error)."""
        self.released.set()
        self.thread.join(120)
        if self.error is not None:
            raise self.error
        return self.result
