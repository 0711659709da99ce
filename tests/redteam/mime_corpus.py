"""Red-team cases for the MIME readings (issue 14, part ``mime``), as a table.

``TRICKS`` maps a trick's name to a builder: given one sentence of PII (an SSN, a card, or a
name with a date of birth, ``Sensitive``), it returns the message bytes hiding the sentence
that way and the place the gate must name. ``KINDS`` builds the sentences from a seed; a
trick lists the kinds it can carry (a Message-ID holds no spaces, so no name). ``cases``
crosses them. ``mime_precision.PRECISION`` is business mail written the same way with no PII.
"""

from __future__ import annotations

import base64
import binascii
import io
import quopri
import random
import urllib.parse
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.header import Header

from tests.detection.generate import Values
from tests.synthetic import ssn

HEAD = "From: alice@dhs.gov\nTo: bob@fbi.gov\nSubject: Case update\nMIME-Version: 1.0\n"
"""The headers of every case: a sender inside the agency, an external recipient."""


@dataclass(frozen=True)
class Sensitive:
    kind: str
    sentence: str
    """The PII as a person writes it: ``SSN 123-45-6789``."""
    token: str
    """The PII with no spaces, for places that hold none (a Message-ID, a file name)."""


@dataclass(frozen=True)
class Case:
    trick: str
    kind: str
    raw: bytes
    place: str
    """The start of the ``where`` of the finding the gate must report."""


Builder = Callable[[Sensitive], tuple[str | bytes, str]]


def sensitive(kind: str, rng: random.Random) -> Sensitive:
    values = Values(rng)
    if kind == "ssn":
        value = ssn(rng)
        return Sensitive(kind, f"SSN {value}", value)
    if kind == "card":
        number = values.card()
        dashed = "-".join(number[i : i + 4] for i in range(0, 16, 4)) if len(number) == 16 else ""
        return Sensitive(kind, f"card {values.card_text(number)}", dashed or number)
    name, _ = values.name()
    dob = values.dob()[1]  # ISO: no slash, so it fits a file name too
    plain = name.replace(",", "").replace(".", "")
    return Sensitive(kind, f"Name: {name}, DOB {dob}", f"{plain} DOB {dob}")


KINDS = ("ssn", "card", "name-dob")


def _b64(text: str | bytes) -> str:
    data = text.encode() if isinstance(text, str) else text
    return base64.encodebytes(data).decode()


def _body(headers: str, body: str | bytes) -> bytes:
    data = body.encode() if isinstance(body, str) else body
    return (HEAD + headers + "\n").encode() + data


def _multipart(preamble: str, parts: list[str], epilogue: str = "") -> str:
    inner = "".join(f"--BOUND\n{part}\n" for part in parts)
    return f"{preamble}\n{inner}--BOUND--\n{epilogue}"


_MIXED = "Content-Type: multipart/mixed; boundary=BOUND\n"
_HELLO = "Content-Type: text/plain\n\nPlease see the attached.\n"


def _attachment(disposition: str, body: str = "hello\n", extra: str = "") -> str:
    return f"Content-Type: application/octet-stream\n{extra}{disposition}\n\n{body}"


def _utf7(text: str) -> str:
    """``text`` with every character in UTF-7's base64 form (as a UTF-7 decoder reads it)."""
    wide = base64.b64encode(text.encode("utf-16-be")).decode().rstrip("=")
    return f"+{wide}-"


