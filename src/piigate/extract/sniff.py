"""Identify what a blob is by its bytes (magic numbers, container directories), not its name.

The declared content type and the file name are used only to choose between text formats
(HTML, CSV, JSON ...) whose bytes look alike. Returns one of the kinds in ``KINDS``.
"""

from __future__ import annotations

import io
import re
import struct
import tarfile
import zipfile
from pathlib import PurePath

import filetype
import olefile

from piigate.extract.content import Blob
from piigate.extract.text import decode_text, looks_like_text

KINDS = (
    "zip", "docx", "xlsx", "xlsb", "pptx", "odf", "gzip", "bzip2", "xz", "tar", "rar", "7z",
    "office-encrypted", "xls", "doc", "ppt", "msg", "ole",
    "pdf", "tnef", "rtf", "cms-enveloped", "cms-signed", "pgp", "signature",
    "html", "table", "json", "xml", "email", "text", "image", "unknown",
)  # fmt: skip

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_RAR_MAGIC = b"Rar!\x1a\x07"  # RAR 1.5-4 (then \x00) and RAR 5 (then \x01\x00)
_BIFF_BOF = frozenset({(0x0009, 4), (0x0209, 6), (0x0409, 6)})  # BOF of BIFF2, BIFF3, BIFF4
_TNEF_MAGIC = b"\x78\x9f\x3e\x22"
_SEVENZIP_MAGIC = b"7z\xbc\xaf\x27\x1c"  # the signature header (7zFormat.txt)
_MAGIC_KINDS = ((_TNEF_MAGIC, "tnef"), (_RAR_MAGIC, "rar"), (_SEVENZIP_MAGIC, "7z"))
# DER object identifiers of CMS content types (RFC 5652, RFC 5083), as they appear on the wire.
_OID_ENVELOPED = bytes.fromhex("06092a864886f70d010703")
_OID_AUTH_ENVELOPED = bytes.fromhex("060b2a864886f70d0109100117")
_OID_SIGNED = bytes.fromhex("06092a864886f70d010702")
_SIGNATURE_TYPES = frozenset(
    {"application/pkcs7-signature", "application/x-pkcs7-signature", "application/pgp-signature"}
)
_BINARY_KINDS = {
    "application/gzip": "gzip",
    "application/x-bzip2": "bzip2",
    "application/x-xz": "xz",
    "application/x-tar": "tar",
    "application/pdf": "pdf",
    "application/rtf": "rtf",
}
_TABLE_TYPES = frozenset({"text/csv", "text/tab-separated-values", "application/csv"})
_HEADER_LINE = re.compile(rb"^(?:from|to|subject|date|received|message-id|mime-version):", re.I)
_HEADER_NAME = re.compile(rb"^[A-Za-z0-9-]{1,76}:")


def sniff(blob: Blob) -> str:
    data = blob.data
    if blob.content_type == "application/pgp-encrypted" or data.lstrip()[:27] == (
        b"-----BEGIN PGP MESSAGE-----"
    ):
        return "pgp"
    if blob.content_type in _SIGNATURE_TYPES:
        return "signature"
    kind = _binary_kind(data)
    if kind is not None:
        return kind
    if looks_like_text(data):
        return _text_kind(blob)
    if blob.content_type.startswith("image/"):
        return "image"
    return "unknown"


def _binary_kind(data: bytes) -> str | None:
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return _zip_kind(data)
    if data[:8] == _OLE_MAGIC:
        return _ole_kind(data)
    for magic, kind in _MAGIC_KINDS:
        if data.startswith(magic):
            return kind
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if data[:5] == b"{\\rtf":
        return "rtf"
    if data[:1] == b"\x30" and (cms := _cms_kind(data[:64])):
        return cms
    if _is_raw_biff(data):
        return "xls"
    guess = filetype.guess(data[:8192])
    if guess is None:
        if _is_v7_tar(data):
            return "tar"
        return _zip_kind(data) if _is_prefixed_zip(data) else None
    if guess.mime in _BINARY_KINDS:
        return _BINARY_KINDS[guess.mime]
    if guess.mime.startswith("image/"):
        return "image"
    return "unknown"


def _cms_kind(head: bytes) -> str | None:
    if _OID_ENVELOPED in head or _OID_AUTH_ENVELOPED in head:
        return "cms-enveloped"
    return "cms-signed" if _OID_SIGNED in head else None


