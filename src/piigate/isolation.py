"""One pool of worker processes for code that may crash, hang or eat memory on hostile input.

    caller thread ── run(fn, *args) ──▶ an idle worker: its own process and pipe, RLIMIT_AS
                  ◀── fn's result, or the Exception fn raised (when it pickles)
    fn passes the time limit      ─▶ the worker is killed and replaced ─▶ WorkerTimedOut
    the worker dies (abort, SEGV) ─▶ it is replaced                    ─▶ WorkerCrashed
    fn runs out of memory         ─▶ the worker exits and is replaced  ─▶ WorkerOutOfMemory
    fn raises a BaseException that is not an Exception (a pyo3 PanicException) or an
    exception that does not pickle ─▶ the worker is replaced           ─▶ CallBroke

A fault costs the one call that met it; the other workers, and the calls they run, go on.
The pool knows nothing about what it runs: ``fn`` is any picklable top-level function and
its arguments and result must pickle. Workers are started once (on ``start()`` or the first
call) as fresh interpreters (``python -I``) that import ``preload`` and then wait for calls on
a socket pair: not ``fork`` (the gate has threads, which a fork copies mid-flight), and not
multiprocessing's ``forkserver``/``spawn``, which run the parent's ``__main__`` again in
every worker (for ``piigate serve`` that imports the whole gate, spaCy included, per worker).
Workers ignore SIGINT (the gate stops them), dump no core (it would hold the mail being
read) and exit on their own when the gate's process is gone.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import queue
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import TypeVar

import structlog

from piigate.errors import CallBroke, WorkerCrashed, WorkerOutOfMemory, WorkerTimedOut
from piigate.logs import silence_reader_logs

log = structlog.get_logger("piigate.isolation")

T = TypeVar("T")

_OK, _RAISED, _BROKE, _OUT_OF_MEMORY = "ok", "raised", "broke", "out-of-memory"
_READY = "ready"
_STOP_GRACE = 2.0
"""Seconds a worker gets to exit when asked, before it is killed."""
_BOOT = (
    "import json, sys; sys.path[:] = json.loads(sys.argv[1]); "
    "from piigate.isolation import serve_worker; serve_worker()"
)
"""What a worker runs: a fresh interpreter (``-I``: no user site, no current directory on the
path), with the gate's own sys.path."""
_BOOT_SECONDS = 60.0
"""Seconds a new worker gets to be ready (its boot is not charged to the call it serves)."""


def _serve(conn: Connection) -> None:
    """Answer calls until told to stop (None) or the parent goes away."""
    conn.send(_READY)
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        status, value = _call(*request)
        try:
            conn.send((status, value))
        except Exception as exc:  # the result or the exception does not pickle
            conn.send((_BROKE, f"its result does not pickle ({type(exc).__name__})"))
        if status in (_BROKE, _OUT_OF_MEMORY):
            return  # a panic or a failed allocation may leave native state broken


def _call(fn: Callable[..., object], args: tuple[object, ...]) -> tuple[str, object]:
    try:
        return _OK, fn(*args)
    except MemoryError:
        return _OUT_OF_MEMORY, None
    except Exception as exc:
        return _RAISED, exc
    except BaseException as exc:  # a library's panic: never the worker's SystemExit to obey
        return _BROKE, f"it raised {type(exc).__name__}"


class _Worker:
    def __init__(self, memory_bytes: int | None, preload: Sequence[str]) -> None:
        """Launch the process; ``ready()`` waits for it (so several boot at once)."""
        ours, theirs = socket.socketpair()
        with theirs:
            argv = [json.dumps(sys.path), str(theirs.fileno()), str(memory_bytes or 0)]
            self.process = subprocess.Popen(  # noqa: S603  (our interpreter, our code)
                [sys.executable, "-I", "-c", _BOOT, *argv, *preload],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
            )
        self.conn = Connection(ours.detach())

    def ready(self) -> _Worker:
        try:
            ready = self.conn.poll(_BOOT_SECONDS) and self.conn.recv() == _READY
        except (OSError, EOFError):
            ready = False
        if not ready:
            self.kill()
            raise WorkerCrashed("a worker process did not start")
        return self

    def call(self, fn: Callable[..., T], args: tuple[object, ...], timeout: float) -> T:
        try:
            self.conn.send((fn, args))
            ready = self.conn.poll(max(timeout, 0.0))
        except (OSError, EOFError) as exc:
            raise WorkerCrashed(self._death()) from exc
        if not ready:
            raise WorkerTimedOut(f"no result within {timeout:.3g} s")
        try:
            status, value = self.conn.recv()
        except (OSError, EOFError) as exc:
            raise WorkerCrashed(self._death()) from exc
        if status == _OK:
            return value  # type: ignore[no-any-return]
        if status == _RAISED:
            raise value
        if status == _OUT_OF_MEMORY:
            raise WorkerOutOfMemory("it needed more memory than the worker's limit")
        raise CallBroke(str(value))

    def _death(self) -> str:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(_STOP_GRACE)
        code = self.process.returncode
        if code is not None and code < 0:
            return f"the worker died of {signal.Signals(-code).name}"
        return f"the worker exited ({code})"

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.send(None)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(_STOP_GRACE)
        self.kill()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.conn.close()


