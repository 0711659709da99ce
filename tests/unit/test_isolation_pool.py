"""The worker pool: every way a call can die costs that call only, as one of our errors, and
the pool goes on with a fresh worker. The faults are real (a real abort, a real allocation
past RLIMIT_AS, a real hang); only the functions that cause them are made up."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from piigate.errors import CallBroke, WorkerCrashed, WorkerOutOfMemory, WorkerTimedOut
from piigate.isolation import WorkerPool
from tests.pool_faults import (
    abort_now,
    allocate_too_much,
    chatty_reader,
    double,
    hang,
    panic,
    raise_value_error,
    return_unpicklable,
    worker_pid,
)


@pytest.fixture(scope="module")
def pool() -> Iterator[WorkerPool]:
    """One worker, so every call after a fault proves the worker was replaced."""
    running = WorkerPool(1, 512 * 1024 * 1024, 20.0)
    yield running
    running.close()


def test_results_come_back_from_a_worker_process(pool: WorkerPool) -> None:
    """A call runs in another process and returns its result."""
    assert pool.run(double, 21) == 42
    assert pool.run(worker_pid) != os.getpid()


def test_the_same_worker_serves_call_after_call(pool: WorkerPool) -> None:
    """Workers are started once, not per call."""
    assert pool.run(worker_pid) == pool.run(worker_pid)


@pytest.mark.parametrize(
    ("fault", "error", "says"),
    [
        (abort_now, WorkerCrashed, "SIGABRT"),
        (allocate_too_much, WorkerOutOfMemory, "memory"),
        (hang, WorkerTimedOut, "within"),
        (panic, CallBroke, "PanicException"),
        (return_unpicklable, CallBroke, "pickle"),
    ],
)
def test_a_fault_is_our_error_and_the_next_call_is_served(
    pool: WorkerPool, fault: Callable[[], object], error: type[Exception], says: str
) -> None:
    """Abort, memory blow-up, hang and panic each end as an IsolationError naming what
    happened, and the pool answers the next call (from a fresh worker where needed)."""
    with pytest.raises(error, match=says):
        pool.run(fault, timeout=1.0 if fault is hang else None)
    assert pool.run(double, 4) == 8


def test_an_ordinary_exception_passes_through_and_keeps_the_worker(pool: WorkerPool) -> None:
    """An Exception the function raises is raised to the caller as it is; the worker stays."""
    before = pool.run(worker_pid)
    with pytest.raises(ValueError, match="ordinary"):
        pool.run(raise_value_error)
    assert pool.run(worker_pid) == before


def test_the_caller_timeout_is_shorter_than_the_pool_limit(pool: WorkerPool) -> None:
    """``timeout`` (the scan's deadline) cuts a call short of ``call_seconds`` (20 s here):
    the bound is half of that, not a speed claim (replacing the killed worker took over 2 s on
    a loaded machine)."""
    started = time.monotonic()
    with pytest.raises(WorkerTimedOut):
        pool.run(hang, timeout=0.3)
    assert time.monotonic() - started < 10.0


def test_a_crash_in_one_worker_leaves_the_others_call_alone() -> None:
    """While one worker aborts, a call in the other worker finishes with its result."""
    pair = WorkerPool(2, None, 5.0)
    try:
        pair.start()
        results: list[int] = []
        slow = threading.Thread(target=lambda: results.append(pair.run(double, 5)))
        slow.start()
        with pytest.raises(WorkerCrashed):
            pair.run(abort_now)
        slow.join()
        assert results == [10]
    finally:
        pair.close()


def test_close_stops_the_workers_and_a_later_call_starts_them_again() -> None:
    """Closing leaves no worker process behind; the pool starts again when used."""
    single = WorkerPool(1, None, 5.0)
    first = single.run(worker_pid)
    single.close()
    with pytest.raises(ProcessLookupError):
        os.kill(first, 0)
    assert single.run(double, 1) == 2
    single.close()


def test_a_worker_that_cannot_start_makes_calls_time_out_not_hang() -> None:
    """When no worker can start (here: a module to preload is missing), a call ends with
    WorkerTimedOut at its limit: the file is unscannable, never silently skipped."""
    broken = WorkerPool(1, None, 0.5, preload=("tests.no_such_module",))
    try:
        with pytest.raises(WorkerTimedOut, match="no worker free"):
            broken.run(double, 1)
    finally:
        broken.close()


def test_a_worker_that_died_while_idle_is_replaced_before_it_gets_a_call() -> None:
    """A worker killed between calls (the kernel's OOM killer, an operator) is never handed a
    call: the call goes to its replacement and succeeds."""
    single = WorkerPool(1, None, 20.0)
    try:
        first = single.run(worker_pid)
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while first in single.pids and time.monotonic() < deadline:
            time.sleep(0.01)  # the kill lands asynchronously
        assert single.run(double, 3) == 6
        assert single.pids != {first}
    finally:
        single.close()


def test_what_a_reader_logs_in_a_worker_never_reaches_the_gates_stderr(
    pool: WorkerPool, capfd: pytest.CaptureFixture[str]
) -> None:
    """A reader library's log line or warning in a worker (which writes to the gate's stderr)
    is not written: it can quote the document, PII included."""
    secret = "SSN 000-12-3456 (synthetic)"
    assert pool.run(chatty_reader, secret) == 1
    assert pool.run(double, 2) == 4  # the worker is still there, its output flushed
    assert secret not in capfd.readouterr().err
