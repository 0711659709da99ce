"""The values that travel down the pipeline, one stage to the next.

    receive ─ Envelope + raw bytes
    parse   ─ ParsedMessage (Parts, Defects)
    extract ─ Extraction (Segments of text, Attachments with their encryption grade)
    detect  ─ Detection (Findings, Individuals)
    decide  ─ Verdict (Violations, strongest Action)
    act     ─ Outcome (the SMTP reply and what was done)
    record  ─ DisclosureRecord

Every value is frozen. Raw PII (the digits of an SSN) lives only in fields declared with
``repr=False`` and is never serialised by ``public()``; it exists so that the decide and
record stages can count and key individuals in memory.
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from piigate.labels import mask_label


class Action(StrEnum):
    """What the policy wants done with a message, weakest first."""

    DELIVER = "deliver"
    ENCRYPT = "encrypt"
    QUARANTINE = "quarantine"
    REJECT = "reject"

    @property
    def strength(self) -> int:
        return _ACTION_ORDER.index(self)


_ACTION_ORDER = (Action.DELIVER, Action.ENCRYPT, Action.QUARANTINE, Action.REJECT)


class Grade(StrEnum):
    """How well a part's content is protected in transit."""

    PLAINTEXT = "plaintext"
    ENCRYPTED_STRONG = "encrypted-strong"
    ENCRYPTED_WEAK = "encrypted-weak"
    UNREADABLE = "unreadable"


