"""Archives of sent mail for the sweep's tests and benchmark: the seed story's scenario (one
sender, 31 messages to 30 agencies, 4,825 individuals across CSV spreadsheets, 3 of them
encrypted) mixed into ordinary mail, written as an mbox, a Maildir or a folder of .eml files
by the stdlib's ``mailbox``. Every value is generated from a seed."""

from __future__ import annotations

import csv
import io
import mailbox
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from piigate.config import Settings
from piigate.sweep import Engine, Filters
from piigate.sweep.sources import Partition
from piigate.sweep.work import PartitionResult
from tests.detection.generate import Values
from tests.formats import aes_zip

AGENT = "case.agent@cbp.dhs.gov"
AGENCIES = tuple(f"agency{n:02d}.gov" for n in range(30))
PEOPLE = 4825
ENCRYPTED = 3
START = datetime(2013, 3, 4, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Scenario:
    """What a sweep of the archive must find."""

    messages: int
    external: int
    incidents: int
    """Every scenario message breaks a rule (the shipped rules: no purpose, no agreement, no
    disclaimer; the 28 plain ones also unencrypted sensitive PII and too many people)."""
    unencrypted: int
    individuals: int
    """Distinct people, across the 28 plain spreadsheets (the encrypted ones cannot be read)."""
    individuals_in_messages: int
    incident_organizations: dict[str, int]
    months: dict[str, int]


def people(seed: int) -> list[tuple[str, str, str]]:
    """(name, SSN as written, DOB as written) for 4,825 distinct people."""
    values = Values(random.Random(seed))
    seen: set[str] = set()
    rows: list[tuple[str, str, str]] = []
    while len(rows) < PEOPLE:
        ssn = values.ssn()
        if ssn in seen:
            continue
        seen.add(ssn)
        rows.append((values.name()[0], values.ssn_text(ssn), values.dob()[0]))
    return rows


def spreadsheet(rows: list[tuple[str, str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(("Name", "SSN", "DOB"))
    writer.writerows(rows)
    return out.getvalue().encode()


def mail(
    sender: str, to: str, subject: str, sent: datetime, number: int, attachment: bytes = b""
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(sent)
    msg["Message-ID"] = f"<archive-{number:06d}@cbp.dhs.gov>"
    msg.set_content("Hello,\nplease see the attached list and advise.\n")
    if attachment:
        is_zip = attachment.startswith(b"PK")
        name, kind = (
            ("list.zip", ("application", "zip")) if is_zip else ("list.csv", ("text", "csv"))
        )
        msg.add_attachment(attachment, maintype=kind[0], subtype=kind[1], filename=name)
    return msg


def scenario_messages(seed: int) -> list[EmailMessage]:
    """The 31 messages: 27 plain spreadsheets covering the 4,825 people once, 3 encrypted
    zips (agencies 27-29) and the first slice sent again to agency 00."""
    rows = people(seed)
    plain = 27
    size = -(-PEOPLE // plain)
    slices = [rows[n * size : (n + 1) * size] for n in range(plain)]
    out = []
    for n, agency in enumerate(AGENCIES):
        sent = START + timedelta(days=9 * n)
        if n < plain:
            attachment = spreadsheet(slices[n])
        else:
            attachment = aes_zip({"list.csv": spreadsheet(slices[n - plain])}, "s3parately-sent")
        out.append(mail(AGENT, f"liaison@{agency}", "Training list", sent, n, attachment))
    again = START + timedelta(days=9 * 30)
    out.append(
        mail(AGENT, f"liaison2@{AGENCIES[0]}", "Training list", again, 30, spreadsheet(slices[0]))
    )
    return out


def ordinary_messages(count: int, seed: int) -> list[EmailMessage]:
    """Plain business mail, half inside the agency and half to outside partners."""
    rng = random.Random(seed)
    out = []
    for n in range(count):
        to = rng.choice(("colleague@cbp.dhs.gov", "ops@dhs.gov", "contact@partner.org"))
        if n % 2:
            to = "contact@partner.org"
        sent = START + timedelta(hours=7 * n)
        subject = rng.choice(("Meeting notes", "Schedule", "Travel", "Quarterly figures"))
        out.append(mail(f"staff{n % 7}@cbp.dhs.gov", to, subject, sent, 1000 + n))
    return out


def archive(ordinary: int, seed: int = 18) -> tuple[list[EmailMessage], Scenario]:
    """The scenario mixed into ``ordinary`` messages, and the figures a sweep must report."""
    story = scenario_messages(seed)
    plain = ordinary_messages(ordinary, seed)
    mixed = plain[:]
    for n, message in enumerate(story):
        mixed.insert((n * len(plain)) // len(story) + n, message)
    months: dict[str, int] = {}
    for message in story:
        month = datetime.strptime(message["Date"], "%a, %d %b %Y %H:%M:%S %z").strftime("%Y-%m")
        months[month] = months.get(month, 0) + 1
    figures = Scenario(
        messages=len(mixed),
        external=len(story)
        + (ordinary + 1) // 2
        + sum(1 for n, m in enumerate(plain) if not n % 2 and m["To"].endswith("partner.org")),
        incidents=len(story),
        unencrypted=28,
        individuals=PEOPLE,
        individuals_in_messages=PEOPLE + -(-PEOPLE // 27),
        incident_organizations={AGENCIES[0]: 2, **{a: 1 for a in AGENCIES[1:]}},
        months=months,
    )
    return mixed, figures


def write_mbox(path: Path, messages: list[EmailMessage]) -> Path:
    box = mailbox.mbox(path)
    box.lock()
    try:
        for message in messages:
            box.add(message)
        box.flush()
    finally:
        box.unlock()
        box.close()
    return path


def write_maildir(path: Path, messages: list[EmailMessage]) -> Path:
    box = mailbox.Maildir(path, create=True)
    for message in messages:
        box.add(message)
    return path


def write_eml_folder(path: Path, messages: list[EmailMessage]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for n, message in enumerate(messages):
        (path / f"{n:06d}.eml").write_bytes(bytes(message))
    return path


@dataclass(frozen=True, slots=True)
class StopsAfter(Engine):
    """The local engine, interrupted (Ctrl-C, injected) when partition ``after`` + 1 comes
    back."""

    after: int = 3

    def run(
        self, settings: Settings, partitions: list[Partition], filters: Filters
    ) -> Iterator[PartitionResult]:
        for done, result in enumerate(Engine.run(self, settings, partitions, filters)):
            if done == self.after:
                raise KeyboardInterrupt
            yield result
