"""7z archives, written here by py7zr (the writer 7-Zip's format has in Python; LZMA2 as
7-Zip writes by default, and 7zAES): members are read as attachments of their own and named
by path; an encrypted archive is graded strong and opened by a password in the message; a
broken one is unreadable. The real-world corpus (bench/corpus_real.py) found 62 test files of
py7zr, puremagic and mimetype refused as unknown content: 7z had no reader."""

from __future__ import annotations

import io
import random

import py7zr
import pytest

from piigate.config import DetectionSettings
from piigate.detect import Detector
from piigate.extract import extract
from piigate.model import Grade
from piigate.parse import parse_message
from tests import formats
from tests.synthetic import ssn
from tests.unit.test_extract_office import scan


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(DetectionSettings(spacy_model=None))


def seven_zip(
    members: dict[str, bytes], password: str | None = None, *, header: bool = False
) -> bytes:
    """A 7z archive of ``members`` (7zAES with ``password``; the file list too with
    ``header``)."""
    out = io.BytesIO()
    with py7zr.SevenZipFile(out, "w", password=password, header_encryption=header) as archive:
        for name, data in members.items():
            archive.writestr(data, name)
    return out.getvalue()


def test_members_of_a_7z_are_read(detector: Detector) -> None:
    """Each member of a solid 7z (two in a folder, one at the top) is read under its path,
    and the SSN in one of them is found there."""
    value = ssn(random.Random(71))
    data = seven_zip(
        {
            "case/intake.txt": f"Applicant SSN {value}".encode(),
            "case/notes.txt": b"Called back on Tuesday.",
            "readme.txt": b"Nothing here.",
        }
    )
    extraction, found = scan(detector, "case.7z", data)
    assert extraction.unscannable == ()
    places = {segment.where for segment in extraction.segments}
    assert {"attachment case.7z/case/notes.txt", "attachment case.7z/readme.txt"} <= places
    assert found == {"attachment case.7z/case/intake.txt": {"***-**-" + value[-4:]}}


@pytest.mark.parametrize("header", [False, True])
def test_an_encrypted_7z_is_graded_strong(detector: Detector, header: bool) -> None:
    """7zAES (AES-256), with the file list encrypted too or not: graded strong, not inspected
    without a password, and nothing is unscannable."""
    data = seven_zip({"intake.txt": b"Applicant SSN 123-45-6789"}, "s3cret-Pass", header=header)
    extraction, found = scan(detector, "case.7z", data)
    assert extraction.unscannable == ()
    assert [(a.grade, a.inspected) for a in extraction.attachments] == [
        (Grade.ENCRYPTED_STRONG, False)
    ]
    assert found == {}


def test_a_password_in_the_message_opens_a_7z(detector: Detector) -> None:
    """The password sent in the body opens the archive and its member is screened."""
    value = ssn(random.Random(72))
    data = seven_zip({"intake.txt": f"SSN {value}".encode()}, "s3cret-Pass", header=True)
    message = formats.email_with(
        "The password: s3cret-Pass", [("case.7z", data, "application/x-7z-compressed")]
    )
    extraction = extract(parse_message(message.as_bytes()))
    found = {f.where: {f.masked} for f in detector.detect(extraction.segments).findings}
    assert extraction.attachments[0].password_in_message
    assert found == {"attachment case.7z/intake.txt": {"***-**-" + value[-4:]}}


def test_a_7z_with_a_corrupted_stream_is_unreadable(detector: Detector) -> None:
    """A 7z whose compressed stream is damaged (as py7zr's crc_corrupted.7z) is unreadable,
    never clean."""
    data = bytearray(seven_zip({"intake.txt": b"Applicant record, page one. " * 40}))
    data[40] ^= 0xFF
    extraction, _ = scan(detector, "case.7z", bytes(data))
    reasons = [defect.reason for defect in extraction.unscannable]
    assert len(reasons) == 1
    assert reasons[0].startswith("broken 7z archive")
