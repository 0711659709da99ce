"""S/MIME opaque-signed mail (CMS signed-data with the content inside, as Outlook and
Thunderbird open it): the signed MIME entity is screened, its body and attachments; a
signed-data blob without its content, or broken, is unreadable. The mail is signed by
``openssl smime`` with a throwaway key and certificate made here."""

from __future__ import annotations

import json
import random
import subprocess
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner

from piigate.cli import main
from piigate.model import Action, Envelope, Grade
from piigate.pipeline import Screener
from tests.synthetic import message, ssn

ENVELOPE = Envelope("alice@dhs.gov", ("x@gmail.com",))


@pytest.fixture(scope="module")
def signer(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A throwaway self-signed key and certificate (openssl)."""
    folder = tmp_path_factory.mktemp("signer")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
         "-out", cert, "-subj", "/CN=alice@dhs.gov", "-days", "1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return key, cert


def signed_content(value: str | None) -> bytes:
    """The MIME entity that is signed: a text body and a CSV attachment, each with the SSN."""
    entity = EmailMessage()
    entity.set_content(f"Hello,\nthe SSN is {value}.\n" if value else "Hello,\nsee the list.\n")
    rows = f"Name,SSN\nDoe,{value}\n" if value else "Name,Team\nDoe,Blue\n"
    entity.add_attachment(rows.encode(), maintype="text", subtype="csv", filename="list.csv")
    return entity.as_bytes()


def sign(signer: tuple[Path, Path], content: bytes, *options: str) -> bytes:
    key, cert = signer
    done = subprocess.run(
        ["openssl", "smime", "-sign", "-signer", cert, "-inkey", key, *options],
        input=content, check=True, capture_output=True,
    )  # fmt: skip
    return done.stdout


def opaque_signed(signer: tuple[Path, Path], value: str | None) -> bytes:
    """A whole message that is one ``application/pkcs7-mime; smime-type=signed-data`` part."""
    headers = ["-from", "alice@dhs.gov", "-to", "x@gmail.com", "-subject", "Case update"]
    return sign(signer, signed_content(value), "-nodetach", "-outform", "SMIME", *headers)


def p7m_mail(der: bytes) -> bytes:
    return message(
        to=("x@gmail.com",), attachments=(("report.p7m", der, "application/pkcs7-mime"),)
    )


def test_opaque_signed_mail_is_screened_inside(
    screener: Screener, signer: tuple[Path, Path]
) -> None:
    value = ssn(random.Random(15))
    raw = opaque_signed(signer, value)
    assert b"smime-type=signed-data" in raw and value.encode() not in raw  # base64 on the wire
    screening = screener.screen(ENVELOPE, raw)
    assert screening.verdict.action is Action.REJECT
    places = sorted({f.where for f in screening.detection.findings})
    assert places == ["attachment smime.p7m", "attachment smime.p7m/list.csv"]
    assert screening.extraction.unscannable == ()
    assert {a.grade for a in screening.extraction.attachments} == {Grade.PLAINTEXT}


def test_opaque_signed_mail_without_pii_is_clean(
    screener: Screener, signer: tuple[Path, Path]
) -> None:
    screening = screener.screen(ENVELOPE, opaque_signed(signer, None))
    assert screening.verdict.action is Action.DELIVER
    assert (screening.detection.findings, screening.extraction.unscannable) == ((), ())
    assert "see the list" in " ".join(s.text for s in screening.extraction.segments)


def test_scan_json_names_the_places_inside_the_signature(
    signer: tuple[Path, Path], tmp_path: Path
) -> None:
    path, clean = tmp_path / "signed.eml", tmp_path / "clean.eml"
    path.write_bytes(opaque_signed(signer, ssn(random.Random(16))))
    clean.write_bytes(opaque_signed(signer, None))
    result = CliRunner().invoke(main, ["scan", "--json", str(path), str(clean)])
    refused, passed = (json.loads(line) for line in result.stdout.splitlines())
    assert refused["action"] != "deliver"
    assert {f["where"] for f in refused["findings"]} == {
        "attachment smime.p7m",
        "attachment smime.p7m/list.csv",
    }
    assert (passed["action"], passed["findings"]) == ("deliver", [])


@pytest.mark.parametrize("encoding", ["DER", "BER, streamed"])
def test_p7m_attachment_of_signed_data_is_read(
    screener: Screener, signer: tuple[Path, Path], encoding: str
) -> None:
    """A ``.p7m`` attachment (no smime-type) holding signed-data: its content is read, in DER
    or streamed (indefinite lengths, the content in chunks of a constructed OCTET STRING)."""
    stream = ("-stream",) if encoding.endswith("streamed") else ()
    content = signed_content(ssn(random.Random(17)))
    der = sign(signer, content, "-nodetach", *stream, "-outform", "DER")
    assert der[1] == (0x80 if stream else 0x82)  # the outer SEQUENCE's length: indefinite or not
    screening = screener.screen(ENVELOPE, p7m_mail(der))
    assert screening.verdict.action is Action.REJECT
    assert {f.where for f in screening.detection.findings} == {
        "attachment report.p7m",
        "attachment report.p7m/list.csv",
    }


@pytest.mark.parametrize("damage", ["detached", "truncated"])
def test_signed_data_without_readable_content_is_unreadable(
    screener: Screener, signer: tuple[Path, Path], damage: str
) -> None:
    """Signed-data whose content is detached (absent) or whose bytes are cut short is an
    unreadable attachment: a blocking defect, never clean, even with no PII in sight."""
    if damage == "detached":
        der = sign(signer, signed_content(None), "-outform", "DER")
    else:
        der = sign(signer, signed_content(None), "-nodetach", "-outform", "DER")[:300]
    screening = screener.screen(ENVELOPE, p7m_mail(der))
    assert [d.where for d in screening.extraction.unscannable] == ["attachment report.p7m"]
    assert screening.verdict.action is not Action.DELIVER
