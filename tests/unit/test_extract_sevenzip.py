"""7z archives, written here by py7zr (the writer 7-Zip's format has in Python; LZMA2 as
7-Zip writes by default, and 7zAES): members are read as attachments of their own and named
by path; an encrypted archive is graded strong and opened by a password in the message; a
broken one is unreadable. The real-world corpus (bench/corpus_real.py) found 62 test files of
py7zr, puremagic and mimetype refused as unknown content: 7z had no reader."""

from __future__ import annotations

import io
import random
import shutil
import subprocess
from pathlib import Path

import py7zr
import py7zr.io
import pytest

from piigate.config import DetectionSettings, ExtractionSettings
from piigate.detect import Detector
from piigate.errors import ExtractionError
from piigate.extract import extract
from piigate.extract.limits import Budget
from piigate.extract.programs import run_program
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


def bcj2_7z(folder: Path, members: dict[str, bytes], *, solid: bool) -> bytes:
    """A 7z written by 7-Zip (``7zz``, Debian package 7zip, installed by ``make readers``)
    with the BCJ2 filter on every member (``-mf=BCJ2``), checked to be BCJ2 by ``7zz l
    -slt``: the method py7zr lacks and 7-Zip and unar read."""
    if shutil.which("7zz") is None:
        pytest.skip("7-Zip (7zz) is not installed: `make readers` installs it")
    for name, data in members.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    archive = folder / "out.7z"
    argv = ["7zz", "a", "-bd", "-mf=BCJ2", f"-ms={'on' if solid else 'off'}", str(archive)]
    subprocess.run([*argv, *members], cwd=folder, check=True, capture_output=True)
    listing = subprocess.run(
        ["7zz", "l", "-slt", str(archive)], check=True, capture_output=True, text=True
    ).stdout
    entries = listing.split("----------", 1)[1].strip().split("\n\n")
    fields = [dict(line.split(" = ", 1) for line in entry.splitlines()) for entry in entries]
    methods = {entry["Path"]: entry.get("Method", "") for entry in fields}
    assert set(methods) == set(members)
    assert all("BCJ2" in methods[name] for name, data in members.items() if data)
    return archive.read_bytes()


def _program_members(value: str) -> dict[str, bytes]:
    # -mf=BCJ2 filters every member, text too (an x86 binary would be unknown content here).
    return {
        "bin/tool.sh": b'#!/bin/sh\nexec /usr/lib/tool/run "$@"\n' * 40,
        "empty.txt": b"",
        "intake.txt": f"Applicant SSN {value}".encode(),
        "notes/readme.txt": b"Nothing here.",
    }


@pytest.mark.parametrize("solid", [True, False])
def test_a_bcj2_7z_is_read_by_unar(detector: Detector, tmp_path: Path, solid: bool) -> None:
    """A 7z in BCJ2 (7-Zip's filter for executables), which py7zr cannot decompress, is read
    by unar: every member under its own name, and the SSN found in the one that holds it."""
    value = ssn(random.Random(73))
    members = _program_members(value)
    data = bcj2_7z(tmp_path, members, solid=solid)
    with (
        py7zr.SevenZipFile(io.BytesIO(data)) as archive,
        pytest.raises(py7zr.exceptions.UnsupportedCompressionMethodError),
    ):
        archive.extract(factory=py7zr.io.BytesIOFactory(len(data) * 10))
    extraction, found = scan(detector, "tools.7z", data)
    assert extraction.unscannable == ()
    places = {segment.where for segment in extraction.segments}
    assert "attachment tools.7z/notes/readme.txt" in places
    assert found == {"attachment tools.7z/intake.txt": {"***-**-" + value[-4:]}}


def test_a_bcj2_7z_without_unar_is_unreadable(
    detector: Detector, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without unar (a machine without `make readers`) a BCJ2 7z is unreadable, naming the
    program, never clean."""
    data = bcj2_7z(tmp_path, _program_members(ssn(random.Random(74))), solid=True)
    monkeypatch.setenv("PATH", "/nonexistent")
    extraction, found = scan(detector, "tools.7z", data)
    [defect] = extraction.unscannable
    assert defect.where == "attachment tools.7z"
    assert "unar is not installed" in defect.reason
    assert found == {}


def test_a_program_writing_past_its_limit_is_stopped() -> None:
    """Output is counted as it arrives: a program writing more than ``max_output`` (here
    ``yes``, which never ends) is killed and refused, not read to its time limit."""
    if shutil.which("yes") is None:
        pytest.skip("coreutils yes is not installed")
    budget = Budget(ExtractionSettings())
    with pytest.raises(ExtractionError, match="more than"):
        run_program(["yes"], budget, "a test", max_output=1_000_000)
