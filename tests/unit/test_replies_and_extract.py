"""SMTP reply shapes, and reading text from parts in their many charsets."""

from __future__ import annotations

import pytest

from piigate.extract import extract
from piigate.model import Action, Violation
from piigate.parse import parse_message
from piigate.receive import replies
from piigate.receive.handler import wire_form, wire_form_in_turns


def test_refusal_is_multiline_within_smtp_limits() -> None:
    long = Violation("unencrypted-sensitive-pii", Action.REJECT, "word " * 300)
    other = Violation("unscannable-content", Action.QUARANTINE, "could not read part")
    reply = replies.refusal([long, other])
    lines = reply.split("\r\n")
    assert all(len(line) <= 510 for line in lines)
    assert all(line.startswith("550-5.7.1 ") for line in lines[:-1])
    assert lines[-1].startswith("550 5.7.1 unscannable-content: ")
    assert lines[0].startswith("550-5.7.1 unencrypted-sensitive-pii: ")


def test_refusal_is_ascii() -> None:
    reply = replies.refusal([Violation("r", Action.REJECT, "naïve \u2013 text")])
    reply.encode("ascii")


def test_wire_form_uses_crlf_everywhere() -> None:
    assert wire_form(b"a\nb\r\nc\rd") == b"a\r\nb\r\nc\r\nd\r\n"


MIB = 1024 * 1024


@pytest.mark.parametrize(
    "raw",
    [
        b"x" * (MIB - 1) + b"\r\n" + b"line\r\n" * MIB,
        b"x" * (MIB - 1) + b"\r\n" + b"line\r\n" * MIB + b"no final line end",
        b"x" * (MIB - 1) + b"\r\r\n" + b"line\r\n" * MIB,
        b"x" * MIB + b"\n" + b"line\r\n" * MIB,
        b"line\r\n" * MIB + b"\rline\r\n",
    ],
    ids=[
        "crlf-across-a-turn",
        "no-final-crlf",
        "lone-cr-at-a-turn",
        "lone-lf-at-a-turn",
        "lone-cr",
    ],
)
async def test_large_mail_takes_the_same_wire_form_in_turns(raw: bytes) -> None:
    """A message over a megabyte is checked a megabyte at a time, and a CRLF or a lone CR
    or LF where one megabyte ends is seen as it is: the result is ``wire_form``'s."""
    assert await wire_form_in_turns(raw) == wire_form(raw)


def _texts(raw: bytes) -> list[str]:
    return [s.text for s in extract(parse_message(raw)).segments]


def test_declared_and_undeclared_charsets_decode() -> None:
    latin = b"Content-Type: text/plain; charset=iso-8859-1\n\nJos\xe9 SSN\n"
    assert "José" in _texts(latin)[0]
    bogus = b"Content-Type: text/plain; charset=x-no-such-charset\n\nplain words here\n"
    assert "plain words here" in _texts(bogus)[0]


def test_html_is_reduced_to_visible_text() -> None:
    raw = (
        b"Content-Type: text/html\n\n<html><head><style>p{}</style></head>"
        b"<body><p>Name&nbsp;SSN</p><script>var x=1</script><td>536-22-8167</td></body></html>"
    )
    text = _texts(raw)[0]
    assert "Name SSN" in text and "536-22-8167" in text
    assert "var x" not in text and "p{}" not in text


def test_csv_sent_as_octet_stream_is_read_by_content() -> None:
    raw = (
        b"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nhi\n"
        b"--b\nContent-Type: application/octet-stream\n"
        b"Content-Disposition: attachment; filename=list.jpg\n\nname,ssn\nA,536-22-8167\n--b--\n"
    )
    extraction = extract(parse_message(raw))
    assert [s.where for s in extraction.segments] == ["body", "attachment list.jpg"]
    assert extraction.unscannable == ()


def test_csv_attachment_becomes_a_table_and_findings_name_the_column() -> None:
    from piigate.config import DetectionSettings
    from piigate.detect import Detector

    raw = (
        b"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nhi\n"
        b"--b\nContent-Type: text/csv\nContent-Disposition: attachment; filename=c.csv\n\n"
        b'Name,SSN,Note\n"Doe, J",536-22-8167,x\nRoe,412-55-0199,y\n--b--\n'
    )
    segment = extract(parse_message(raw)).segments[1]
    assert segment.tables[0].rows[1] == ("Doe, J", "536-22-8167", "x")
    findings = Detector(DetectionSettings(spacy_model=None)).detect([segment]).findings
    assert [(f.line, f.column, f.masked) for f in findings] == [
        (2, "SSN", "***-**-8167"),
        (3, "SSN", "***-**-0199"),
    ]
