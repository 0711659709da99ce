"""Fuzzing parse → extract → detect → decide with hypothesis, from a small corpus of real
message shapes in tests/fuzz/corpus (the SSN in it, 536-22-8167, is the README's example).

The property: whatever bytes arrive, screening returns a verdict (never an exception, which
the gate would turn into an endless 451 loop) and no finding exposes more than the masked
value. Runs are derandomized so CI sees the same examples every time.
"""

from __future__ import annotations

import importlib.util
import os
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from piigate.model import Action, Envelope
from piigate.pipeline import Screener

CORPUS = sorted((Path(__file__).parent / "corpus").glob("*.eml"))
SEEDS = [path.read_bytes().replace(b"\n", b"\r\n") for path in CORPUS]
ENVELOPE = Envelope("alice@dhs.gov", ("bob@fbi.gov",))
LONG_RUN = os.environ.get("PIIGATE_FUZZ_EXAMPLES")
"""``make fuzz`` sets it: that many examples, drawn afresh (not derandomized) each run."""
FUZZ = settings(
    max_examples=int(LONG_RUN or 150),
    deadline=None,
    derandomize=LONG_RUN is None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A corpus message with a few byte-level edits: splices, deletions, inserted junk."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        edit = draw(st.sampled_from(["insert", "delete", "duplicate"]))
        if edit == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=40))
        elif edit == "delete":
            del data[at : at + draw(st.integers(1, 40))]
        else:
            data[at:at] = data[max(0, at - 64) : at]
    return bytes(data)


header_text = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n"), max_size=60
)


@st.composite
def structured(draw: st.DrawFn) -> bytes:
    """A MIME message assembled from hostile parts: odd charsets, encodings, boundaries."""
    boundary = draw(st.text("abcXYZ019-_=", min_size=1, max_size=20))
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        ctype = draw(
            st.sampled_from(
                [
                    "text/plain",
                    "text/html",
                    "text/csv",
                    "application/octet-stream",
                    "message/rfc822",
                    "multipart/mixed",
                    "image/png",
                    "application/zip",
                ]
            )
        )
        charset = draw(st.sampled_from(["utf-8", "latin-1", "x-bogus", "utf-16", ""]))
        encoding = draw(st.sampled_from(["7bit", "base64", "quoted-printable", "x-uuencode"]))
        body = draw(st.binary(max_size=300)) + draw(header_text).encode()
        parts.append(
            f"--{boundary}\r\nContent-Type: {ctype}; charset={charset}\r\n"
            f"Content-Transfer-Encoding: {encoding}\r\n\r\n".encode()
            + body
            + b"\r\n"
        )
    head = (
        f"From: {draw(header_text)}\r\nSubject: {draw(header_text)}\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
    )
    tail = f"--{boundary}--\r\n".encode() if draw(st.booleans()) else b""
    return head.encode("utf-8", "surrogateescape") + b"".join(parts) + tail


SCAN_LIMIT = 30.0
"""scan.timeout's default: every input must screen within it."""


def assert_screened_safely(screener: Screener, raw: bytes) -> None:
    started = time.monotonic()
    screening = screener.screen(ENVELOPE, raw)
    assert time.monotonic() - started < SCAN_LIMIT
    assert isinstance(screening.verdict.action, Action)
    for finding in screening.detection.findings:
        assert "536-22-8167" not in finding.masked
        assert "536-22-8167" not in repr(finding)


def test_corpus_messages_screen_to_a_verdict(screener: Screener) -> None:
    """Every corpus message screens to a verdict; the ones carrying the example SSN to an
    external recipient are not delivered."""
    for raw in SEEDS:
        screening = screener.screen(ENVELOPE, raw)
        assert screening.verdict.action is not Action.DELIVER


MANGLED_CSV_HEADER = SEEDS[
    CORPUS.index(Path(__file__).parent / "corpus" / "multipart-csv.eml")
].replace(b'attachment; filename="roster.csv"\r\n\r\n', b"")
"""Found by the fuzzer: a CSV part whose header line ran into its first row."""
COLUMN_FROM_DATA_ROW = importlib.util.find_spec("piigate.detect.tables") is None
"""The first detection cut (before detect/tables.py) names a finding's column after the
table's first row even when that row is data, so a mangled CSV header puts the SSN in
``Finding.column``; the fuzzer found it, and the table detection merged on main (which adds
detect/tables.py) labels such a column by letter. On main this test runs normally."""


@pytest.mark.xfail(
    COLUMN_FROM_DATA_ROW,
    reason="first-cut table detection leaks a data cell as the column name (fixed on main)",
    strict=True,
)
@FUZZ
@given(raw=mutated())
@example(raw=MANGLED_CSV_HEADER)
def test_mutated_corpus_never_breaks_screening(screener: Screener, raw: bytes) -> None:
    """Byte-level mutations of real messages always screen to a verdict without raising."""
    assert_screened_safely(screener, raw)


@FUZZ
@given(raw=structured())
def test_hostile_mime_structures_never_break_screening(screener: Screener, raw: bytes) -> None:
    """MIME assembled from odd charsets, encodings and boundaries screens without raising."""
    assert_screened_safely(screener, raw)


@FUZZ
@given(raw=st.binary(max_size=2000))
def test_arbitrary_bytes_never_break_screening(screener: Screener, raw: bytes) -> None:
    """Any bytes at all, even ones that are no message, screen to a verdict."""
    assert_screened_safely(screener, raw)
