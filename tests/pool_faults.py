"""Functions a worker process runs to fail in each way a native reader can: a real abort, a
real allocation past RLIMIT_AS, a real hang, a panic. This module imports nothing heavy, so a
fresh worker loads it in no time."""

from __future__ import annotations

import logging
import os
import threading
import time
import warnings
from collections.abc import Callable


class PanicException(BaseException):
    """What pyo3 raises when Rust code panics (python-calamine on a broken .xlsb)."""


def double(value: int) -> int:
    return value * 2


def worker_pid() -> int:
    return os.getpid()


def chatty_reader(secret: str) -> int:
    """A reader library logging and warning with what it read (as pypdf's warnings do)."""
    logging.getLogger("pypdf._reader").warning("object at byte 9: %s", secret)
    warnings.warn(f"odd value {secret}", UserWarning, stacklevel=1)
    return 1


def abort_now() -> None:
    os.abort()


def allocate_too_much() -> int:
    chunks = [bytearray(64 * 1024 * 1024) for _ in range(1024)]  # 64 GiB, past any limit
    return len(chunks)


def hang() -> None:
    time.sleep(3600)


def panic() -> None:
    raise PanicException("a Rust panic")


def raise_value_error() -> None:
    raise ValueError("an ordinary failure")


def return_unpicklable() -> object:
    return threading.Lock()


def timed(fn: Callable[..., object], rounds: int, *args: object) -> float:
    """Median seconds of ``fn(*args)`` inside the worker (a benchmark's probe)."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - started)
    return sorted(times)[len(times) // 2]
