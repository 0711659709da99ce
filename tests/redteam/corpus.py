"""The red-team corpus: every trick, crossed with every sensitive kind and every place.

A *kind* writes one sensitive statement (an SSN, a card, a name with a date of birth) as plain
text. A *text trick* rewrites that text the way Word, a PDF copy or a hostile sender would
(look-alike digits, dashes and spaces, invisible characters); an *HTML trick* turns it into
HTML that a mail client shows as the same text (markup splitting the number) or delivers
without showing (hidden text). A *place* puts the result into a message and says where the
gate must report it. Each table below is open: add a row and every combination follows.

``precision_corpus`` writes ordinary business mail (no PII) with the same tricks: typographic
dashes in phone numbers and dates, look-alike digits in order numbers and ZIP+4 codes, HTML
newsletters with hidden preheaders and numeric tables.
"""

from __future__ import annotations

import base64
import html
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage

from tests.detection.generate import Values, business_mail
from tests.synthetic import message

HIDDEN = " (hidden text of the HTML)"

# -- kinds: one sensitive statement as plain text -------------------------------------------


@dataclass(frozen=True)
class Statement:
    kind: str
    entity: str
    text: str = field(repr=False)


def _ssn(v: Values) -> Statement:
    digits = v.ssn()
    return Statement("ssn", "US_SSN", f"SSN {digits[:3]}-{digits[3:5]}-{digits[5:]}")


def _card(v: Values) -> Statement:
    number = v.card()
    while len(number) != 16:
        number = v.card()
    grouped = " ".join(number[i : i + 4] for i in range(0, 16, 4))
    return Statement("card", "PAYMENT_CARD", f"Card {grouped}")


def _name_dob(v: Values) -> Statement:
    first, last = v.rng.choice((("Maria", "Garcia"), ("James", "Miller"), ("Linda", "Wilson")))
    born = f"{v.rng.randint(1, 12):02d}-{v.rng.randint(1, 28):02d}-{v.rng.randint(1950, 1999)}"
    return Statement("name-dob", "DATE_OF_BIRTH", f"{first} {last}, DOB {born}")


KINDS: dict[str, Callable[[Values], Statement]] = {
    "ssn": _ssn,
    "card": _card,
    "name-dob": _name_dob,
}

# -- text tricks: str -> str ----------------------------------------------------------------


def _digits(zero: str) -> Callable[[str], str]:
    return lambda text: re.sub(r"\d", lambda m: chr(ord(zero) + int(m.group())), text)


def _each(pattern: str, replacement: str) -> Callable[[str], str]:
    return lambda text: re.sub(pattern, replacement, text)


def _between_digits(char: str) -> Callable[[str], str]:
    return lambda text: re.sub(r"(?<=\d)(?=\d)", char, text)


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


TEXT_TRICKS: dict[str, Callable[[str], str]] = {
    "fullwidth-digits": _digits("\uff10"),
    "arabic-indic-digits": _digits("\u0660"),
    "devanagari-digits": _digits("\u0966"),
    "math-bold-digits": _digits("\U0001d7ce"),
    "non-breaking-hyphen": _each("-", "\u2011"),
    "en-dash": _each("-", "\u2013"),
    "minus-sign": _each("-", "\u2212"),
    "fullwidth-hyphen": _each("-", "\uff0d"),
    "no-break-space": _each(" ", "\u00a0"),
    "narrow-no-break-space": _each("(?<=\\d) (?=\\d)", "\u202f"),
    "zero-width-space": _between_digits("\u200b"),
    "soft-hyphen": _between_digits("\u00ad"),
    "word-joiner": _between_digits("\u2060"),
    "bidi-marks": _between_digits("\u200e\u202a\u2066"),
    "fullwidth-everything": _fullwidth,
    "dash-and-digits": lambda text: _digits("\u0660")(text.replace("-", "\u2010")),
}

# -- HTML tricks: statement -> (head, body fragment, hidden?) --------------------------------


def _split_markup(text: str, joiner: Callable[[str], str]) -> str:
    return "".join(joiner(piece) for piece in re.findall(r"\d+|\D", text))


def _data_uri(mime: str, payload: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(payload.encode()).decode()}"