def _is_raw_biff(data: bytes) -> bool:
    """An Excel 2.x-4.0 workbook or sheet (BIFF2-4: a bare record stream, not in an OLE2
    file): its first record is a BOF of that version declaring a sheet, chart, macro sheet
    or workbook. Excel and LibreOffice open these; xlrd reads them."""
    if len(data) < 8:
        return False
    record, length, _, kind = struct.unpack("<HHHH", data[:8])
    return (record, length) in _BIFF_BOF and kind in (0x10, 0x20, 0x40, 0x100)


def _is_v7_tar(data: bytes) -> bool:
    """A tar without the ``ustar`` magic (the V7 layout): its first header's checksum holds."""
    if len(data) < 1024:
        return False
    try:
        tarfile.TarInfo.frombuf(data[:512], "utf-8", "surrogateescape")
    except tarfile.HeaderError:
        return False
    return True


def _is_prefixed_zip(data: bytes) -> bool:
    """A zip after bytes of something else (leading junk, a self-extractor's stub): its
    end-of-central-directory record is in the last 64 KiB and zipfile finds the archive from
    there, as 7-Zip and Info-ZIP do."""
    if b"PK\x05\x06" not in data[-_EOCD_REACH:]:
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return bool(archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, NotImplementedError):
        return False


_EOCD_REACH = 22 + 65535  # the record and the longest archive comment


def _zip_kind(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names and archive.getinfo("mimetype").file_size < 200:
                mimetype = archive.read("mimetype")
                if mimetype.startswith(b"application/vnd.oasis.opendocument"):
                    return "odf"
            if "[Content_Types].xml" in names:
                # Imported here: the OOXML reader brings lxml and pyzipper, which plain
                # text never needs (`piigate scan` of a text message starts without them).
                from piigate.extract.ooxml import package_kind  # noqa: PLC0415

                return package_kind(archive) or "zip"
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, NotImplementedError):
        return "zip"  # the zip reader reports what is wrong with it
    return "zip"


def _ole_kind(data: bytes) -> str:
    try:
        with olefile.OleFileIO(data) as ole:
            entries = ole.listdir(streams=True, storages=True)
    except (OSError, ValueError, IndexError, KeyError):
        return "ole"
    # Stream names are matched without regard to case, as Office itself does.
    streams = {"/".join(entry) for entry in entries}
    lower = {stream.lower() for stream in streams}
    if "encryptioninfo" in lower and "encryptedpackage" in lower:
        return "office-encrypted"
    if lower & {"workbook", "book"}:
        return "xls"
    if "worddocument" in lower:
        return "doc"
    if "powerpoint document" in lower:
        return "ppt"
    if "__properties_version1.0" in streams or any(s.startswith("__substg1.0_") for s in streams):
        return "msg"
    return "ole"


def _text_kind(blob: Blob) -> str:
    suffix = PurePath(blob.name).suffix.lower() if blob.name else ""
    head = decode_text(blob.data[:4096], blob.charset).lstrip("\ufeff \t\r\n")[:200].lower()
    if (
        blob.content_type == "text/html"
        or suffix in (".htm", ".html")
        or head.startswith(("<!doctype html", "<html"))
    ):
        return "html"
    if blob.is_attachment and (suffix == ".eml" or _looks_like_email(blob.data)):
        return "email"
    if blob.content_type in _TABLE_TYPES or suffix in (".csv", ".tsv", ".tab"):
        return "table"
    if blob.content_type == "application/json" or suffix == ".json" or head[:1] in ("{", "["):
        return "json"
    if blob.content_type.endswith("/xml") or suffix == ".xml" or head.startswith("<?xml"):
        return "xml"
    if blob.is_attachment and _looks_delimited(blob.data):
        return "table"
    return "text"


def _looks_like_email(data: bytes) -> bool:
    """A header block (Name: value lines, one of them a message header) before a blank line."""
    head, sep, _ = data[:8192].replace(b"\r\n", b"\n").partition(b"\n\n")
    lines = [line for line in head.split(b"\n") if line and line[:1] not in (b" ", b"\t")]
    return (
        bool(sep)
        and len(lines) >= 2
        and all(_HEADER_NAME.match(line) for line in lines)
        and any(_HEADER_LINE.match(line) for line in lines)
    )


def _looks_delimited(data: bytes) -> bool:
    """At least three lines, each with the same non-zero count of one delimiter."""
    lines = [line for line in data[:16384].splitlines()[:20] if line.strip()]
    if len(data) > 16384:
        lines = lines[:-1]  # the last line may be cut by the sniff window
    if len(lines) < 3:
        return False
    for delimiter in (b",", b"\t", b";", b"|"):
        counts = {line.count(delimiter) for line in lines}
        if len(counts) == 1 and counts != {0}:
            return True
    return False