class WorkerPool:
    """``workers`` processes, each limited to ``memory_bytes`` of address space (None: no
    limit) and ``call_seconds`` per call; ``preload``: modules each worker imports as it
    starts (so no call pays for them)."""

    def __init__(
        self,
        workers: int,
        memory_bytes: int | None,
        call_seconds: float,
        preload: Sequence[str] = (),
    ) -> None:
        self.workers = workers
        self.memory_bytes = memory_bytes
        self.call_seconds = call_seconds
        self._preload = tuple(preload)
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()  # the last used is warmest
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._generation = 0
        self._running = False

    @property
    def pids(self) -> frozenset[int]:
        """The worker processes alive now (for health checks and tests)."""
        return frozenset(w.process.pid for w in list(self._all) if w.process.poll() is None)

    def start(self) -> None:
        """Start the workers (once; again after ``close``)."""
        with self._lock:
            if self._running:
                return
            started = time.perf_counter()
            booting = [self._launch() for _ in range(self.workers)]
            for worker in booting:
                self._adopt(worker)
            self._running = True
        log.info(
            "worker pool started",
            workers=self._idle.qsize(),
            start_ms=round((time.perf_counter() - started) * 1000, 1),
        )

    def run(self, fn: Callable[..., T], *args: object, timeout: float | None = None) -> T:
        """``fn(*args)`` in a worker, within ``timeout`` seconds (at most ``call_seconds``,
        waiting for a free worker included). Raises what ``fn`` raised (an Exception that
        pickles) or an ``IsolationError``; the worker is replaced whenever it may be unsound."""
        self.start()  # once; its boot is not charged to the call
        self._top_up()
        limit = self.call_seconds if timeout is None else min(timeout, self.call_seconds)
        until = time.monotonic() + limit
        generation = self._generation
        worker = self._take(until, limit)
        sound = False
        try:
            result = worker.call(fn, args, until - time.monotonic())
            sound = True
            return result
        except (WorkerTimedOut, WorkerCrashed, WorkerOutOfMemory, CallBroke) as exc:
            log.warning("isolated call failed", fn=fn.__name__, error=type(exc).__name__)
            raise
        except Exception:
            sound = True  # fn raised an ordinary exception: the worker is fine
            raise
        finally:
            self._give_back(worker, sound, generation)

    def _take(self, until: float, limit: float) -> _Worker:
        """An idle worker that is still alive (one that died idle, say to the kernel's OOM
        killer, is replaced rather than handed a file it would fail on)."""
        while True:
            try:
                worker = self._idle.get(timeout=max(until - time.monotonic(), 0.0))
            except queue.Empty:
                raise WorkerTimedOut(f"no worker free within {limit:.3g} s") from None
            if worker.process.poll() is None:
                return worker
            self._retire(worker, worker.kill)
            self._top_up()

    def _give_back(self, worker: _Worker, sound: bool, generation: int) -> None:
        if not sound:
            self._retire(worker, worker.kill)
        with self._lock:
            current = self._running and generation == self._generation
        if not current:
            if sound:
                self._retire(worker, worker.stop)
        elif sound:
            self._idle.put(worker)
        else:
            self._top_up()

    def _top_up(self) -> None:
        """Start a worker in place of each one lost (the lock is held only to launch it, not
        while it boots, so other callers are not held up by the replacement)."""
        with self._lock:
            if not self._running or len(self._all) >= self.workers:
                return
            worker = self._launch()
        self._adopt(worker)

    def _adopt(self, worker: _Worker) -> None:
        """Put a launched worker to work once it is ready; one that fails to start is dropped
        (the next call starts another) and its calls wait for the others."""
        try:
            self._idle.put(worker.ready())
        except WorkerCrashed:
            self._all.discard(worker)
            log.error("a worker process did not start")

    def _launch(self) -> _Worker:
        worker = _Worker(self.memory_bytes, self._preload)
        self._all.add(worker)
        return worker

    def _retire(self, worker: _Worker, how: Callable[[], None]) -> None:
        how()
        self._all.discard(worker)

    def close(self) -> None:
        """Stop every worker (one busy with a call is killed: its caller gets WorkerCrashed);
        the pool starts again if it is used after this."""
        with self._lock:
            self._running = False
            self._generation += 1
            idle = []
            while True:
                try:
                    idle.append(self._idle.get_nowait())
                except queue.Empty:
                    break
            for worker in list(self._all):
                self._retire(worker, worker.stop if worker in idle else worker.kill)


def serve_worker() -> None:
    """A worker process's entry (``_BOOT``): argv is the parent's sys.path (set by _BOOT),
    the socket's descriptor, the memory limit (0: none) and the modules to preload."""
    descriptor, memory, *preload = sys.argv[2:]
    conn = Connection(int(descriptor))
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a core file would hold the mail read
    if int(memory):
        resource.setrlimit(resource.RLIMIT_AS, (int(memory), int(memory)))
    threading.Thread(target=_exit_when_orphaned, args=(os.getppid(),), daemon=True).start()
    # The worker writes to the gate's stderr: no reader's log line or warning may reach it.
    silence_reader_logs()
    warnings.simplefilter("ignore")
    for module in preload:
        importlib.import_module(module)
    _serve(conn)


def _exit_when_orphaned(parent: int) -> None:
    """A worker never outlives the gate, even one stuck in a reader when the gate was killed."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)