def _css_string(text: str) -> str:
    return "".join(f"\\{ord(c):x} " if not c.isalnum() else c for c in text)


def _shown(body: Callable[[str], str]) -> Callable[[str], tuple[str, str, bool]]:
    return lambda text: ("", f"<p>{body(text)}</p>", False)


def _hidden(head: str = "", body: str = "") -> Callable[[str], tuple[str, str, bool]]:
    return lambda text: (head.format(t=html.escape(text)), body.format(t=html.escape(text)), True)


HtmlTrick = Callable[[str], tuple[str, str, bool]]

HTML_TRICKS: dict[str, HtmlTrick] = {
    "spans": _shown(lambda t: _split_markup(t, lambda p: f"<span>{p}</span>")),
    "nested-inline": _shown(lambda t: _split_markup(t, lambda p: f"<b><i>{p}</i></b>")),
    "comment-split": _shown(lambda t: _split_markup(t, lambda p: f"{p}<!-- -->")),
    "char-references": _shown(lambda t: "".join(f"&#{ord(c)};" for c in t)),
    "entity-dashes": _shown(lambda t: html.escape(t).replace("-", "&ndash;")),
    "spans-fullwidth": _shown(
        lambda t: _split_markup(_digits("\uff10")(t), lambda p: f"<font>{p}</font>")
    ),
    "comment": _hidden(body="<!-- {t} -->"),
    "title": _hidden(head="<title>{t}</title>"),
    "alt": _hidden(body='<img src="logo.png" alt="{t}">'),
    "title-attribute": _hidden(body='<abbr title="{t}">note</abbr>'),
    "aria-label": _hidden(body='<a href="#" aria-label="{t}">link</a>'),
    "display-none": _hidden(body='<div style="display:none">{t}</div>'),
    "visibility-hidden": _hidden(body='<span style="visibility: hidden">{t}</span>'),
    "font-size-zero": _hidden(body='<span style="font-size:0px;color:#fff">{t}</span>'),
    "noscript": _hidden(body="<noscript>{t}</noscript>"),
    "template": _hidden(body="<template><p>{t}</p></template>"),
    "css-content": lambda t: (f'<style>.x::after{{content:"{_css_string(t)}"}}</style>', "", True),
    "data-uri-text": lambda t: ("", f'<img src="{_data_uri("text/plain", t)}">', True),
    "data-uri-svg": lambda t: (
        "",
        f'<img src="{_data_uri("image/svg+xml", f"<svg><text>{html.escape(t)}</text></svg>")}">',
        True,
    ),
    "hidden-nb-hyphen": _hidden(body='<div style="display:none">{t}</div>'),
    "css-class-hidden": _hidden(
        head="<style>p {{ margin: 0 }} .fine-print {{ display: none !important }}</style>",
        body='<p class="fine-print">{t}</p>',
    ),
    "css-id-hidden": _hidden(
        head="<style>/* layout */ div#ref > span {{ font-size: 0 }}</style>",
        body='<div id="ref"><span>{t}</span></div>',
    ),
}
"""``hidden-nb-hyphen`` also gets the non-breaking-hyphen text trick (see ``_html_text``)."""


def _html_text(trick: str, text: str) -> str:
    return TEXT_TRICKS["non-breaking-hyphen"](text) if trick == "hidden-nb-hyphen" else text


def html_document(head: str, fragment: str) -> str:
    return (
        f"<html><head>{head}</head><body><p>Hello,</p>{fragment}<p>Thanks,<br>Pat</p></body></html>"
    )


# -- places: content -> (message, where) ----------------------------------------------------


@dataclass(frozen=True)
class Content:
    """A statement after its trick: as plain text, or as an HTML document."""

    text: str = field(repr=False)
    is_html: bool = False
    hidden: bool = False


def _subject(c: Content) -> tuple[bytes, str]:
    """The subject as one RFC 2047 encoded-word: the stdlib's own folding of encoded-words
    can drop a space between them (a client then shows the digits joined)."""
    raw = message(subject="PLACEHOLDER", body="Please see the subject.\n")
    word = c.text
    if not c.text.isascii():
        word = f"=?utf-8?b?{base64.b64encode(c.text.encode()).decode()}?="
    return raw.replace(b"Subject: PLACEHOLDER", f"Subject: {word}".encode(), 1), "subject"


