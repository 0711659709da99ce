"""RAR archives: real files from rarfile 4.5's test suite (tests/fixtures/rar/README.md; no
free program writes RAR, so none can be made here with an SSN inside). Members are read as
attachments of their own and named by path; encrypted archives are graded by cipher and
opened by a password in the message; a broken one is unreadable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from piigate.cli import main
from piigate.extract import extract
from piigate.model import Extraction, Grade
from piigate.parse import parse_message
from tests import formats
from tests.synthetic import message

RAR = Path(__file__).resolve().parents[1] / "fixtures" / "rar"
COUNTING = "".join(f"{n:03d}\n" for n in range(512))
"""The text of rarfile's 2,048-byte ``stest1.txt`` and ``stest2.txt`` members."""


def read(name: str, body: str = "See attached.") -> Extraction:
    mail = formats.email_with(body, [(name, (RAR / name).read_bytes(), "application/x-rar")])
    return extract(parse_message(mail.as_bytes()))


def texts(extraction: Extraction) -> dict[str, str]:
    return {s.where: s.text for s in extraction.segments if s.where.startswith("attachment")}


@pytest.mark.parametrize("name", ["rar3-solid.rar", "rar5-solid.rar"])
def test_compressed_solid_members_are_read(name: str) -> None:
    """RAR 3 and RAR 5 solid archives (compressed: decompressed by unar): each member's text
    is a segment named `attachment <archive>/<member>`, and nothing is unscannable."""
    extraction = read(name)
    assert extraction.unscannable == ()
    assert texts(extraction) == {
        f"attachment {name}/stest1.txt": COUNTING,
        f"attachment {name}/stest2.txt": COUNTING,
    }
    assert [a.grade for a in extraction.attachments] == [Grade.PLAINTEXT] * 3


def test_members_in_folders_keep_their_paths() -> None:
    """Members in nested folders (one with a non-ASCII name) are named by their full path."""
    extraction = read("rar5-subdirs.rar")
    assert set(texts(extraction)) == {
        "attachment rar5-subdirs.rar/sub/dir1/file1.txt",
        "attachment rar5-subdirs.rar/sub/dir2/file2.txt",
        "attachment rar5-subdirs.rar/sub/with space/long fn.txt",
        "attachment rar5-subdirs.rar/sub/üȵĩöḋè/file.txt",
    }


@pytest.mark.parametrize(
    ("name", "grade"),
    [
        ("rar5-psw.rar", Grade.ENCRYPTED_STRONG),
        ("rar5-hpsw.rar", Grade.ENCRYPTED_STRONG),
        ("rar3-comment-psw.rar", Grade.ENCRYPTED_WEAK),
        ("rar3-comment-hpsw.rar", Grade.ENCRYPTED_WEAK),
        ("rar202-comment-psw.rar", Grade.ENCRYPTED_WEAK),
    ],
)
def test_encrypted_rar_is_graded_by_cipher(name: str, grade: Grade) -> None:
    """RAR 5 (AES-256, PBKDF2) is strong, RAR 3 (AES-128) and RAR 2.0 weak, with the member
    list encrypted too (-hp) or not; without a password nothing is read, nothing blocks."""
    extraction = read(name, "Password by phone.")
    assert [(a.grade, a.inspected) for a in extraction.attachments] == [(grade, False)]
    assert (texts(extraction), extraction.unscannable) == ({}, ())


@pytest.mark.parametrize("name", ["rar5-psw.rar", "rar5-hpsw.rar"])
def test_password_in_message_opens_rar(name: str) -> None:
    """The password in the body opens the archive (file list encrypted or not): the members
    are read as plain text and the archive is marked as opened by the message's password."""
    extraction = read(name, "The password: password")
    archive = extraction.attachments[0]
    assert archive.password_in_message
    assert texts(extraction)[f"attachment {name}/stest1.txt"] == COUNTING


@pytest.mark.parametrize("cut", [40, 120])
def test_broken_rar_is_unreadable(cut: int) -> None:
    """A RAR cut short (in its headers, or in a compressed member's data) is a blocking
    defect naming the attachment or the member, never clean."""
    data = (RAR / "rar3-solid.rar").read_bytes()[:cut]
    mail = formats.email_with("x", [("cut.rar", data, "application/x-rar")])
    extraction = extract(parse_message(mail.as_bytes()))
    assert extraction.unscannable
    assert all(d.where.startswith("attachment cut.rar") for d in extraction.unscannable)


def test_clean_rar_delivers_through_scan(tmp_path: Path) -> None:
    """`piigate scan --json` (the archive and its members read in the worker pool): a RAR of
    plain text is delivered, exit 0, its members listed as plaintext attachments."""
    data = (RAR / "rar5-solid.rar").read_bytes()
    path = tmp_path / "rar.eml"
    path.write_bytes(message(attachments=(("data.rar", data, "application/x-rar"),)))
    result = CliRunner().invoke(main, ["scan", "--json", str(path)])
    [line] = [json.loads(text) for text in result.stdout.splitlines()]
    assert (result.exit_code, line["action"], line["findings"]) == (0, "deliver", [])
