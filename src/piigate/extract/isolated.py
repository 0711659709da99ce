"""Reading one blob in the isolated worker pool, so a reader's crash costs only that blob.

The walk stays in the gate's process; each blob whose kind opens a file (anything but plain
text and HTML, which the gate reads on its event loop) is read by one call in the pool:

    gate process: Walker ── (kind, Blob, Budget) ──▶ worker: READERS[kind](blob, budget)
                         ◀── (Content, Budget) ────    (native parsing: PDFium, calamine,
                                                        lxml, zlib, msoffcrypto ...)

What crosses is plain data: the Blob's bytes, the Budget's counters, and the Content read
(text, tables, defects, member Blobs). A Lock cannot cross (its ``open`` keeps the parsed
document), so the worker sends its grade and method, and each password tried is one more
call, which reads the blob again and tries that password there. The worker finds the reader
by kind in a table named by module (``ReaderTable``): any reader in ``READERS`` runs
isolated, closures included, and a test can name a table of its own.

A crash, a memory blow-up, a time limit or a panic becomes an ExtractionError for that blob
(a blocking Defect naming it; not a LimitExceeded, which would stop the password trials of
the whole message); the scan deadline passing becomes MessageLimitExceeded. The deadline is
a ``time.monotonic()`` value: one clock for every process on the machine.
"""

from __future__ import annotations

import functools
import importlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TypeVar, cast

from piigate.errors import (
    CallBroke,
    ExtractionError,
    WorkerCrashed,
    WorkerOutOfMemory,
    WorkerTimedOut,
)
from piigate.extract.content import Blob, Content, Lock, Reader
from piigate.extract.limits import Budget
from piigate.extract.programs import PROGRAM_KINDS
from piigate.isolation import WorkerPool

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ReaderTable:
    """Where a worker finds the readers: a module-level mapping, kind → Reader."""

    module: str = "piigate.extract.registry"
    attribute: str = "READERS"

    def load(self) -> Mapping[str, Reader]:
        return cast(
            Mapping[str, Reader], getattr(importlib.import_module(self.module), self.attribute)
        )


def read_in_worker(
    table: ReaderTable, kind: str, blob: Blob, budget: Budget
) -> tuple[Content, Budget]:
    """Runs in a worker: read ``blob``; its Lock travels as grade and method only."""
    content = table.load()[kind](blob, budget)
    return _portable(content), budget


def open_in_worker(
    table: ReaderTable, kind: str, blob: Blob, budget: Budget, password: str
) -> tuple[Content | None, Budget]:
    """Runs in a worker: read ``blob`` again (not counted twice) and try ``password`` on it."""
    spent, members = budget.spent_bytes, budget.members
    content = table.load()[kind](blob, budget)
    budget.spent_bytes, budget.members = spent, members
    opened = content.lock.open(password) if content.lock is not None else None
    return (_portable(opened) if opened is not None else None), budget


def _opened_elsewhere(password: str) -> Content | None:
    """The ``open`` of a Lock sent from a worker; the gate puts a real one in its place."""
    return None


def _portable(content: Content) -> Content:
    """What crosses back: the Lock without its ``open``, the members deflated."""
    if content.lock is not None:
        content.lock = replace(content.lock, open=_opened_elsewhere)
    content.children = [child.deflate() for child in content.children]
    return content


class IsolatedReading:
    """Reads blobs of every kind but ``in_process`` in ``pool``, at most ``file_seconds``
    each, or ``program_seconds`` for the kinds read by a program (``PROGRAM_KINDS``; by
    default the same limit), and never past the scan deadline. The pool's own limit per call
    must allow the longer of the two."""

    def __init__(
        self,
        pool: WorkerPool,
        in_process: frozenset[str],
        file_seconds: float,
        table: ReaderTable | None = None,
        program_seconds: float | None = None,
    ) -> None:
        self.pool = pool
        self.in_process = in_process
        self.file_seconds = file_seconds
        self.program_seconds = file_seconds if program_seconds is None else program_seconds
        self.table = table or ReaderTable()

    def takes(self, kind: str) -> bool:
        return kind not in self.in_process

    def read(self, kind: str, blob: Blob, budget: Budget) -> Content:
        content, spent = self._call(
            read_in_worker, self._seconds(kind), budget, self.table, kind, blob, budget
        )
        _settle(budget, spent)
        if content.lock is not None:
            opener = functools.partial(self._open, kind, blob, budget)
            content.lock = Lock(content.lock.grade, content.lock.method, opener)
        return content

    def _open(self, kind: str, blob: Blob, budget: Budget, password: str) -> Content | None:
        opened, spent = self._call(
            open_in_worker, self._seconds(kind), budget, self.table, kind, blob, budget, password
        )
        _settle(budget, spent)
        return opened

    def _seconds(self, kind: str) -> float:
        return self.program_seconds if kind in PROGRAM_KINDS else self.file_seconds

    def _call(self, fn: Callable[..., T], seconds: float, budget: Budget, *args: object) -> T:
        timeout = seconds
        if budget.deadline is not None:
            timeout = min(timeout, budget.deadline - time.monotonic())
        budget.check_time()
        try:
            return self.pool.run(fn, *args, timeout=timeout)
        except WorkerTimedOut:
            budget.check_time()  # the scan's own deadline: reading stops here
            raise ExtractionError(f"reading took longer than {seconds:g} s") from None
        except WorkerOutOfMemory:
            limit = self.pool.memory_bytes or 0
            raise ExtractionError(f"reading needed more than {limit / 2**20:g} MiB") from None
        except (WorkerCrashed, CallBroke) as exc:
            raise ExtractionError(f"the reader failed: {exc}") from None


def _settle(budget: Budget, spent: Budget) -> None:
    """What the reader took from the budget in the worker, taken here too."""
    budget.spent_bytes = spent.spent_bytes
    budget.members = spent.members
