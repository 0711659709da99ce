"""The reader for images: what is skipped, what is remembered, and the text of the rest.

    image blob ─ fewer than min_bytes ─────────────────────▶ skipped (not inspected)
               ─ seen before (content hash) ───────────────▶ the text read then
               ─ header: fewer than min_pixels ────────────▶ skipped (not inspected)
               ─ past the pixel limits ────────────────────▶ unscannable (a blocking Defect)
               ─ no engine installed ──────────────────────▶ unscannable
               ─ OCR in a worker process, within the time left ─▶ one Segment per page,
                 ``attachment scan.tiff, page 2 (text read from the image)``, noise corrected

The remembered texts are bounded (``cache_entries``, and only texts up to ``CACHE_MAX_CHARS``),
kept for the process's life: a signature logo costs one OCR per process. Every refusal is an
``ExtractionError`` or ``LimitExceeded`` naming no value; the walker makes it a Defect.
"""

from __future__ import annotations

import hashlib
import io
import threading
import time
import warnings
from collections import OrderedDict

from PIL import Image

from piigate.config import OcrSettings
from piigate.errors import (
    ExtractionError,
    IsolationError,
    LimitExceeded,
    WorkerOutOfMemory,
    WorkerTimedOut,
)
from piigate.extract.content import Blob, Content
from piigate.extract.limits import Budget
from piigate.extract.ocr_text import corrected
from piigate.isolation import WorkerPool
from piigate.model import Segment
from piigate.ocr.engine import (
    MULTI_PAGE_FORMATS,
    ImageTooLarge,
    PageLimits,
    PageText,
    engine_missing,
    read_pages,
)

FROM_IMAGE = "(text read from the image)"
CACHE_MAX_CHARS = 4096
"""Texts longer than this (a scanned page, not a logo or banner) are not remembered."""
MIB = 1024 * 1024


class SeenImages:
    """Texts read from images, by content hash, least recently used dropped first."""

    def __init__(self, entries: int) -> None:
        self.entries = entries
        self._texts: OrderedDict[bytes, tuple[PageText, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, digest: bytes) -> tuple[PageText, ...] | None:
        with self._lock:
            pages = self._texts.get(digest)
            if pages is not None:
                self._texts.move_to_end(digest)
            return pages

    def put(self, digest: bytes, pages: tuple[PageText, ...]) -> None:
        if self.entries == 0 or sum(len(p.text) for p in pages) > CACHE_MAX_CHARS:
            return
        with self._lock:
            self._texts[digest] = pages
            while len(self._texts) > self.entries:
                self._texts.popitem(last=False)


class ImageReader:
    """A ``Reader`` (blob, budget → Content) for the ``image`` kind, built once at start-up."""

    def __init__(self, settings: OcrSettings, pool: WorkerPool | None = None) -> None:
        self.settings = settings
        self.missing = engine_missing(str(settings.tessdata)) if settings.enabled else None
        """Why no image can be read on this machine (None: the engine is there)."""
        self.pool = pool or WorkerPool(
            settings.workers,
            settings.worker_memory_mib * MIB,
            settings.timeout,
            preload=("piigate.ocr.engine",),
        )
        """The shared isolated pool's mechanism (``piigate.isolation``), with workers of its
        own: started on the first image, so mail without images never starts them."""
        self.limits = PageLimits(
            str(settings.tessdata), settings.max_image_pixels, settings.max_pages, settings.max_side
        )
        self.seen = SeenImages(settings.cache_entries)
        self.ocr_runs = 0
        """Images actually sent to the engine (for the tests and the metrics)."""

    def __call__(self, blob: Blob, budget: Budget) -> Content:
        if not self.settings.enabled or len(blob.data) < self.settings.min_bytes:
            return Content(inspected=False)
        digest = hashlib.sha256(blob.data).digest()
        pages = self.seen.get(digest)
        if pages is None:
            pixels = _pixels(blob.data, self.limits)
            if pixels < self.settings.min_pixels:
                return Content(inspected=False)
            pages = self._read(blob, budget, pixels)
            self.seen.put(digest, pages)
        return Content(placed=[_segment(blob, page) for page in pages if page.text.strip()])

    def _read(self, blob: Blob, budget: Budget, pixels: int) -> tuple[PageText, ...]:
        if self.missing is not None:
            raise ExtractionError("the text in the image cannot be read: no OCR engine installed")
        budget.take_pixels(pixels, self.settings.max_message_pixels)
        wait = budget.ocr_time_left(self.settings.timeout)
        if wait <= 0:
            raise ExtractionError("no time was left to read the text in the image")
        started = time.monotonic()
        try:
            self.ocr_runs += 1
            return self.pool.run(read_pages, blob.data, self.limits, timeout=wait)
        except WorkerTimedOut:
            raise ExtractionError("reading the text in the image took too long") from None
        except WorkerOutOfMemory:
            raise ExtractionError("reading the text in the image needed too much memory") from None
        except ImageTooLarge:
            raise LimitExceeded(f"image larger than {_mega(self.limits.max_pixels)}") from None
        except IsolationError as exc:  # the worker crashed or the engine broke
            raise ExtractionError(f"reading the text in the image failed: {exc}") from None
        finally:
            budget.ocr_seconds += time.monotonic() - started

    def close(self) -> None:
        self.pool.close()


def _segment(blob: Blob, page: PageText) -> Segment:
    place = f"{blob.where}, page {page.number}" if page.number else blob.where
    return Segment(f"{place} {FROM_IMAGE}", corrected(page.text), blob.grade)


def _pixels(data: bytes, limits: PageLimits) -> int:
    """Pixels the image declares, all pages (from its header; nothing is decoded here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as image:
                frames = getattr(image, "n_frames", 1) if image.format in MULTI_PAGE_FORMATS else 1
                pixels = image.width * image.height * frames
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise LimitExceeded(f"image larger than {_mega(limits.max_pixels)}") from None
        except (OSError, ValueError, SyntaxError) as exc:
            raise ExtractionError(f"broken image ({type(exc).__name__})") from None
    if frames > limits.max_pages:
        raise LimitExceeded(f"image of more than {limits.max_pages} pages")
    if pixels > limits.max_pixels:
        raise LimitExceeded(f"image larger than {_mega(limits.max_pixels)}")
    return int(pixels)


def _mega(pixels: int) -> str:
    return f"{pixels / 1e6:g} megapixels"