def _x_header(c: Content) -> tuple[bytes, str]:
    """An X- header the sender's client added, as one RFC 2047 encoded-word when not ASCII."""
    raw = message(body="Please see the note.\n")
    word = " ".join(c.text.splitlines())  # one header line (the precision set's mail is long)
    if not word.isascii():
        word = f"=?utf-8?b?{base64.b64encode(word.encode()).decode()}?="
    return raw.replace(b"\nSubject:", f"\nX-Note: {word}\nSubject:".encode(), 1), "header X-Note"


def _attachment_name(c: Content) -> tuple[bytes, str]:
    """The statement as an attachment's file name (RFC 2231 encoded by the stdlib when not
    ASCII); the file itself holds nothing sensitive."""
    name = " ".join(c.text.splitlines()) + ".txt"
    raw = message(body="Attached.\n", attachments=((name, b"See the name.\n", "text/plain"),))
    return raw, "file name of attachment #1"


def _plain_body(c: Content) -> tuple[bytes, str]:
    return message(body=f"Hello,\n{c.text}\nThanks\n"), "body"


def _html_body(c: Content) -> tuple[bytes, str]:
    markup = c.text if c.is_html else html_document("", f"<p>{html.escape(c.text)}</p>")
    return message(body="See the HTML version.\n", html=markup), "body" + (
        HIDDEN if c.hidden else ""
    )


def _text_attachment(c: Content) -> tuple[bytes, str]:
    data = f"Records\n{c.text}\n".encode()
    raw = message(body="Attached.\n", attachments=(("records.txt", data, "text/plain"),))
    return raw, "attachment records.txt"


def _html_attachment(c: Content) -> tuple[bytes, str]:
    raw = message(body="Attached.\n", attachments=(("page.html", c.text.encode(), "text/html"),))
    return raw, "attachment page.html" + (HIDDEN if c.hidden else "")


def _forward(c: Content) -> tuple[bytes, str]:
    inner = EmailMessage()
    inner["From"] = "carol@example.org"
    inner["To"] = "alice@dhs.gov"
    inner["Subject"] = "Original"
    if c.is_html:
        inner.set_content("See the HTML version.\n")
        inner.add_alternative(c.text, subtype="html")
    else:
        inner.set_content(f"Hello,\n{c.text}\n")
    outer = EmailMessage()
    outer["From"] = "alice@dhs.gov"
    outer["To"] = "bob@fbi.gov"
    outer["Subject"] = "Fwd: Original"
    outer.set_content("Forwarding, see below.\n")
    outer.add_attachment(inner)
    return outer.as_bytes(), "body of attached message #1" + (HIDDEN if c.hidden else "")


Place = Callable[[Content], tuple[bytes, str]]

TEXT_PLACES: dict[str, Place] = {
    "subject": _subject,
    "x-header": _x_header,
    "attachment-name": _attachment_name,
    "plain-body": _plain_body,
    "html-body": _html_body,
    "text-attachment": _text_attachment,
    "nested-forward": _forward,
}
"""Places that take text (each row: a function building the message and the place the finding
must name). The MIME tricks of headers and names (encoded-words, RFC 2231, Message-ID,
Content-Description, folded and ambiguous MIME) are crossed with the kinds in
``mime_corpus.py``."""

HTML_PLACES: dict[str, Place] = {
    "html-body": _html_body,
    "html-attachment": _html_attachment,
    "nested-forward": _forward,
}

# -- the corpora ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    label: str
    raw: bytes = field(repr=False)
    entity: str = ""
    where: str = ""


def redteam_corpus(seed: int = 14) -> Iterator[Case]:
    """Every (trick, kind, place): each must be refused with a finding of ``entity`` at
    ``where``."""
    v = Values(random.Random(seed))
    for kind, make in KINDS.items():
        for trick, rewrite in TEXT_TRICKS.items():
            for place, put in TEXT_PLACES.items():
                statement = make(v)
                raw, where = put(Content(rewrite(statement.text)))
                yield Case(f"{trick}/{kind}/{place}", raw, statement.entity, where)
        for trick, build in HTML_TRICKS.items():
            for place, put in HTML_PLACES.items():
                statement = make(v)
                head, fragment, hidden = build(_html_text(trick, statement.text))
                content = Content(html_document(head, fragment), is_html=True, hidden=hidden)
                raw, where = put(content)
                yield Case(f"{trick}/{kind}/{place}", raw, statement.entity, where)