def _zip(names: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in names.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _folded_at_998(sentence: str) -> str:
    """An HTML body line on which ``sentence``'s number crosses column 998, folded there the
    way Postfix's smtp_line_length_limit folds it (CRLF SP)."""
    filler = "<p>" + "Quarterly figures follow. " * 40
    split = len(sentence) - 4
    start = 998 - split
    line = filler[:start] + sentence + " and more text</p>"
    return line[:998] + "\r\n " + line[998:] + "\r\n"


def _folded_content_line(prefix: str, sentence: str) -> str:
    middle = len(sentence) - 5
    return f"{prefix}{sentence[:middle]}\r\n {sentence[middle:]}\r\n"


def _forward(inner: str) -> str:
    return _multipart("", [_HELLO, f"Content-Type: message/rfc822\n\n{inner}"])


TRICKS: dict[str, tuple[tuple[str, ...], Builder]] = {}


def trick(name: str, kinds: tuple[str, ...] = KINDS) -> Callable[[Builder], Builder]:
    def register(build: Builder) -> Builder:
        TRICKS[name] = (kinds, build)
        return build

    return register


def _encoded(text: str) -> str:
    return Header(text, "utf-8").encode()


# -- every header and every name -----------------------------------------------------------


@trick("encoded-x-header")
def _x_header(s: Sensitive) -> tuple[bytes, str]:
    return _body(f"X-Note: {_encoded(s.sentence)}\n", "Hello.\n"), "header X-Note"


@trick("q-encoded-keywords")
def _keywords(s: Sensitive) -> tuple[bytes, str]:
    words = quopri.encodestring(s.sentence.encode(), header=True).decode()
    return _body(f"Keywords: =?utf-8?q?{words}?=\n", "Hello.\n"), "header Keywords"


@trick("comments")
def _comments(s: Sensitive) -> tuple[bytes, str]:
    return _body(f"Comments: {s.sentence}\n", "Hello.\n"), "header Comments"


@trick("display-name")
def _display_name(s: Sensitive) -> tuple[str, str]:
    rest = HEAD.split("\n", 1)[1]
    return f'From: "{s.sentence}" <alice@dhs.gov>\n{rest}\nHello.\n', "header From"


@trick("reply-to-name")
def _reply_to(s: Sensitive) -> tuple[bytes, str]:
    header = f"Reply-To: {_encoded(s.sentence)} <desk@dhs.gov>\n"
    return _body(header, "Hello.\n"), "header Reply-To"


@trick("message-id", ("ssn", "card"))
def _message_id(s: Sensitive) -> tuple[bytes, str]:
    return _body(f"Message-ID: <{s.token}@dhs.gov>\n", "Hello.\n"), "header Message-ID"


@trick("in-reply-to", ("ssn", "card"))
def _in_reply_to(s: Sensitive) -> tuple[bytes, str]:
    return _body(f"In-Reply-To: <{s.token}@dhs.gov>\n", "Hello.\n"), "header In-Reply-To"


def _with_attachment(attachment: str) -> bytes:
    return _body(_MIXED, _multipart("", [_HELLO, attachment]))


@trick("rfc2231-file-name")
def _rfc2231(s: Sensitive) -> tuple[bytes, str]:
    name = urllib.parse.quote(s.token + ".txt")
    disposition = f"Content-Disposition: attachment; filename*=utf-8''{name}"
    return _with_attachment(_attachment(disposition)), "file name of attachment #1"


@trick("rfc2047-file-name")
def _rfc2047(s: Sensitive) -> tuple[bytes, str]:
    disposition = f'Content-Disposition: attachment; filename="{_encoded(s.token + ".txt")}"'
    return _with_attachment(_attachment(disposition)), "file name of attachment #1"


@trick("content-description")
def _description(s: Sensitive) -> tuple[bytes, str]:
    part = _attachment(
        "Content-Disposition: attachment; filename=notes.txt",
        extra=f"Content-Description: {s.sentence}\n",
    )
    return _with_attachment(part), "Content-Description of attachment #1"


@trick("archive-member-name")
def _member_name(s: Sensitive) -> tuple[bytes, str]:
    part = _attachment(
        "Content-Disposition: attachment; filename=cases.zip\nContent-Transfer-Encoding: base64",
        _b64(_zip({f"{s.token}.txt": b"hello\n"})),
    )
    return _with_attachment(part), "file names in attachment cases.zip"


# -- folded and flowed text ----------------------------------------------------------------


@trick("icalendar-fold")
def _icalendar(s: Sensitive) -> tuple[bytes, str]:
    event = (
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:Intake\r\n"
        + _folded_content_line("DESCRIPTION:", s.sentence)
        + "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    return _body("Content-Type: text/calendar; method=REQUEST\n", event), "body"


@trick("vcard-fold")
def _vcard(s: Sensitive) -> tuple[bytes, str]:
    card = (
        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Records Desk\r\n"
        + _folded_content_line("NOTE:", s.sentence)
        + "END:VCARD\r\n"
    )
    part = _attachment("Content-Disposition: attachment; filename=contact.vcf", card)
    return _with_attachment(part), "attachment contact.vcf"


@trick("flowed-delsp")
def _flowed_delsp(s: Sensitive) -> tuple[bytes, str]:
    text = f"{s.sentence[:-5]} \n{s.sentence[-5:]}\n"
    return _body("Content-Type: text/plain; format=flowed; delsp=yes\n", text), "body"


@trick("flowed")
def _flowed(s: Sensitive) -> tuple[bytes, str]:
    text = "Records:\n" + " \n".join(s.sentence.split(" ")) + "\n"
    return _body("Content-Type: text/plain; format=flowed\n", text), "body"


@trick("qp-soft-break")
def _qp_soft_break(s: Sensitive) -> tuple[bytes, str]:
    head = "Content-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n"
    return _body(head, f"{s.sentence[:-5]}=\n{s.sentence[-5:]}\n"), "body"


@trick("smtp-fold-998")
def _smtp_fold(s: Sensitive) -> tuple[bytes, str]:
    html = "<html><body>" + _folded_at_998(s.sentence) + "</body></html>\r\n"
    return _body("Content-Type: text/html\n", html), "body"


# -- MIME read the way any client might ----------------------------------------------------


@trick("preamble")
def _preamble(s: Sensitive) -> tuple[bytes, str]:
    return _body(_MIXED, _multipart(s.sentence, [_HELLO])), "preamble of part #1"


@trick("epilogue")
def _epilogue(s: Sensitive) -> tuple[bytes, str]:
    return _body(_MIXED, _multipart("", [_HELLO], s.sentence + "\n")), "epilogue of part #1"


@trick("duplicate-cte")
def _duplicate_cte(s: Sensitive) -> tuple[bytes, str]:
    head = (
        "Content-Type: text/plain\nContent-Transfer-Encoding: 7bit\n"
        "Content-Transfer-Encoding: base64\n"
    )
    return _body(head, _b64(s.sentence)), "reading 2 of part #1"


@trick("duplicate-content-type")
def _duplicate_type(s: Sensitive) -> tuple[bytes, str]:
    head = "Content-Type: text/plain\nContent-Type: multipart/mixed; boundary=INNER\n"
    inner = "--INNER\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n"
    return _body(head, inner + _b64(s.sentence) + "--INNER--\n"), "reading 2 of part #1"


def _spelt(spelling: str) -> Builder:
    def build(s: Sensitive) -> tuple[bytes, str]:
        head = f"Content-Type: text/plain\nContent-Transfer-Encoding:{spelling}\n"
        return _body(head, _b64(s.sentence)), "body"

    return build


for _label, _spelling in (
    ("quoted", ' "base64"'),
    ("semicolon", " base64;"),
    ("spaced", "  Base64 "),
    ("x-base64", " x-base64"),
):
    trick(f"cte-{_label}")(_spelt(_spelling))


def _uuencoded(text: str) -> str:
    return "begin 644 note.txt\n" + binascii.b2a_uu(text.encode()).decode() + "`\nend\n"


@trick("cte-x-uuencode")
def _cte_uuencode(s: Sensitive) -> tuple[bytes, str]:
    head = "Content-Type: text/plain\nContent-Transfer-Encoding: x-uuencode\n"
    return _body(head, _uuencoded(s.sentence)), "body"


@trick("inline-uuencode")
def _inline_uuencode(s: Sensitive) -> tuple[bytes, str]:
    text = "See the file.\n" + _uuencoded(s.sentence)
    return _body("Content-Type: text/plain\n", text), "attachment note.txt"


@trick("rfc822-base64")
def _rfc822_base64(s: Sensitive) -> tuple[bytes, str]:
    inner = _b64(f"From: carol@dhs.gov\nSubject: fwd\n\n{s.sentence}\n")
    part = "Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n" + inner
    return _with_attachment(part), "attached message of part #3, decoded"


@trick("rfc822-quoted-printable")
def _rfc822_qp(s: Sensitive) -> tuple[bytes, str]:
    encoded = quopri.encodestring(f"Subject: fwd\n\n{s.sentence[:-5]}".encode()).decode()
    part = (
        "Content-Type: message/rfc822\nContent-Transfer-Encoding: quoted-printable\n\n"
        + f"{encoded}=\n{s.sentence[-5:]}\n"
    )
    return _with_attachment(part), "attached message of part #3, decoded"


@trick("forwarded-header")
def _forwarded_header(s: Sensitive) -> tuple[bytes, str]:
    inner = f"From: carol@dhs.gov\nSubject: fwd\nX-Note: {s.sentence}\n\nSee note.\n"
    return _body(_MIXED, _forward(inner)), "header X-Note of part #4"


@trick("us-ascii-carrying-utf8")
def _ascii_lie(s: Sensitive) -> tuple[bytes, str]:
    head = "Content-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: 8bit\n"
    return _body(head, f"Jos\u00e9 \u2014 {s.sentence}\n".encode()), "body"


@trick("utf16-body-declared")
def _utf16_body(s: Sensitive) -> tuple[bytes, str]:
    head = "Content-Type: text/plain; charset=utf-16\nContent-Transfer-Encoding: base64\n"
    return _body(head, _b64(f"{s.sentence}\n".encode("utf-16"))), "body"


def _wide_attachment(content_type: str, name: str, codec: str) -> Builder:
    def build(s: Sensitive) -> tuple[bytes, str]:
        part = (
            f"Content-Type: {content_type}\nContent-Disposition: attachment; filename={name}\n"
            "Content-Transfer-Encoding: base64\n\n" + _b64(f"{s.sentence}\n".encode(codec))
        )
        return _with_attachment(part), f"attachment {name}"

    return build


trick("utf16le-no-bom-attachment")(_wide_attachment("text/plain", "list.txt", "utf-16-le"))
trick("utf32-bom-attachment")(_wide_attachment("application/octet-stream", "l.txt", "utf-32"))


@trick("utf32be-no-bom-body")
def _utf32_body(s: Sensitive) -> tuple[bytes, str]:
    head = "Content-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: base64\n"
    return _body(head, _b64(f"{s.sentence}\n".encode("utf-32-be"))), "body"


@trick("utf7")
def _utf7_body(s: Sensitive) -> tuple[bytes, str]:
    return _body(
        "Content-Type: text/plain; charset=utf-7\n", f"Record: {_utf7(s.sentence)}\n"
    ), "body"


def cases(seed: int = 14) -> Iterator[Case]:
    """Every trick with every kind it can carry, PII from ``seed``."""
    rng = random.Random(seed)
    for trick, (kinds, build) in TRICKS.items():
        for kind in kinds:
            raw, place = build(sensitive(kind, rng))
            yield Case(trick, kind, raw if isinstance(raw, bytes) else raw.encode(), place)
