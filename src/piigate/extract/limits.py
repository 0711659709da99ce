"""The per-message extraction budget: bytes, members, depth and the scan deadline.

Readers ask the budget before they decompress anything, using the sizes the container
declares, and again as bytes actually arrive, so a lying header cannot get past it. Every
refusal is a ``LimitExceeded``; the walker turns it into a blocking Defect.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from piigate.config import ExtractionSettings
from piigate.errors import LimitExceeded


class MessageLimitExceeded(LimitExceeded):
    """A limit on the whole message (time, total bytes, members): reading stops there."""


@dataclass(slots=True)
class Budget:
    settings: ExtractionSettings
    deadline: float | None = None
    """``time.monotonic()`` value after which reading stops."""
    spent_bytes: int = 0
    members: int = field(default=0)
    pixels: int = 0
    """Image pixels sent to OCR (``take_pixels``)."""
    ocr_seconds: float = 0.0
    """Seconds spent waiting for OCR in this message."""

    def check_time(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise MessageLimitExceeded("scan time limit reached")

    def check_depth(self, depth: int) -> None:
        if depth > self.settings.max_depth:
            raise LimitExceeded(f"containers nested deeper than {self.settings.max_depth}")

    def take_member(self) -> None:
        self.members += 1
        if self.members > self.settings.max_members:
            raise MessageLimitExceeded(f"more than {self.settings.max_members} archive members")

    def check_member(self, size: int, compressed: int | None = None) -> None:
        """Refuse a member whose (declared or actual) size or ratio is past the limits."""
        limit = self.settings.max_member_bytes
        if size > limit:
            raise LimitExceeded(f"a member decompresses to more than {_mib(limit)}")
        if (
            compressed is not None
            and size > self.settings.ratio_grace_bytes
            and size > self.settings.max_ratio * max(compressed, 1)
        ):
            raise LimitExceeded(f"compression ratio above {self.settings.max_ratio:g}:1")

    def take_bytes(self, size: int) -> None:
        self.spent_bytes += size
        if self.spent_bytes > self.settings.max_total_bytes:
            limit = _mib(self.settings.max_total_bytes)
            raise MessageLimitExceeded(f"more than {limit} extracted from the message")

    def take_pixels(self, pixels: int, limit: int) -> None:
        """Count an image's pixels; past ``limit`` for the message, that image is refused."""
        if self.pixels + pixels > limit:
            raise LimitExceeded(f"more than {limit / 1e6:g} megapixels of images in the message")
        self.pixels += pixels

    def ocr_time_left(self, ocr_timeout: float) -> float:
        """Seconds OCR may still take: its own budget, and never past the scan deadline."""
        left = ocr_timeout - self.ocr_seconds
        if self.deadline is not None:
            left = min(left, self.deadline - time.monotonic())
        return left


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):g} MiB"