def _newsletter(v: Values, text: str) -> str:
    """An HTML newsletter around ``text``: hidden preheader, title, logo, a numeric table."""
    rows = "".join(
        f"<tr><td>{v.rng.randint(1000, 9999)}</td><td>{v.rng.randint(10, 99_999):,}</td>"
        f"<td>{v.rng.randint(1, 999)}.{v.digits(2)}</td><td>{v.digits(4)}</td></tr>"
        for _ in range(12)
    )
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n\n"))
    return (
        "<html><head><title>Weekly update</title></head><body>"
        '<div style="display:none;font-size:0">This week: budget, travel, and the new desk '
        "booking tool.</div>"
        '<img src="logo.png" alt="Agency logo" width="120">'
        f"{paragraphs}<table><tr><th>Item</th><th>Qty</th><th>Price</th><th>Code</th></tr>"
        f"{rows}</table><!-- footer v2.3 --><p>Unsubscribe</p></body></html>"
    )


def _numeric_table(v: Values) -> str:
    lines = ["Region  Q1  Q2  Q3  Q4  Total"]
    for region in ("North", "South", "East", "West", "Central"):
        values = [v.rng.randint(100, 99_999) for _ in range(4)]
        lines.append(f"{region}  " + "  ".join(f"{x:,}" for x in (*values, sum(values))))
    return "\n".join(lines)


def _invite(v: Values) -> bytes:
    """A calendar invite (iCalendar attachment) with dial-in numbers, a UID and times."""
    month, day, hour = v.rng.randint(1, 12), v.rng.randint(1, 28), v.rng.randint(8, 17)
    ics = "\r\n".join(
        (
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//Agency//Calendar 1.0//EN",
            "BEGIN:VEVENT",
            f"UID:{v.digits(12)}-{v.digits(4)}@agency.gov",
            "DTSTAMP:20260301T120000Z",
            f"DTSTART:2026{month:02d}{day:02d}T{hour:02d}0000Z",
            f"DTEND:2026{month:02d}{day:02d}T{hour + 1:02d}0000Z",
            f"SUMMARY:Budget review - FY{v.rng.randint(24, 27)} Q{v.rng.randint(1, 4)}",
            f"LOCATION:Room {v.digits(3)}\\, dial-in +1 202-555-{v.digits(4)}",
            f"DESCRIPTION:Join by phone: 1-888-555-{v.digits(4)}\\, conference ID "
            f"{v.digits(9)}#\\nMeeting link: https://meet.agency.gov/j/{v.digits(11)}",
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        )
    )
    return ics.encode()


def precision_corpus(seed: int = 15, per_trick: int = 4) -> Iterator[Case]:
    """Business mail with no PII, written with every text trick, in every place that takes
    text, plus HTML newsletters and calendar invites: each must be delivered with no finding."""
    v = Values(random.Random(seed))

    def clean_mail() -> str:
        while True:
            text, truth = business_mail(v)
            if not truth:
                return text

    for trick, rewrite in TEXT_TRICKS.items():
        for index in range(per_trick):
            for place, put in TEXT_PLACES.items():
                text = clean_mail() + "\n\n" + _numeric_table(v)
                if place == "subject":
                    text = text.split("\n")[0][:120]
                raw, _ = put(Content(rewrite(text)))
                yield Case(f"{trick}/{place}#{index}", raw)
            markup = _newsletter(v, rewrite(clean_mail()))
            raw, _ = _html_body(Content(markup, is_html=True))
            yield Case(f"{trick}/newsletter#{index}", raw)
            invite = rewrite(_invite(v).decode()).encode()
            raw = message(
                body="Invitation.\n", attachments=(("invite.ics", invite, "text/calendar"),)
            )
            yield Case(f"{trick}/calendar-invite#{index}", raw)
