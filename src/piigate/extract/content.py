"""The values readers exchange: a Blob to read, the Content read from it, a Lock on it."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from piigate.extract.limits import Budget
from piigate.labels import mask_label
from piigate.model import Defect, Grade, Segment, Table

DEFLATE_MIN_BYTES = 256 * 1024
"""Members smaller than this cross from the worker as they are."""


@dataclass(frozen=True, slots=True)
class Blob:
    """One piece of content to read: a MIME leaf part, or a member of a container.

    ``name`` is the attachment's path (``outer.zip/inner.csv``), empty for a message body;
    ``grade`` is the protection inherited from an encrypted container it was opened from.
    """

    name: str
    data: bytes = field(repr=False)
    content_type: str = "application/octet-stream"
    charset: str | None = None
    depth: int = 0
    grade: Grade = Grade.PLAINTEXT
    where_label: str = ""
    deflated: bool = False
    """``data`` is zlib-compressed (``deflate``): a container's members cross from the
    isolated worker and wait their turn at a fraction of their size; the walker inflates
    each one just before reading it."""

    @property
    def is_attachment(self) -> bool:
        return bool(self.name)

    @property
    def where(self) -> str:
        if self.where_label:
            return self.where_label
        return f"attachment {mask_label(self.name)}" if self.name else "body"

    def child(self, name: str, data: bytes, content_type: str = "") -> Blob:
        """A member of this container: named under it, one level deeper, same protection."""
        path = f"{self.name}/{name}" if self.name else name
        return Blob(path, data, content_type or "application/octet-stream", None, self.depth + 1)

    def deflate(self) -> Blob:
        """This blob with its bytes compressed, when that is worth it (``DEFLATE_MIN_BYTES``)."""
        if self.deflated or len(self.data) < DEFLATE_MIN_BYTES:
            return self
        return replace(self, data=zlib.compress(self.data, 1), deflated=True)

    def inflate(self) -> Blob:
        """This blob with its bytes as they are (``deflate`` undone)."""
        if not self.deflated:
            return self
        return replace(self, data=zlib.decompress(self.data), deflated=False)

    def opened(self, grade: Grade) -> Blob:
        return replace(self, grade=grade)

    def decrypted(self, data: bytes) -> Blob:
        """The same attachment, decrypted: read in its place, not recorded a second time."""
        return replace(self, name="", data=data, where_label=self.where)


@dataclass(frozen=True, slots=True)
class Lock:
    """Encrypted content: its grade, and a way to try one password (None when it is wrong)."""

    grade: Grade
    method: str
    """What protects it, for the record: ``zip AES-256``, ``pdf RC4-128`` ..."""
    open: Callable[[str], Content | None]


@dataclass(frozen=True, slots=True)
class Passage:
    """Text read from one named place inside a blob (``comments``, ``text boxes``,
    ``tracked deletions``): its findings are reported at ``<where> <place>``."""

    place: str
    text: str = field(repr=False)


@dataclass(slots=True)
class Content:
    """What a reader found in one blob: prose, tables, members to read next, problems."""

    text: str = ""
    tables: list[Table] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    children: list[Blob] = field(default_factory=list)
    defects: list[Defect] = field(default_factory=list)
    lock: Lock | None = None
    grade: Grade | None = None
    """Set when the blob itself is protected but not by a password we can try (S/MIME)."""
    inspected: bool = True
    placed: list[Segment] = field(default_factory=list)
    """Text with a place of its own, on top of ``text``: each page read from an image
    (``attachment scan.tiff, page 2 (text read from the image)``), the hidden text of an HTML
    part (``body (hidden text of the HTML)``, ``hidden=True``). The walker gives each the
    grade of the blob it came from."""


Reader = Callable[[Blob, Budget], Content]
"""Reads one kind of blob. Raises ExtractionError (or anything, on hostile bytes) when it
cannot; the walker turns that into a blocking Defect."""
