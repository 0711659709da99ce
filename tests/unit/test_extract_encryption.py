"""Encryption: each attachment's grade, passwords found in the same message (tried, and the
content read as plain text), and passwords given to the gate out of band."""

from __future__ import annotations

import datetime
import random
from pathlib import Path

import msoffcrypto.format.xls97
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

from piigate.config import DetectionSettings, ExtractionSettings
from piigate.detect import Detector
from piigate.extract import extract
from piigate.extract.passwords import candidates
from piigate.model import Attachment, Extraction, Finding, Grade
from piigate.parse import parse_message
from tests import formats
from tests.synthetic import ssn

PASSWORD = "Tr0ub&4dor#3!"
"""Visibly synthetic, with the symbols real passwords carry."""


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(DetectionSettings(spacy_model=None))


@pytest.fixture
def secret_ssn() -> str:
    return ssn(random.Random(7))


def csv_of(value: str) -> bytes:
    return f"Name,SSN\nDoe,{value}\n".encode()


def run(
    detector: Detector,
    body: str,
    name: str,
    data: bytes,
    passwords: tuple[str, ...] = (),
) -> tuple[Extraction, Attachment, list[Finding]]:
    message = formats.email_with(body, [(name, data, "application/octet-stream")])
    extraction = extract(parse_message(message.as_bytes()), passwords)
    findings = list(detector.detect(extraction.segments).findings)
    return extraction, extraction.attachments[0], findings


def test_aes256_zip_is_strong_and_not_inspected_without_a_password(
    detector: Detector, secret_ssn: str
) -> None:
    """A WinZip AES-256 zip whose password is not in the message: strong, unread, no defect."""
    data = formats.aes_zip({"list.csv": csv_of(secret_ssn)}, PASSWORD)
    extraction, attachment, findings = run(detector, "Password by phone.", "a.zip", data)
    assert (attachment.grade, attachment.inspected) == (Grade.ENCRYPTED_STRONG, False)
    assert not attachment.password_in_message
    assert findings == []
    assert extraction.unscannable == ()


@pytest.mark.parametrize(
    ("make", "grade"),
    [
        (lambda d: formats.aes_zip({"l.csv": d}, PASSWORD, bits=128), Grade.ENCRYPTED_WEAK),
        (lambda d: formats.zipcrypto_zip("l.csv", d, PASSWORD), Grade.ENCRYPTED_WEAK),
        (lambda d: formats.aes_zip({"l.csv": d}, PASSWORD, bits=256), Grade.ENCRYPTED_STRONG),
    ],
    ids=["aes128", "zipcrypto", "aes256"],
)
def test_zip_grades(detector: Detector, secret_ssn: str, make: object, grade: Grade) -> None:
    """ZipCrypto and AES-128 zips are weak, AES-256 strong."""
    data = make(csv_of(secret_ssn))  # type: ignore[operator]
    _, attachment, _ = run(detector, "hi", "a.zip", data)
    assert attachment.grade is grade


@pytest.mark.parametrize(
    ("algorithm", "grade"),
    [
        ("AES-256", Grade.ENCRYPTED_STRONG),
        ("AES-128", Grade.ENCRYPTED_WEAK),
        ("RC4-128", Grade.ENCRYPTED_WEAK),
        ("RC4-40", Grade.ENCRYPTED_WEAK),
    ],
)
def test_pdf_grades(detector: Detector, secret_ssn: str, algorithm: str, grade: Grade) -> None:
    """An encrypted PDF is strong only under AES-256; RC4 and AES-128 are weak."""
    data = formats.encrypted_pdf(formats.pdf([f"SSN {secret_ssn}"]), PASSWORD, algorithm)
    _, attachment, findings = run(detector, "hi", "r.pdf", data)
    assert (attachment.grade, attachment.inspected, findings) == (grade, False, [])


