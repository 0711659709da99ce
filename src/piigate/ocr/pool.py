"""The worker processes OCR runs in: bounded, with a memory cap and a wall-clock wait.

THE SEAM for the shared isolated pool (issue 15, part 3): every OCR call goes through
``OcrPool.run(fn, *args, timeout=...)`` with a picklable top-level ``fn``. When the shared
pool of untrusted native readers lands, ``OcrPool`` is replaced by it here and nowhere else.

Until then: a ``ProcessPoolExecutor`` of ``workers`` spawned processes (never forked from the
gate's threads), each with ``RLIMIT_AS`` at ``memory_bytes`` and recycled after a number of
images; started on the first image, so mail without images never starts it. A call that
outlasts ``timeout`` raises ``TimeoutError`` (the image is unscannable); a worker that dies
(out of memory, a crash in the engine) breaks the pool, which is replaced for the next call.
"""

from __future__ import annotations

import multiprocessing
import resource
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

T = TypeVar("T")

TASKS_PER_WORKER = 500
"""A worker is replaced after this many images (memory the engine keeps is given back)."""


class WorkerDied(Exception):  # noqa: N818 (a state, like TimeoutError)
    """The worker process reading an image died (out of memory, or a crash)."""


def _limit_memory(memory_bytes: int) -> None:
    if memory_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


class OcrPool:
    def __init__(self, workers: int, memory_bytes: int) -> None:
        self.workers = workers
        self.memory_bytes = memory_bytes
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def run(self, fn: Callable[..., T], *args: object, timeout: float) -> T:
        """``fn(*args)`` in a worker; ``TimeoutError`` after ``timeout`` seconds."""
        executor = self._started()
        future = executor.submit(fn, *args)
        try:
            return future.result(timeout=max(timeout, 0.0))
        except TimeoutError:
            future.cancel()
            raise
        except BrokenProcessPool as exc:
            self._replace(executor)
            raise WorkerDied("the OCR worker process died") from exc

    def close(self, wait: bool = False) -> None:
        """Stop the workers (``wait``: until they have exited); a later call starts new ones."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=wait, cancel_futures=True)

    def _started(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    self.workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_limit_memory,
                    initargs=(self.memory_bytes,),
                    max_tasks_per_child=TASKS_PER_WORKER,
                )
            return self._executor

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._executor is broken:
                self._executor = None
        broken.shutdown(wait=False, cancel_futures=True)