@dataclass(frozen=True, slots=True)
class Envelope:
    """The SMTP envelope as the client gave it."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    mail_options: tuple[str, ...] = ()
    peer: str = ""


@dataclass(frozen=True, slots=True)
class Defect:
    """Something in the message the gate could not read (or read only in part).

    ``blocking`` defects make the content unscannable; the others are notes (for example a
    MIME structure the parser had to repair).
    """

    where: str
    reason: str
    blocking: bool = True


@dataclass(frozen=True, slots=True)
class Part:
    """One leaf of the MIME tree, its transfer encoding already undone."""

    index: int
    content_type: str
    filename: str | None
    is_attachment: bool
    payload: bytes = field(repr=False)
    charset: str | None = None
    place: str = ""
    """Where this reading of the message is, when not the part itself (``preamble of part
    #1``, a second reading of a part whose headers disagree)."""

    @property
    def where(self) -> str:
        if self.place:
            return self.place
        if self.is_attachment:
            return f"attachment {mask_label(self.filename) if self.filename else f'#{self.index}'}"
        return "body"


@dataclass(frozen=True, slots=True)
class ParsedMessage:
    raw: bytes = field(repr=False)
    message_id: str
    subject: str
    header_from: tuple[str, ...]
    header_recipients: tuple[str, ...]
    parts: tuple[Part, ...]
    defects: tuple[Defect, ...]
    headers: tuple[tuple[str, str], ...] = ()
    names: tuple[tuple[str, str], ...] = ()
    """What a recipient reads outside the bodies, as (place, decoded text): every header
    (RFC 2047 decoded) and the MIME parameters that name or describe a part (file names,
    RFC 2231 decoded; Content-Description). Places: ``header Message-ID``, ``file name of
    attachment #2``, ``header Subject of part #3`` (a forwarded message's header)."""

    def header(self, name: str) -> str | None:
        """The first header ``name`` (case-insensitive), or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


@dataclass(frozen=True, slots=True)
class Table:
    """Rows of cells read from a CSV/TSV file or a spreadsheet sheet. The first row may be a
    header; detection decides. ``name`` is the sheet name ("" for a CSV).

    A large table keeps its rows packed (``packed``: gzip of the CSV text ``csv.writer``
    writes, ``rows`` empty, ``width`` its widest row; built by
    ``piigate.extract.tables.table_of``): a few bytes a row cross from the reader's worker
    and wait for detection, not a tuple per row and a string per cell, and detection reads
    them back a batch of rows at a time (``row_batches``). Read ``row_batches``, not
    ``rows``, to see every table."""

    name: str
    rows: tuple[tuple[str, ...], ...] = field(repr=False)
    packed: bytes = field(default=b"", repr=False)
    width: int = 0

    def row_batches(self, size: int = 4096) -> Iterator[tuple[tuple[str, ...], ...]]:
        """The rows, ``size`` at a time, in order (unpacked as they are read)."""
        if not self.packed:
            for start in range(0, len(self.rows), size):
                yield self.rows[start : start + size]
            return
        with gzip.GzipFile(fileobj=io.BytesIO(self.packed)) as stream:
            text = io.TextIOWrapper(stream, "utf-8", "surrogatepass", newline="")
            reader = csv.reader(text)
            while batch := tuple(tuple(row) for row in itertools.islice(reader, size)):
                yield batch


@dataclass(frozen=True, slots=True)
class Segment:
    """What was read from one part (a body, or an attachment): running text and tables.

    A table's cells are not repeated in ``text``; detection analyses each table by column and
    the text as prose. Findings in a table report the row as their line (1-based, the first
    row of the table is 1) and the column header (or letter) as their column.
    """

    where: str
    text: str = field(repr=False)
    grade: Grade = Grade.PLAINTEXT
    tables: tuple[Table, ...] = ()
    hidden: bool = False
    """Text the part delivers but a reader is not shown (an HTML part's comments, alt text,
    hidden elements …): screened like any text, but it shows the recipient nothing (a
    disclaimer there is not a disclaimer)."""


@dataclass(frozen=True, slots=True)
class Attachment:
    name: str
    content_type: str
    size: int
    grade: Grade
    inspected: bool
    password_in_message: bool = False
    """An encrypted attachment that a password found in the same message opened: it is not
    protected (its content was read as plain text)."""


@dataclass(frozen=True, slots=True)
class Extraction:
    segments: tuple[Segment, ...]
    attachments: tuple[Attachment, ...]
    defects: tuple[Defect, ...]

    @property
    def unscannable(self) -> tuple[Defect, ...]:
        return tuple(d for d in self.defects if d.blocking)


@dataclass(frozen=True, slots=True)
class Finding:
    """One piece of sensitive PII, located and masked.

    ``key`` is the normalised identifier (for an SSN, its nine digits). It never leaves the
    process: not in ``repr``, not in ``public()``.
    """

    entity_type: str
    where: str
    line: int
    masked: str
    score: float
    recognizer: str
    grade: Grade = Grade.PLAINTEXT
    column: str | None = None
    key: str = field(default="", repr=False, compare=False)

    def public(self) -> dict[str, Any]:
        return {
            "type": self.entity_type,
            "where": self.where,
            "line": self.line,
            "column": self.column,
            "masked": self.masked,
            "score": round(self.score, 2),
            "recognizer": self.recognizer,
        }


@dataclass(frozen=True, slots=True)
class FindingCount:
    """How many findings of one type in one place and column were found and not kept."""

    entity_type: str
    where: str
    column: str | None
    grade: Grade
    count: int

    def public(self) -> dict[str, Any]:
        return {
            "type": self.entity_type,
            "where": self.where,
            "column": self.column,
            "count": self.count,
        }


@dataclass(frozen=True, slots=True)
class Detection:
    """``individuals`` holds one normalised identity key per distinct person whose sensitive
    PII the message carries: ``ssn:<9 digits>``, or ``name-dob:<normalised name>|<YYYY-MM-DD>``
    when no SSN identifies them. The ledger stores only keyed hashes of these.

    When neither identifies a person, the key is the next that does, strongest first:
    ``passport:<number, upper case>``, ``a-number:<9 digits>``, ``dl:<letters and digits,
    upper case>``; ``card:<digits>``, ``bank:<digits>``; ``name-ssn4:<name>|<4 digits>``,
    ``name-maiden:<name>|<maiden name, lower case>``; ``name:<name>`` (a name with a
    citizenship/immigration status or criminal history). An SSN and a name+DOB pair in the
    same record (table row, line, prose window) are one person, keyed by the SSN.

    ``<normalised name>`` is ``first last`` in ASCII lower case: "Last, First" turned round,
    accents folded, apostrophes and dots dropped (hyphens kept), titles, suffixes and middle
    names or initials dropped — "John Q. Smith", "SMITH, JOHN" and "Mr. John Smith Jr." are
    all ``john smith`` (``piigate.detect.names.normalize_name``)."""

    findings: tuple[Finding, ...]
    """The findings kept: every one, up to ``detect.findings.KEEP_PER_PLACE`` of each type in
    each place and column; the rest are only counted, in ``omitted``."""
    individuals: AbstractSet[str] = field(default=frozenset(), repr=False)
    lookup_keys: AbstractSet[str] = field(default=frozenset(), repr=False)
    """Every identity key of every individual up to the document tier (``ssn:``,
    ``name-dob:``, ``passport:``, ``a-number:``, ``dl:``), not only the strongest: the ledger
    stores each (hashed) so a person is found by any identifier the message carried."""
    omitted: tuple[FindingCount, ...] = ()
    """Findings found but not kept, counted by place, column, grade and type. Every place,
    grade and type counted here also has findings kept in ``findings``, so what depends only
    on where and how PII was found reads ``findings``; counts read both."""

    @property
    def individual_count(self) -> int:
        return len(self.individuals)

    @property
    def finding_count(self) -> int:
        """Every finding, kept or only counted."""
        return len(self.findings) + sum(c.count for c in self.omitted)

    @property
    def omitted_count(self) -> int:
        return sum(c.count for c in self.omitted)

    def counts_by_type(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for finding in self.findings:
            counts[finding.entity_type] = counts.get(finding.entity_type, 0) + 1
        for more in self.omitted:
            counts[more.entity_type] = counts.get(more.entity_type, 0) + more.count
        return dict(sorted(counts.items()))


@dataclass(frozen=True, slots=True)
class Violation:
    rule: str
    action: Action
    message: str

    def public(self) -> dict[str, str]:
        return {"rule": self.rule, "action": self.action.value, "message": self.message}


@dataclass(frozen=True, slots=True)
class Verdict:
    action: Action
    external: bool
    external_recipients: tuple[str, ...]
    violations: tuple[Violation, ...]
    disclosure: bool
    """True when delivering this message discloses sensitive PII outside the agency."""
    purpose: str | None = None
    """The purpose / routine use the sender declared (subject tag or header)."""
    case_id: str | None = None
    internal_recipients: tuple[str, ...] = ()
    audit_violations: tuple[Violation, ...] = ()
    """Violations of rules in audit mode: logged and counted, not enforced."""
    sharing_agreement: str | None = None
    """The id(s) of the sharing agreement(s) covering the recipient organisations."""
    encrypt_requested: bool = False


@dataclass(frozen=True, slots=True)
class Screening:
    """Everything the gate learned about one message, before acting on it."""

    envelope: Envelope
    message: ParsedMessage
    extraction: Extraction
    detection: Detection
    verdict: Verdict

    @property
    def writes_record(self) -> bool:
        return self.verdict.disclosure and self.verdict.action in (Action.DELIVER, Action.ENCRYPT)


class Disposition(StrEnum):
    DELIVERED = "delivered"
    REFUSED = "refused"
    QUARANTINED = "quarantined"
    TEMPFAILED = "tempfailed"


@dataclass(frozen=True, slots=True)
class Outcome:
    disposition: Disposition
    reply: str
    record_id: int | None = None
    quarantine_id: str | None = None


@dataclass(frozen=True, slots=True)
class Recipient:
    address: str
    organization: str
    agency: str | None = None
    """The organisation's name from the config (``ledger.agencies``), where known."""


@dataclass(frozen=True, slots=True)
class DisclosureRecord:
    """One accounting of a disclosure (5 U.S.C. 552a(c)); it holds no raw PII value."""

    recorded_at: str
    sender: str
    recipients: tuple[Recipient, ...]
    pii_counts: dict[str, int]
    individuals: int
    message_id: str
    sha256: str
    outcome: str
    attachments: tuple[Attachment, ...] = ()
    id: int | None = None
    purpose: str | None = None
    """Purpose / routine use as declared (``Verdict.purpose``)."""
    sharing_agreement: str | None = None
    case_id: str | None = None
    released_by: str | None = None
    """For ``outcome == "released"``: the analyst who released it from quarantine, and why."""
    release_reason: str | None = None
    uninspected: tuple[str, ...] = ()
    """Parts whose contents the gate could not inspect (their individuals are not counted)."""
    individual_hashes: tuple[str, ...] = field(default=(), repr=False)
    """HMAC-SHA-256 (hex, sorted) of each individual's identity key; never the key itself."""
    prev_hash: str = ""
    """The hash of the record before it in the ledger's chain (set by the ledger)."""
    hash: str = ""
    uninspected_reasons: tuple[str, ...] = ()
    """Why each part in ``uninspected`` (then each attachment not inspected) was not read,
    e.g. "encrypted (no password)"; "" where the gate gave no reason."""
    audit_rules: tuple[str, ...] = ()
    """Rules in audit mode that this delivery broke (logged, not enforced)."""
    expedited: bool = False
    """Released from quarantine as expedited by the analyst."""
    sealed: Attachment | None = None
    """[ENCRYPT]: the AES-256 zip the gate built and delivered instead of the parts in
    ``sealed_parts`` (``attachments`` are the parts as the gate read them, in clear)."""
    sealed_parts: tuple[str, ...] = ()
    lookup_hashes: tuple[str, ...] = field(default=(), repr=False)
    """HMAC-SHA-256 (hex, sorted) of the individuals' other identity keys
    (``Detection.lookup_keys`` not in ``individual_hashes``): found by the accounting, not
    counted as people."""
    disclaimer: bool | None = None
    """Whether the message carried the third-agency disclaimer (None: not recorded, as in
    records written before this was)."""
    unconfirmed: bool = False
    """The gate stopped while relaying: the message may have been delivered (the record is
    kept so the accounting errs toward including a disclosure that may have happened)."""
    reconstructed_from: str | None = None
    """The archive this record was rebuilt from by ``piigate sweep`` (``recorded_at`` is then
    the message's own Date and there was no gate decision); None: recorded live by the gate."""


class ExposureHistory(Protocol):
    """What earlier disclosures say about individuals (the ledger implements it).

    ``organizations_for`` takes identity keys as in ``Detection.individuals`` (the ledger
    hashes them with its key) and returns, for each key it has seen, the external
    organisations that already received that person's sensitive PII."""

    def organizations_for(self, individuals: AbstractSet[str]) -> dict[str, frozenset[str]]: ...
