"""The one exception tree of piigate. Third-party errors are translated at the boundary.

    PiigateError
    ├── ConfigError          a settings or rules file (or environment variable) is invalid
    ├── ScanError            the pipeline could not screen a message (always a 451)
    │   └── DetectionTimeout     detection ran out of its share of scan.timeout
    ├── ExtractionError      content could not be read (becomes a blocking Defect)
    │   └── LimitExceeded        a message hit an extraction limit (size, depth, time ...)
    ├── RelayError
    │   ├── RelayTemporaryError   upstream unreachable, timed out or answered 4xx
    │   └── RelayPermanentError   upstream answered 5xx
    ├── QuarantineError      the quarantine store could not keep a message
    ├── LedgerError          the disclosure ledger could not be read or written
    └── IsolationError       a call in the isolated worker pool gave no result
        ├── WorkerCrashed        its worker process died (a signal, an abort)
        ├── WorkerOutOfMemory    it needed more memory than the worker's limit
        ├── WorkerTimedOut       it (or the wait for a free worker) passed its time limit
        └── CallBroke            it raised something that is not an Exception, or unpicklable

Messages never carry a PII value: they name files, settings, rule ids and SMTP codes.
"""

from __future__ import annotations

import asyncio

STOPPING = (KeyboardInterrupt, SystemExit, GeneratorExit, asyncio.CancelledError)
"""The BaseExceptions that mean "stop" (Ctrl-C, exit, a generator or a task being closed):
they always pass. Any other BaseException raised by a library (python-calamine's pyo3
``PanicException``) means that library broke: the part it read is unscannable, and the
SMTP client still gets its answer."""


class PiigateError(Exception):
    """Base of every error piigate raises on purpose."""


class ConfigError(PiigateError):
    """Invalid configuration; ``str()`` is one line naming the file, line and key."""


class ScanError(PiigateError):
    pass


class DetectionTimeout(ScanError):  # noqa: N818  (reads as what happened)
    """Detection passed its deadline; the screener turns this into a blocking defect."""


class ExtractionError(PiigateError):
    """Content could not be read; the message names the part and the reason, never a value."""


class LimitExceeded(ExtractionError):  # noqa: N818  (reads as what happened)
    """An extraction limit was reached (decompressed size, ratio, depth, members, time)."""


class RelayError(PiigateError):
    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class RelayTemporaryError(RelayError):
    pass


class RelayPermanentError(RelayError):
    pass


class QuarantineError(PiigateError):
    pass


class LedgerError(PiigateError):
    pass


class IsolationError(PiigateError):
    """A call run in the worker pool (``piigate.isolation``) gave no result."""


class WorkerCrashed(IsolationError):  # noqa: N818  (reads as what happened)
    pass


class WorkerOutOfMemory(IsolationError):  # noqa: N818  (reads as what happened)
    pass


class WorkerTimedOut(IsolationError):  # noqa: N818  (reads as what happened)
    pass


class CallBroke(IsolationError):  # noqa: N818  (reads as what happened)
    pass
