"""Issue 4: name + date-of-birth pairs in an HTML table (a row is a record), through the real
pipeline and the shipped config: a real MIME message whose text/html body holds the table."""

from __future__ import annotations

import datetime as dt
import random
from email.message import EmailMessage
from html import escape

from piigate.detect.names import normalize_name
from piigate.model import Envelope, Screening
from piigate.pipeline import Screener
from tests.detection.generate import COMMON_FIRST, COMMON_LAST

ENVELOPE = Envelope("alice@dhs.gov", ("bob@fbi.gov",))


def people(count: int, seed: int) -> list[tuple[str, dt.date]]:
    """Synthetic people: distinct common first and last names, dates between 1940 and 2000."""
    rng = random.Random(seed)
    chosen: dict[str, dt.date] = {}
    while len(chosen) < count:
        name = f"{rng.choice(COMMON_FIRST)} {rng.choice(COMMON_LAST)}"
        chosen[name] = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randint(0, 365 * 60))
    return list(chosen.items())


def html_message(header: tuple[str, str], rows: list[tuple[str, str]]) -> bytes:
    cells = "".join(
        f"<tr><td>{escape(name)}</td><td>{escape(date)}</td></tr>\n" for name, date in rows
    )
    html = (
        "<html><body><p>Hello,</p><p>The list you asked for:</p>\n"
        f"<table border='1'><tr><th>{header[0]}</th><th>{header[1]}</th></tr>\n{cells}</table>\n"
        "<p>Thanks</p></body></html>"
    )
    message = EmailMessage()
    message["From"] = ENVELOPE.mail_from
    message["To"] = ", ".join(ENVELOPE.rcpt_tos)
    message["Subject"] = "[PURPOSE: case coordination] the list"
    message.set_content("See the HTML part.")
    message.add_alternative(html, subtype="html")
    return message.as_bytes()


def screen(screener: Screener, raw: bytes) -> Screening:
    return screener.screen(ENVELOPE, raw)


DATE_FORMATS = ("%m/%d/%Y", "%Y-%m-%d", "%B %d, %Y", "%d %b %Y")


def test_each_row_of_an_html_table_is_one_name_dob_pair(screener: Screener) -> None:
    rows = people(6, seed=4)
    rng = random.Random(4)
    shown = [(name, born.strftime(rng.choice(DATE_FORMATS))) for name, born in rows]
    screening = screen(screener, html_message(("Name", "Date of birth"), shown))
    detection = screening.detection
    dobs = [f for f in detection.findings if f.entity_type == "DATE_OF_BIRTH"]
    assert [(f.where, f.line, f.column) for f in dobs] == [
        ("body", row, "Date of birth") for row in range(2, len(rows) + 2)
    ]
    for finding, (name, date) in zip(dobs, shown, strict=True):
        # Masked: neither the name nor the date as written appear, only their shape.
        assert name not in finding.masked and date not in finding.masked
        assert finding.masked.startswith(f"{name[0]}*")
        assert "DOB **/**/" in finding.masked
    assert detection.individual_count == len(rows)
    assert detection.individuals == frozenset(
        f"name-dob:{normalize_name(name)}|{born.isoformat()}" for name, born in rows
    )
    assert "unencrypted-sensitive-pii" in {v.rule for v in screening.verdict.violations}


def test_a_table_of_meeting_dates_with_names_is_not_reported(screener: Screener) -> None:
    rows = people(5, seed=5)
    meetings = [(n, f"{dt.date(2026, 3, 2 + i):%m/%d/%Y}") for i, (n, _) in enumerate(rows)]
    screening = screen(screener, html_message(("Name", "Meeting date"), meetings))
    assert screening.detection.findings == ()
    assert screening.detection.individual_count == 0