def test_pdf_with_an_empty_user_password_is_plain(detector: Detector, secret_ssn: str) -> None:
    """A PDF that anyone can open (empty user password, owner password only) is read as text."""
    data = formats.encrypted_pdf(formats.pdf([f"SSN {secret_ssn}"]), "", "AES-256")
    _, attachment, findings = run(detector, "hi", "r.pdf", data)
    assert [f.grade for f in findings] == [Grade.PLAINTEXT]
    assert attachment.inspected


@pytest.mark.parametrize(
    "sentence",
    [
        f"The password is: {PASSWORD}",
        f"pw {PASSWORD}.",
        f'Use passcode "{PASSWORD}" to open it',
        f"key={PASSWORD}",
    ],
)
def test_password_in_the_same_message_opens_the_zip(
    detector: Detector, secret_ssn: str, sentence: str
) -> None:
    """A password written in the body opens the zip: the attachment is marked and its content
    is scanned as plain text."""
    data = formats.aes_zip({"list.csv": csv_of(secret_ssn)}, PASSWORD)
    extraction, attachment, findings = run(detector, f"Hi,\n{sentence}\nThanks", "a.zip", data)
    assert attachment.grade is Grade.ENCRYPTED_STRONG
    assert attachment.password_in_message and attachment.inspected
    assert [(f.where, f.grade) for f in findings] == [
        ("attachment a.zip/list.csv", Grade.PLAINTEXT)
    ]
    assert extraction.attachments[1].name == "a.zip/list.csv"


def test_password_in_an_other_attachment_opens_a_weak_zip(
    detector: Detector, secret_ssn: str
) -> None:
    """Candidates come from every readable part: a password in a .txt opens a ZipCrypto zip."""
    message = formats.email_with(
        "See both.",
        [
            (
                "a.zip",
                formats.zipcrypto_zip("l.csv", csv_of(secret_ssn), PASSWORD),
                "application/zip",
            ),
            ("note.txt", f"Password - {PASSWORD}".encode(), "text/plain"),
        ],
    )
    extraction = extract(parse_message(message.as_bytes()))
    zipped = extraction.attachments[0]
    assert (zipped.grade, zipped.password_in_message) == (Grade.ENCRYPTED_WEAK, True)
    assert [f.grade for f in detector.detect(extraction.segments).findings] == [Grade.PLAINTEXT]


def test_password_in_message_opens_pdf_and_agile_office(
    detector: Detector, secret_ssn: str
) -> None:
    """The same holds for an AES-256 PDF and an agile-encrypted .docx."""
    pdf = formats.encrypted_pdf(formats.pdf([f"SSN {secret_ssn}"]), PASSWORD, "AES-256")
    doc = formats.encrypted_office(formats.docx([f"SSN {secret_ssn}"]), PASSWORD)
    message = formats.email_with(
        f"password: {PASSWORD}",
        [
            ("r.pdf", pdf, "application/pdf"),
            ("m.docx", doc, "application/octet-stream"),
        ],
    )
    extraction = extract(parse_message(message.as_bytes()))
    assert [(a.name, a.grade, a.password_in_message) for a in extraction.attachments] == [
        ("r.pdf", Grade.ENCRYPTED_STRONG, True),
        ("m.docx", Grade.ENCRYPTED_STRONG, True),
    ]
    findings = detector.detect(extraction.segments).findings
    assert [(f.where, f.grade) for f in findings] == [
        ("attachment r.pdf", Grade.PLAINTEXT),
        ("attachment m.docx", Grade.PLAINTEXT),
    ]


def test_out_of_band_password_inspects_but_keeps_the_grade(
    detector: Detector, secret_ssn: str
) -> None:
    """A password given to the gate (not in the message) opens the zip for inspection; its
    content keeps the encrypted grade and the attachment is not marked."""
    data = formats.aes_zip({"list.csv": csv_of(secret_ssn)}, PASSWORD)
    _, attachment, findings = run(detector, "By phone.", "a.zip", data, passwords=(PASSWORD,))
    assert (attachment.inspected, attachment.password_in_message) == (True, False)
    assert [(f.where, f.grade) for f in findings] == [
        ("attachment a.zip/list.csv", Grade.ENCRYPTED_STRONG)
    ]


