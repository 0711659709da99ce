"""The extraction table and the walk over a message.

Each MIME leaf part becomes a Blob; ``sniff`` names its kind from its bytes; ``READERS`` maps
the kind to the one reader for it. A reader returns Content: text and tables (a Segment),
members to read in turn (archives, attached messages), and, for encrypted content, a Lock.
Once every readable part is read, candidate passwords are collected from all of it and tried
on each lock; then the passwords given to the gate out of band.

kind              read by                               kind              read by
text json xml     markup (decoded text)                 zip               archives (pyzipper)
html              markup (visible text, tables)         gzip bzip2 xz tar archives (stdlib)
table             markup (csv module)                   docx xlsx xlsb    word, excel (by
                                                        pptx              content type), powerpoint
rtf               markup (striprtf)                     odf               opendoc (odfpy)
email             mail (stdlib email)                   xls               legacy (xlrd)
msg tnef          mail (extract-msg, tnefparse)         office-encrypted  legacy (msoffcrypto)
cms-signed        smime (asn1crypto: the signed content, read as an attached message)
pdf               pdf (pypdfium2; pypdf for encryption) doc ppt           office97 (catdoc;
rar               rar (rarfile, unar)                                     LibreOffice for .ppt)
7z                sevenzip (py7zr)
pgp cms-enveloped whole-message encryption: strong, not inspected
image             OCR (piigate.ocr) when the caller gives an image reader, else not inspected
signature         not inspected (no text to read)       (anything else)   unreadable: a Defect

Each reader's module is imported when the reader is first called (``_on_first_use``): most
mail is text, and importing every reader (extract-msg, pypdf, openpyxl, bs4, pyzipper…)
cost ``piigate scan`` of a plain message about a quarter of its start-up.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from importlib import import_module

from piigate.config import ExtractionSettings
from piigate.extract.content import Blob, Content, Reader
from piigate.extract.isolated import IsolatedReading
from piigate.extract.limits import Budget
from piigate.extract.sniff import sniff
from piigate.extract.walker import Walker, blob_of
from piigate.model import Extraction, Grade, ParsedMessage


def _on_first_use(module: str, name: str, *args: str) -> Reader:
    """The reader ``name`` of ``piigate.extract.<module>`` (with ``args``: the reader that
    factory returns), its module imported by the first call; later calls find it in
    ``sys.modules``."""

    def read(blob: Blob, budget: Budget) -> Content:
        found = getattr(import_module(f"piigate.extract.{module}"), name)
        reader: Reader = found(*args) if args else found
        return reader(blob, budget)

    read.__qualname__ = read.__name__ = f"{module}.{name}"
    return read


READERS: dict[str, Reader] = {
    "text": _on_first_use("markup", "read_text"),
    "json": _on_first_use("markup", "read_json"),
    "xml": _on_first_use("markup", "read_xml"),
    "html": _on_first_use("markup", "read_html_blob"),
    "table": _on_first_use("markup", "read_table"),
    "rtf": _on_first_use("markup", "read_rtf"),
    "zip": _on_first_use("archives", "read_zip"),
    "gzip": _on_first_use("archives", "stream_reader", "gzip"),
    "bzip2": _on_first_use("archives", "stream_reader", "bzip2"),
    "xz": _on_first_use("archives", "stream_reader", "xz"),
    "tar": _on_first_use("archives", "read_tar"),
    "docx": _on_first_use("word", "read_docx"),
    "xlsx": _on_first_use("excel", "read_xlsx"),
    "xlsb": _on_first_use("excel", "read_xlsx"),
    "pptx": _on_first_use("powerpoint", "read_pptx"),
    "odf": _on_first_use("opendoc", "read_odf"),
    "xls": _on_first_use("legacy", "read_xls"),
    "office-encrypted": _on_first_use("legacy", "read_encrypted_office"),
    "rar": _on_first_use("rar", "read_rar"),
    "7z": _on_first_use("sevenzip", "read_7z"),
    "doc": _on_first_use("office97", "read_doc"),
    "ppt": _on_first_use("office97", "read_ppt"),
    "ole": _on_first_use("legacy", "read_ole"),
    "pdf": _on_first_use("pdf", "read_pdf"),
    "email": _on_first_use("mail", "read_email"),
    "msg": _on_first_use("mail", "read_msg"),
    "tnef": _on_first_use("mail", "read_tnef"),
    "cms-signed": _on_first_use("smime", "read_signed"),
}

READER_MODULES = tuple(
    f"piigate.extract.{module}"
    for module in (
        "archives",
        "excel",
        "legacy",
        "mail",
        "markup",
        "office97",
        "opendoc",
        "pdf",
        "powerpoint",
        "rar",
        "sevenzip",
        "smime",
        "word",
    )
)
"""The modules of ``READERS``: what the gate (``serve``) and each isolated worker import as
they start, so no message pays for importing its reader."""


def import_readers() -> None:
    """Import every reader's module now (a long-running gate does, at start-up)."""
    for module in READER_MODULES:
        import_module(module)


def _not_inspected(grade: Grade) -> Reader:
    def read_nothing(blob: Blob, budget: object) -> Content:
        return Content(grade=grade, inspected=False)

    return read_nothing


READERS.update(
    {
        "pgp": _not_inspected(Grade.ENCRYPTED_STRONG),
        "cms-enveloped": _not_inspected(Grade.ENCRYPTED_STRONG),
        "image": _not_inspected(Grade.PLAINTEXT),
        "signature": _not_inspected(Grade.PLAINTEXT),
    }
)


def with_images(images: Reader) -> dict[str, Reader]:
    """The reading table with ``images`` reading the ``image`` kind (OCR); built once."""
    return {**READERS, "image": images}


TEXT_ONLY_KINDS = frozenset({"text", "html"})
"""Kinds whose reader opens nothing (no member, no document): their cost follows their size."""

IN_PROCESS_KINDS = TEXT_ONLY_KINDS | frozenset({"pgp", "cms-enveloped", "image", "signature"})
"""Kinds read in the gate's own process even with isolation on: text the gate screens on its
event loop, and kinds that are graded without being opened. Every other kind is read in the
isolated worker pool (``piigate.extract.isolated``)."""


def reads_as_text_only(message: ParsedMessage) -> bool:
    """True when every part is message text (not an attachment) whose bytes are plain text or
    HTML: reading it opens no archive, document or attached mail, so screening costs time
    in proportion to the message's size (the gate screens such small mail on its event loop).
    A body part whose bytes are, say, a zip is not text only, whatever its content type."""
    return all(
        not part.is_attachment and sniff(blob_of(part)) in TEXT_ONLY_KINDS for part in message.parts
    )


def extract(
    message: ParsedMessage,
    passwords: tuple[str, ...] = (),
    settings: ExtractionSettings | None = None,
    timeout: float | None = None,
    *,
    isolation: IsolatedReading | None = None,
    readers: Mapping[str, Reader] = READERS,
) -> Extraction:
    """Read every part of ``message``. ``passwords`` were given to the gate out of band (the
    content they open keeps its encrypted grade); ``timeout`` (seconds) stops a runaway read
    with a blocking defect; ``isolation`` reads files in the worker pool; ``readers``: the
    table to read with in this process (``with_images``)."""
    deadline = time.monotonic() + timeout if timeout is not None else None
    walker = Walker(readers, sniff, settings or ExtractionSettings(), deadline, isolation)
    return walker.run(message, passwords)
