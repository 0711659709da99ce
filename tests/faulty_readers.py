"""Readers that break on demand: faults no real file can be made to produce when asked (a pyo3
panic, an abort, a memory blow-up, a hang). A worker process finds them by module name
(``ReaderTable("tests.faulty_readers")``), so each is a top-level function.

A PDF attachment whose bytes carry one of the markers below breaks its reader that way;
every other PDF, and every other kind, is read by the real reader.
"""

from __future__ import annotations

import os
import time

from piigate.extract import pdf
from piigate.extract.content import Blob, Content, Lock
from piigate.extract.limits import Budget
from piigate.extract.registry import READERS as REAL_READERS
from piigate.model import Grade
from tests.pool_faults import PanicException, allocate_too_much

PANIC, ABORT, HOG, HANG = b"%%PANIC", b"%%ABORT", b"%%HOG", b"%%HANG"
LOCKED_ABORT = b"%%LOCKED-ABORT"
"""An encrypted PDF whose decrypter aborts on the first password tried."""


def faulty_pdf(blob: Blob, budget: Budget) -> Content:
    if PANIC in blob.data:
        raise PanicException("called `Option::unwrap()` on a `None` value")
    if ABORT in blob.data:
        os.abort()
    if HOG in blob.data:
        return Content(text=str(allocate_too_much()))
    if HANG in blob.data:
        time.sleep(3600)
    if LOCKED_ABORT in blob.data:
        return Content(lock=Lock(Grade.ENCRYPTED_WEAK, "pdf RC4-40", abort_on_open))
    return pdf.read_pdf(blob, budget)


def abort_on_open(password: str) -> Content | None:
    os.abort()


READERS = {**REAL_READERS, "pdf": faulty_pdf}


def faulty_pdf_attachment(marker: bytes) -> tuple[str, bytes, str]:
    """An attachment sniffed as a PDF whose reader breaks as ``marker`` says."""
    return ("report.pdf", b"%PDF-1.4\n" + marker + b"\n%%EOF\n", "application/pdf")