def test_wrong_passwords_leave_it_locked(detector: Detector, secret_ssn: str) -> None:
    """Passwords that do not fit (in the message or given) open nothing and raise nothing."""
    data = formats.zipcrypto_zip("l.csv", csv_of(secret_ssn), PASSWORD)
    extraction, attachment, findings = run(
        detector, "password: hunter2!! key 'nope-nope'", "a.zip", data, passwords=("wrong",)
    )
    assert (attachment.inspected, findings, extraction.unscannable) == (False, [], ())


def test_pgp_mime_message_is_strong_and_not_inspected() -> None:
    """A PGP/MIME multipart/encrypted message: its parts are strong and not inspected."""
    raw = (
        b'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary=b\n\n'
        b"--b\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n"
        b"--b\nContent-Type: application/octet-stream; name=encrypted.asc\n\n"
        b"-----BEGIN PGP MESSAGE-----\n\nhQEMA0xxxx\n-----END PGP MESSAGE-----\n--b--\n"
    )
    extraction = extract(parse_message(raw))
    assert {(a.grade, a.inspected) for a in extraction.attachments} == {
        (Grade.ENCRYPTED_STRONG, False)
    }
    assert extraction.unscannable == ()


def test_smime_enveloped_message_is_strong(secret_ssn: str) -> None:
    """An S/MIME enveloped-data message (written by cryptography) is strong, not inspected."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bob@fbi.gov")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    smime = (
        pkcs7.PKCS7EnvelopeBuilder()
        .set_data(f"SSN {secret_ssn}".encode())
        .add_recipient(cert)
        .encrypt(serialization.Encoding.SMIME, [])
    )
    extraction = extract(parse_message(b"From: a@dhs.gov\n" + smime))
    assert [(a.grade, a.inspected) for a in extraction.attachments] == [
        (Grade.ENCRYPTED_STRONG, False)
    ]
    assert (extraction.segments, extraction.unscannable) == ((), ())


def test_candidates_rank_the_token_after_a_password_word_first() -> None:
    """The token after ``password is`` comes first, quotes and trailing dots stripped; quoted
    strings and unusual tokens follow; the list is capped."""
    text = 'Hello. The password is "S3cr&t#1". Use ref Xy7#kq9z, or "other phrase".'
    found = candidates([text], limit=300)
    assert found[:2] == ('"S3cr&t#1".', "S3cr&t#1")
    assert "other phrase" in found and "Xy7#kq9z," in found
    assert len(candidates([text * 50 + " ".join(f"Ab{i}#x" for i in range(999))], 20)) == 20


def test_password_trials_stop_when_their_time_is_spent(secret_ssn: str) -> None:
    """With no time for trying candidates, the password in the body is not tried: the zip
    stays encrypted and unread, and a note (not a block) says why."""
    data = formats.aes_zip({"list.csv": csv_of(secret_ssn)}, PASSWORD)
    message = formats.email_with(f"password: {PASSWORD}", [("a.zip", data, "application/zip")])
    settings = ExtractionSettings(password_seconds=0)
    extraction = extract(parse_message(message.as_bytes()), settings=settings)
    assert (extraction.attachments[0].inspected, extraction.unscannable) == (False, ())
    assert [d.reason for d in extraction.defects] == ["time for trying candidate passwords ran out"]


@pytest.mark.parametrize(
    ("algorithm", "grade"),
    [
        ("http://www.w3.org/2001/04/xmlenc#aes256-cbc", Grade.ENCRYPTED_STRONG),
        ("Blowfish CFB", Grade.ENCRYPTED_WEAK),
    ],
)
def test_password_protected_opendocument_is_graded(algorithm: str, grade: Grade) -> None:
    """An .odt whose manifest lists encrypted members (as LibreOffice writes it; no Python
    library writes one, so the manifest is crafted) is graded by algorithm, not read."""
    manifest = (
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">'
        f'<manifest:encryption-data><manifest:algorithm manifest:algorithm-name="{algorithm}"/>'
        "</manifest:encryption-data></manifest:file-entry></manifest:manifest>"
    )
    data = formats.zip_of(
        {
            "mimetype": b"application/vnd.oasis.opendocument.text",
            "META-INF/manifest.xml": manifest.encode(),
            "content.xml": bytes(range(256)) * 4,
        }
    )
    message = formats.email_with("hi", [("locked.odt", data, "application/octet-stream")])
    extraction = extract(parse_message(message.as_bytes()))
    assert [(a.grade, a.inspected) for a in extraction.attachments] == [(grade, False)]
    assert extraction.unscannable == ()


OFFICE_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "office"
"""Made by LibreOffice (tests/fixtures/office/make.py) and, for XOR, Apache POI
(MakeXor.java there): no Python library writes these schemes. Each holds ``secret_ssn``
under ``PASSWORD``."""


@pytest.mark.parametrize(
    "name",
    ["legacy-rc4.doc", "legacy-rc4.xls", "legacy-xor.xls", "standard.docx", "standard.xlsx"],
)
def test_legacy_and_standard_office_encryption_is_weak(
    detector: Detector, secret_ssn: str, name: str
) -> None:
    """97-2003 RC4 (Word, Excel), 97-2003 XOR obfuscation (Excel) and ECMA-376 standard
    encryption (AES-128 under one SHA-1 key) are weak; without the password nothing is read
    and nothing is blocking."""
    data = (OFFICE_FIXTURES / name).read_bytes()
    extraction, attachment, findings = run(detector, "Password by phone.", name, data)
    assert (attachment.grade, attachment.inspected) == (Grade.ENCRYPTED_WEAK, False)
    assert (findings, extraction.unscannable) == ([], ())


@pytest.mark.parametrize(
    ("name", "where"),
    [
        ("legacy-rc4.doc", "attachment legacy-rc4.doc"),
        ("legacy-rc4.xls", "attachment legacy-rc4.xls sheet Sheet1"),
        ("legacy-xor.xls", "attachment legacy-xor.xls sheet Sheet1"),
        ("standard.docx", "attachment standard.docx"),
        ("standard.xlsx", "attachment standard.xlsx sheet Sheet1"),
    ],
)
def test_password_in_message_opens_legacy_and_standard_office(
    detector: Detector, secret_ssn: str, name: str, where: str
) -> None:
    """The password in the body opens each; the SSN inside is found as plain text, in its
    sheet for a workbook."""
    data = (OFFICE_FIXTURES / name).read_bytes()
    _, attachment, findings = run(detector, f"The password is {PASSWORD}", name, data)
    assert (attachment.grade, attachment.password_in_message) == (Grade.ENCRYPTED_WEAK, True)
    assert [(f.entity_type, f.where, f.grade) for f in findings] == [
        ("US_SSN", where, Grade.PLAINTEXT)
    ]
    assert secret_ssn not in repr(findings)


def test_a_decrypter_that_fails_makes_the_attachment_unscannable(
    detector: Detector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the decryption library itself breaks while trying a password (as msoffcrypto once
    did on every 97-2003 file), the attachment is a blocking defect and extraction goes on:
    never an exception for the whole message, never clean. (A patched fault: the real one is
    fixed.)"""

    def broken(*args: object, **kwargs: object) -> None:
        raise TypeError("decrypter fault")

    monkeypatch.setattr(msoffcrypto.format.xls97.Xls97File, "load_key", broken)
    data = (OFFICE_FIXTURES / "legacy-rc4.xls").read_bytes()
    extraction, attachment, _ = run(detector, f"password: {PASSWORD}", "l.xls", data)
    assert (attachment.grade, attachment.inspected) == (Grade.ENCRYPTED_WEAK, False)
    assert [(d.where, d.reason) for d in extraction.unscannable] == [
        ("attachment l.xls", "cannot try passwords: TypeError")
    ]
