"""Hostile and broken input: every limit, with a real crafted file. Nothing crashes, nothing is
called clean, memory stays bounded."""

from __future__ import annotations

import gzip
import io
import random
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from piigate.config import DetectionSettings, ExtractionSettings
from piigate.detect import Detector
from piigate.extract import extract
from piigate.model import Action, Envelope, Extraction, Grade
from piigate.parse import parse_message
from piigate.pipeline import Screener
from tests import formats
from tests.synthetic import ssn

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """1 GiB of zeros in one zip member, written by streaming (never held in memory)."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.zip"
    zeros = bytes(MIB)
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open("zeros.bin", "w", force_zip64=True) as member,
    ):
        for _ in range(1024):
            member.write(zeros)
    return path.read_bytes()


def message_with(*attachments: tuple[str, bytes]) -> bytes:
    return formats.email_with(
        "See attached.", [(name, data, "application/octet-stream") for name, data in attachments]
    ).as_bytes()


def reasons(extraction: Extraction) -> list[tuple[str, str]]:
    return [(d.where, d.reason) for d in extraction.unscannable]


def test_zip_bomb_is_refused_with_bounded_memory(zip_bomb: bytes) -> None:
    """A 1 GiB-of-zeros zip is unscannable (member over 100 MiB) and reading it allocates
    far less than the bomb: the member is refused before a byte is inflated."""
    raw = message_with(("bomb.zip", zip_bomb))
    message = parse_message(raw)
    tracemalloc.start()
    try:
        extraction = extract(message)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert reasons(extraction) == [
        ("attachment bomb.zip/zeros.bin", "a member decompresses to more than 100 MiB")
    ]
    assert peak < 32 * MIB


def test_gzip_bomb_stops_at_the_ratio_limit() -> None:
    """A gzip stream (whose size is declared nowhere) is read in chunks and stops once its
    ratio passes 100:1, long before it is all inflated."""
    packed = io.BytesIO()
    with gzip.GzipFile(fileobj=packed, mode="wb", compresslevel=9) as stream:
        for _ in range(200):
            stream.write(bytes(MIB))
    raw = message_with(("zeros.gz", packed.getvalue()))
    tracemalloc.start()
    try:
        extraction = extract(parse_message(raw))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert reasons(extraction) == [("attachment zeros.gz", "compression ratio above 100:1")]
    assert peak < 64 * MIB


def test_twenty_deep_nested_zip_stops_at_depth_ten() -> None:
    """A zip nested 20 deep: the member past depth 10 is unscannable; the ones above are read."""
    data = formats.zip_of({"list.csv": f"SSN\n{ssn(random.Random(1))}\n".encode()})
    for level in range(20, 0, -1):
        data = formats.zip_of({f"z{level}.zip": data})
    extraction = extract(parse_message(message_with(("nest.zip", data))))
    [(where, reason)] = reasons(extraction)
    assert reason == "containers nested deeper than 10"
    assert where.count("/") == 11
    assert len(extraction.attachments) == 12


def test_truncated_zip_is_unscannable() -> None:
    """A zip cut in half (no central directory) is a blocking defect, not an exception."""
    data = formats.zip_of({"a.csv": b"x,y\n" * 5000, "b.csv": b"1,2\n" * 5000})
    extraction = extract(parse_message(message_with(("cut.zip", data[: len(data) // 2]))))
    assert [where for where, _ in reasons(extraction)] == ["attachment cut.zip"]
    assert "broken zip" in reasons(extraction)[0][1]


def test_pdf_with_a_broken_xref_is_repaired_and_read() -> None:
    """A PDF whose xref offsets are wrong is rebuilt by pypdf (non-strict) and its text read;
    a PDF cut short is unscannable."""
    value = ssn(random.Random(2))
    data = formats.pdf([f"SSN {value}"])
    start = data.rindex(b"startxref")
    broken = data[:start] + b"startxref\n999999\n%%EOF\n"
    extraction = extract(parse_message(message_with(("x.pdf", broken))))
    assert value in extraction.segments[1].text
    cut = extract(parse_message(message_with(("cut.pdf", data[:200]))))
    assert [where for where, _ in reasons(cut)] == ["attachment cut.pdf"]


def test_invalid_charset_is_decoded_anyway() -> None:
    """A part naming a charset that does not exist, or one its bytes do not fit, is decoded by
    detection and read."""
    value = ssn(random.Random(3))
    bogus = f"Content-Type: text/plain; charset=x-no-such-charset\n\nSSN {value}\n".encode()
    lying = b"Content-Type: text/plain; charset=utf-8\n\nJos\xe9 SSN " + value.encode() + b"\n"
    for raw in (bogus, lying):
        extraction = extract(parse_message(raw))
        assert value in extraction.segments[0].text
        assert extraction.unscannable == ()


def test_member_count_limit() -> None:
    """More archive members than ``max_members`` (per message) is unscannable."""
    data = formats.zip_of({f"{i}.txt": b"hello" for i in range(10)})
    settings = ExtractionSettings(max_members=5)
    extraction = extract(parse_message(message_with(("many.zip", data))), settings=settings)
    assert reasons(extraction)[0] == ("attachment many.zip", "more than 5 archive members")


def test_total_bytes_limit() -> None:
    """More decompressed bytes than ``max_total_bytes`` in one message is unscannable."""
    data = formats.zip_of({"a.txt": b"a" * 5000, "b.txt": b"b" * 5000})
    settings = ExtractionSettings(max_total_bytes=6000)
    extraction = extract(parse_message(message_with(("big.zip", data))), settings=settings)
    assert reasons(extraction)[0][1] == "more than 0.00572205 MiB extracted from the message"


def test_mime_part_limit() -> None:
    """More MIME parts than ``max_parts`` is unscannable; the parts before are still read."""
    raw = message_with(*[(f"{i}.txt", b"x") for i in range(20)])
    settings = ExtractionSettings(max_parts=10)
    extraction = extract(parse_message(raw, settings), settings=settings)
    assert reasons(extraction) == [("message", "more than 10 MIME parts")]


def test_scan_deadline_stops_extraction() -> None:
    """Past the scan deadline, reading stops with a blocking defect (cooperative, so a runaway
    scan ends even when nobody waits for it)."""
    raw = message_with(("a.zip", formats.zip_of({"a.txt": b"hello"})))
    extraction = extract(parse_message(raw), timeout=0)
    assert ("body", "scan time limit reached") in reasons(extraction)
    assert {a.grade for a in extraction.attachments} == {Grade.UNREADABLE}


def test_gate_quarantines_an_external_zip_bomb(zip_bomb: bytes, screener: Screener) -> None:
    """Through the real screener and shipped rules, a bomb sent outside is unscannable-content."""
    raw = message_with(("bomb.zip", zip_bomb))
    screening = screener.screen(Envelope("alice@dhs.gov", ("bob@fbi.gov",)), raw)
    assert screening.verdict.action is Action.QUARANTINE
    assert [v.rule for v in screening.verdict.violations] == ["unscannable-content"]


def test_legacy_word_is_unscannable(tmp_path: Path) -> None:
    """A file that is OLE2 but no reader handles (here: a bare compound file) is unreadable."""
    detector = Detector(DetectionSettings(spacy_model=None))
    raw = message_with(("x.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)))
    extraction = extract(parse_message(raw))
    assert [where for where, _ in reasons(extraction)] == ["attachment x.doc"]
    assert detector.detect(extraction.segments).findings == ()


def test_screener_holds_a_message_too_slow_to_read(screener: Screener) -> None:
    """The screener gives extraction part of scan.timeout: a message it cannot finish reading
    in time is quarantined as unscannable (durably held), not left to a 451 retry loop."""
    hurried = Screener(screener.detector, screener.policy, ExtractionSettings(), scan_timeout=1e-9)
    raw = message_with(("a.zip", formats.zip_of({"a.txt": b"hello"})))
    screening = hurried.screen(Envelope("alice@dhs.gov", ("bob@fbi.gov",)), raw)
    assert screening.verdict.action is Action.QUARANTINE
    assert [v.rule for v in screening.verdict.violations] == ["unscannable-content"]
    assert ("body", "scan time limit reached") in reasons(screening.extraction)


def test_defect_reasons_never_quote_the_content() -> None:
    """Broken files carrying an SSN in their bytes give reasons (which reach replies and logs)
    made of names and codes only, never the bytes they choked on."""
    value = ssn(random.Random(9))
    stored = formats.zip_of({"a.txt": f"SSN {value} ".encode() * 50})
    pdf = formats.pdf([f"SSN {value}"]).replace(b"/Type /Page", f"/Type /{value}".encode(), 1)
    broken = [
        ("cut.zip", stored[: len(stored) // 2]),
        ("cut.pdf", b"%PDF-1.7\n" + f"1 0 obj << /V ({value}) >>".encode()),
        ("odd.pdf", pdf),
        ("bad.gz", b"\x1f\x8b\x08\x00" + value.encode() * 20),
        ("x.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + value.encode() * 100),
    ]
    extraction = extract(parse_message(message_with(*broken)))
    assert [d.reason for d in extraction.unscannable] == [
        "broken zip archive (BadZipFile)",
        "broken PDF (PDFium error 3)",
        "broken gzip stream (error)",
        "broken OLE2 compound file (OSError)",
    ]
    for defect in extraction.defects:
        assert value not in defect.reason and value[-4:] not in defect.reason
