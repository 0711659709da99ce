"""The pieces under the MIME readings: masking names, charset evidence, folds, and the bound
on readings of ambiguous MIME."""

from __future__ import annotations

import pytest

from piigate.config import ExtractionSettings
from piigate.extract.text import decode_text, looks_like_text
from piigate.labels import mask_label, printable, sent_date
from piigate.mime import folds
from piigate.parse import parse_message


@pytest.mark.parametrize(
    ("label", "masked"),
    [
        ("<123-45-6789@dhs.gov>", "<***-**-****@dhs.gov>"),
        ("scan 1980.03.04 v2.pdf", "scan ****.**.** v2.pdf"),
        ("card 4111 1111 1111 1111.txt", "card **** **** **** ****.txt"),
        ("\uff11\uff12\uff13-45-6789.txt", "***-**-****.txt"),
        ("report-2026 page 12.pdf", "report-2026 page 12.pdf"),
        ("<test-12345@dhs.gov>", "<test-12345@dhs.gov>"),
    ],
)
def test_mask_label_masks_numbers_of_six_digits_or_more(label: str, masked: str) -> None:
    """Every digit of a number of six digits or more (any script, single separators) is
    masked; shorter numbers (a year, a page, a short id) are kept."""
    assert mask_label(label) == masked


@pytest.mark.parametrize(
    ("codec", "declared"),
    [
        ("utf-16", None),
        ("utf-16-le", None),
        ("utf-16-be", "us-ascii"),
        ("utf-32", "utf-8"),
        ("utf-32-le", None),
        ("utf-32-be", "iso-8859-1"),
        ("utf-8-sig", "us-ascii"),
    ],
)
def test_wide_text_is_read_whatever_the_declared_charset(codec: str, declared: str | None) -> None:
    """UTF-16/32 text (BOM or not) and UTF-8 with a BOM read as text, not as what is declared."""
    payload = "Shipment list: caf\u00e9 order 42, SSN on file\n".encode(codec)
    assert looks_like_text(payload)
    assert decode_text(payload, declared) == "Shipment list: caf\u00e9 order 42, SSN on file\n"


def test_declared_utf16_on_bytes_without_nul_is_not_believed() -> None:
    """``charset=utf-16`` on plain ASCII bytes reads them as ASCII (a UTF-16 decoder would
    turn the digits into CJK characters)."""
    assert decode_text(b"SSN 123-45-6789\n", "utf-16") == "SSN 123-45-6789\n"


def test_binary_with_nul_bytes_is_still_not_text() -> None:
    """NUL bytes out of any UTF-16/32 pattern (or decoding to unprintable text) are binary."""
    assert not looks_like_text(bytes(range(256)) * 8)
    assert not looks_like_text(b"\x00\xff" * 50)


def test_smtp_fold_is_joined_only_after_a_line_of_998_bytes() -> None:
    """CRLF SP after a body line of 998+ bytes is an MTA's break and is joined; after a shorter
    line, or in the header block, it is left alone."""
    long_line = b"x" * 995 + b"123"
    raw = b"Subject: a\r\n b\r\n\r\n" + long_line + b"\r\n -45-6789\r\nshort\r\n next\r\n"
    body = folds.unfold_smtp_lines(raw).split(b"\r\n\r\n", 1)[1]
    assert body == long_line + b"-45-6789\r\nshort\r\n next\r\n"
    assert folds.unfold_smtp_lines(raw).startswith(b"Subject: a\r\n b\r\n")


def test_flowed_text_is_joined_with_and_without_delsp() -> None:
    """RFC 3676: a trailing space continues the line (removed with DelSp=yes); a leading
    space-stuffing space goes."""
    assert folds.unflow(b"123-4 \n5-6789\n  stuffed\n", delete_space=True) == (
        b"123-45-6789\n stuffed\n"
    )
    assert folds.unflow(b"SSN \n123-45-6789\n", delete_space=False) == b"SSN 123-45-6789\n"


def test_nested_ambiguous_headers_are_bounded_not_exponential() -> None:
    """Parts whose three Content-Types and three encodings nest ten deep (9^10 readings)
    are read up to the allowance, then the message is unscannable (the test ends at all)."""
    inner = "Content-Type: text/plain\n\nhello\n"
    for level in range(10):
        inner = (
            "Content-Type: text/plain\n"
            f"Content-Type: multipart/mixed; boundary=L{level}\n"
            "Content-Type: text/html\n"
            "Content-Transfer-Encoding: 7bit\nContent-Transfer-Encoding: 8bit\n"
            "Content-Transfer-Encoding: binary\n\n"
            f"--L{level}\n{inner}--L{level}--\n"
        )
    message = parse_message(inner.encode())
    assert any(d.blocking and "too many readings" in d.reason for d in message.defects)


@pytest.mark.parametrize(
    ("header", "written"),
    [
        ("Tue, 01 Dec 2026 14:05:09 +0000", "2026-12-01 14:05 +0000"),
        ("1 Dec 2026 09:30 -0500", "2026-12-01 09:30 -0500"),
        ("536-22-8167", ""),  # a number dressed as a date is not copied
        ("\udc80\udc81", ""),  # raw 8-bit bytes the parser kept as surrogates
        ("", ""),
        (None, ""),
    ],
)
def test_a_date_header_is_written_only_as_a_date(header: str | None, written: str) -> None:
    """Notices and the quarantine write a message's Date as a parsed date, never its text."""
    assert sent_date(header) == written


def test_printable_shows_undecodable_bytes_as_replacement_characters() -> None:
    """Text with bytes that were not UTF-8 can be encoded into a notice."""
    assert printable("caf\udce9 ok").encode("utf-8") == "caf\ufffd ok".encode()


def test_boundary_parameters_count_towards_max_parts_whatever_their_case() -> None:
    """``BOUNDARY=`` in capitals counts like ``boundary=`` (the quick count folds case)."""
    parts = b"".join(b'Content-Type: multipart/mixed; BOUNDARY="b%d"\r\n' % i for i in range(3))
    raw = b"Subject: x\r\n" + parts + b"\r\nbody\r\n"
    message = parse_message(raw, ExtractionSettings(max_parts=2))
    assert [d.reason for d in message.defects] == ["more than 2 MIME parts"]
