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
pdf               pdf (pypdfium2; pypdf for encryption) doc ppt           office97 (catdoc;
rar               rar (rarfile, unar)                                     LibreOffice for .ppt)
7z                sevenzip (py7zr)
pgp cms-enveloped whole-message encryption: strong, not inspected
image             OCR (piigate.ocr) when the caller gives an image reader, else not inspected
signature         not inspected (no text to read)       (anything else)   unreadable: a Defect
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from piigate.config import ExtractionSettings
from piigate.extract import (
    archives,
    excel,
    legacy,
    mail,
    markup,
    office97,
    opendoc,
    pdf,
    powerpoint,
    rar,
    sevenzip,
    word,
)
from piigate.extract.content import Blob, Content, Reader
from piigate.extract.isolated import IsolatedReading
from piigate.extract.sniff import sniff
from piigate.extract.walker import Walker, blob_of
from piigate.model import Extraction, Grade, ParsedMessage

READERS: dict[str, Reader] = {
    "text": markup.read_text,
    "json": markup.read_json,
    "xml": markup.read_xml,
    "html": markup.read_html_blob,
    "table": markup.read_table,
    "rtf": markup.read_rtf,
    "zip": archives.read_zip,
    "gzip": archives.stream_reader("gzip"),
    "bzip2": archives.stream_reader("bzip2"),
    "xz": archives.stream_reader("xz"),
    "tar": archives.read_tar,
    "docx": word.read_docx,
    "xlsx": excel.read_xlsx,
    "xlsb": excel.read_xlsx,
    "pptx": powerpoint.read_pptx,
    "odf": opendoc.read_odf,
    "xls": legacy.read_xls,
    "office-encrypted": legacy.read_encrypted_office,
    "rar": rar.read_rar,
    "7z": sevenzip.read_7z,
    "doc": office97.read_doc,
    "ppt": office97.read_ppt,
    "ole": legacy.read_ole,
    "pdf": pdf.read_pdf,
    "email": mail.read_email,
    "msg": mail.read_msg,
    "tnef": mail.read_tnef,
}


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
