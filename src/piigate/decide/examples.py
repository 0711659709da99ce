"""Policy tests: example messages described in YAML, each with the verdict it must get.

    tests:
      - name: SSN in the body to the FBI is refused
        message:
          from: alice@dhs.gov
          to: [bob@fbi.gov]
          subject: "[PURPOSE: background check] records"
          headers: {X-Case-Id: OPR-2012-0042}
          body: "Subject's SSN: {ssn}\n{disclaimer}\n"
          attachments:
            - {name: clients.csv, rows: 150}        # generated: name,ssn with 150 people
            - {name: note.txt, content: "hello"}
        expect:
          action: reject
          rules: [unencrypted-sensitive-pii]       # exactly these (any order)

``{ssn}`` becomes a synthetic SSN (a new one each time, generated from a seed so runs repeat);
``{disclaimer}`` the configured disclaimer. ``piigate rules test`` runs every ``*.yaml`` in
``rules/tests/`` against the current rules.
"""

from __future__ import annotations

import io
import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Literal

import pyzipper
from pydantic import BaseModel, ConfigDict, Field

from piigate.errors import ConfigError
from piigate.model import Action, Envelope, Screening
from piigate.yamlfile import YamlDocument

ScreenFn = Callable[[Envelope, bytes], Screening]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class ExampleAttachment(_Frozen):
    name: str
    content: str | None = None
    rows: int | None = Field(default=None, ge=1)
    binary: bool = False
    """Bytes no reader understands (content the gate cannot inspect)."""
    zip_password: str | None = None
    """Put the content, as ``<name>.csv``/``.txt``, in a WinZip AES zip with this password."""
    zip_bits: Literal[128, 192, 256] = 256


class ExampleMessage(_Frozen):
    sender: str = Field(alias="from")
    to: tuple[str, ...]
    subject: str = ""
    headers: dict[str, str] = Field(default_factory=dict)
    body: str = ""
    attachments: tuple[ExampleAttachment, ...] = ()


class Expectation(_Frozen):
    action: Action
    rules: tuple[str, ...] = ()


class Example(_Frozen):
    name: str
    message: ExampleMessage
    expect: Expectation


class ExampleFile(_Frozen):
    tests: tuple[Example, ...]


@dataclass(frozen=True, slots=True)
class ExampleResult:
    file: str
    name: str
    expected: Expectation
    action: Action
    rules: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return self.action is self.expected.action and sorted(self.rules) == sorted(
            self.expected.rules
        )


def load_examples(directory: Path) -> list[tuple[Path, Example]]:
    if not directory.is_dir():
        raise ConfigError(f"{directory}: policy tests folder not found")
    examples: list[tuple[Path, Example]] = []
    for path in sorted(directory.glob("*.yaml")):
        doc = YamlDocument.load(path)
        examples.extend((path, e) for e in doc.validate(ExampleFile).tests)
    if not examples:
        raise ConfigError(f"{directory}: no policy tests (*.yaml with a tests: list)")
    return examples


def build(example: Example, disclaimer: str) -> tuple[Envelope, bytes]:
    """The example as a real MIME message, with synthetic PII seeded by the example's name."""
    rng = random.Random(zlib.crc32(example.name.encode()))
    spec = example.message
    message = EmailMessage()
    message["From"] = spec.sender
    message["To"] = ", ".join(spec.to)
    message["Subject"] = spec.subject
    message["Message-ID"] = f"<example-{zlib.crc32(example.name.encode())}@piigate.test>"
    for name, value in spec.headers.items():
        message[name] = value
    message.set_content(_fill(spec.body, rng, disclaimer))
    for attachment in spec.attachments:
        maintype, subtype = _type_of(attachment.name)
        message.add_attachment(
            _content(attachment, rng, disclaimer),
            maintype=maintype,
            subtype=subtype,
            filename=attachment.name,
        )
    return Envelope(spec.sender, spec.to), message.as_bytes()


def run(
    screen: ScreenFn, examples: list[tuple[Path, Example]], disclaimer: str
) -> list[ExampleResult]:
    results = []
    for path, example in examples:
        envelope, raw = build(example, disclaimer)
        verdict = screen(envelope, raw).verdict
        results.append(
            ExampleResult(
                path.name,
                example.name,
                example.expect,
                verdict.action,
                tuple(v.rule for v in verdict.violations),
            )
        )
    return results


def synthetic_ssn(rng: random.Random) -> str:
    area = rng.choice([a for a in range(1, 900) if a != 666])
    return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def _fill(text: str, rng: random.Random, disclaimer: str) -> str:
    text = text.replace("{disclaimer}", disclaimer)
    while "{ssn}" in text:
        text = text.replace("{ssn}", synthetic_ssn(rng), 1)
    return text


def _content(attachment: ExampleAttachment, rng: random.Random, disclaimer: str) -> bytes:
    if attachment.binary:
        return bytes(rng.randrange(256) for _ in range(512)) + b"\x00" * 16
    if attachment.rows:
        data, inner = _roster(attachment.rows, rng).encode(), ".csv"
    else:
        data, inner = _fill(attachment.content or "", rng, disclaimer).encode(), ".txt"
    if attachment.zip_password is None:
        return data
    stem = attachment.name.rsplit(".", 1)[0]
    buffer = io.BytesIO()
    with pyzipper.AESZipFile(buffer, "w", encryption=pyzipper.WZ_AES) as archive:
        archive.setpassword(attachment.zip_password.encode())
        archive.setencryption(pyzipper.WZ_AES, nbits=attachment.zip_bits)
        archive.writestr(stem + inner, data)
    return buffer.getvalue()


def _roster(rows: int, rng: random.Random) -> str:
    lines = ["name,ssn"]
    lines += [f"Person {i:05d},{synthetic_ssn(rng)}" for i in range(rows)]
    return "\n".join(lines) + "\n"


def _type_of(name: str) -> tuple[str, str]:
    suffix = name.rpartition(".")[2].lower()
    return {
        "csv": ("text", "csv"),
        "txt": ("text", "plain"),
        "html": ("text", "html"),
        "zip": ("application", "zip"),
    }.get(suffix, ("application", "octet-stream"))
