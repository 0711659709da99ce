"""Records for people: a tab-separated line, CSV, the Privacy Act Disclosure Record laid out
as DHS Form 191 (text, and printable HTML through a Jinja2 template with autoescaping), the
per-case recipients table. One list of form fields feeds both the text and the HTML."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from piigate.inert import for_spreadsheet, for_terminal
from piigate.model import Attachment, DisclosureRecord, Recipient
from piigate.record.accounting import CaseRecipient

NONE = "(none declared)"
TITLE = "Privacy Act Disclosure Record"
SUBTITLE = "Accounting of disclosure, 5 U.S.C. 552a(c) (DHS Form 191)"
CSV_COLUMNS = (
    "id",
    "recorded_at",
    "sender",
    "recipients",
    "organizations",
    "pii",
    "individuals",
    "purpose",
    "sharing_agreement",
    "case_id",
    "outcome",
    "message_id",
    "sha256",
    "reconstructed_from",
)
RECONSTRUCTED = "reconstructed from archived mail (no gate decision)"


def recipient_text(recipient: Recipient) -> str:
    agency = f", {recipient.agency}" if recipient.agency else ""
    return f"{recipient.address} ({recipient.organization}{agency})"


def not_inspected(record: DisclosureRecord) -> list[str]:
    """Each part the gate could not read, with why (records before the reasons were kept
    name the part only), plus any attachment marked not inspected that they leave out."""
    reasons = dict(zip(record.uninspected, record.uninspected_reasons, strict=False))
    lines = [f"{where}: {reason}" if reason else where for where, reason in reasons.items()]
    lines += [where for where in record.uninspected if where not in reasons]
    for attachment in record.attachments:
        if not attachment.inspected and not any(attachment.name in w for w in record.uninspected):
            lines.append(f"attachment {attachment.name}: {attachment.grade}")
    return lines


def nature_text(record: DisclosureRecord) -> str:
    pii = ", ".join(f"{n} {kind}" for kind, n in record.pii_counts.items())
    if not pii:
        pii = "no PII found in what was read" if not_inspected(record) else "no PII found"
    return f"{pii}; {record.individuals} individuals"


def attachment_text(attachment: Attachment) -> str:
    inspected = "inspected" if attachment.inspected else "NOT inspected"
    if attachment.password_in_message:
        inspected += ", its password was in the same message"
    return (
        f"{attachment.name} ({attachment.content_type}, {attachment.size} bytes, "
        f"{attachment.grade}, {inspected})"
    )


def attachments_lines(record: DisclosureRecord) -> list[str]:
    """The attachments as the gate read them, then the zip it built for [ENCRYPT]."""
    lines = [attachment_text(a) for a in record.attachments]
    if record.sealed is not None:
        sealed = record.sealed
        moved = ", ".join(record.sealed_parts) or "the parts with PII"
        lines.append(
            f"{sealed.name} ({sealed.content_type}, {sealed.size} bytes, {sealed.grade}, "
            f"built by the gate from: {moved})"
        )
    return lines or ["none"]


UNCONFIRMED = "delivery not confirmed: the gate stopped while relaying"


def outcome_lines(record: DisclosureRecord) -> list[str]:
    lines = _outcome_lines(record)
    return [UNCONFIRMED, *lines] if record.unconfirmed else lines


def _outcome_lines(record: DisclosureRecord) -> list[str]:
    if record.reconstructed_from is not None:
        return [f"{RECONSTRUCTED}: {record.reconstructed_from}"]
    if record.outcome == "released":
        how = "released from quarantine" + (" (expedited)" if record.expedited else "")
        lines = [f"{how} by {record.released_by}: {record.release_reason or ''}"]
        if record.sealed is not None:
            lines.append("encrypted by the gate, then delivered")
        if not_inspected(record):
            lines.append("released with content the gate did not inspect (see above)")
        return lines
    if record.outcome == "encrypted":
        lines = ["encrypted by the gate, then delivered"]
    else:
        lines = [record.outcome]
    if record.audit_rules:
        rules = ", ".join(record.audit_rules)
        lines.append(f"delivered in audit mode: broke {rules} (logged, not enforced)")
    return lines


def outcome_text(record: DisclosureRecord) -> str:
    return "; ".join(outcome_lines(record))


def form_fields(record: DisclosureRecord) -> list[tuple[str, list[str]]]:
    """(label, lines) in the order of the form, each line inert on a terminal (they came
    from mail: a file name may carry an escape sequence)."""
    fields = [
        ("Record number", [str(record.id)]),
        ("Date and time of disclosure", [record.recorded_at]),
        ("Disclosing official", [record.sender]),
        ("Recipients (name and address)", [recipient_text(r) for r in record.recipients]),
        ("Nature of the records disclosed", [nature_text(record)]),
        ("Attachments", attachments_lines(record)),
        ("Contents not inspected", not_inspected(record) or ["none: every part was read"]),
        ("Purpose / routine use", [record.purpose or NONE]),
        (
            "Authority",
            [
                f"sharing agreement: {record.sharing_agreement or NONE}",
                f"case: {record.case_id or NONE}",
            ],
        ),
        ("Rule outcome", outcome_lines(record)),
        ("Message-ID", [record.message_id]),
        ("SHA-256 of the message as relayed", [record.sha256]),
        ("Ledger chain hash", [record.hash]),
    ]
    return [(label, [for_terminal(line) for line in lines]) for label, lines in fields]


def form_text(record: DisclosureRecord) -> str:
    width = max(len(label) for label, _ in form_fields(record))
    lines = [TITLE.upper(), SUBTITLE, ""]
    for label, values in form_fields(record):
        for n, value in enumerate(values):
            lines.append(f"{label if n == 0 else '':<{width}}  {value}")
    return "\n".join(lines)


def form_html(record: DisclosureRecord) -> str:
    from jinja2 import (  # noqa: PLC0415 (only the HTML form needs templates)
        Environment,
        PackageLoader,
        select_autoescape,
    )

    env = Environment(
        loader=PackageLoader("piigate.record", "templates"),
        autoescape=select_autoescape(["html", "j2"], default=True),
    )
    template = env.get_template("disclosure_record.html.j2")
    return template.render(
        title=TITLE, subtitle=SUBTITLE, record_id=record.id, fields=form_fields(record)
    )


def list_line(record: DisclosureRecord) -> str:
    orgs = ", ".join(dict.fromkeys(r.organization for r in record.recipients))
    pii = ", ".join(f"{n} {kind}" for kind, n in record.pii_counts.items())
    cells = (record.recorded_at, record.sender, orgs, f"{record.individuals} individuals", pii)
    outcome = record.outcome + (" (audit mode)" if record.audit_rules else "")
    outcome += " (not confirmed)" if record.unconfirmed else ""
    return "\t".join([str(record.id), *(for_terminal(c) for c in cells), outcome])


def records_csv(records: Iterable[DisclosureRecord]) -> str:
    """CSV for a spreadsheet. Cells that a spreadsheet would run as a formula (a Message-ID
    or an address can start with "=" — they come from mail) are prefixed with a quote."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in records:
        writer.writerow(
            for_spreadsheet(cell)
            for cell in [
                r.id,
                r.recorded_at,
                r.sender,
                "; ".join(x.address for x in r.recipients),
                "; ".join(dict.fromkeys(x.organization for x in r.recipients)),
                "; ".join(f"{kind}={n}" for kind, n in r.pii_counts.items()),
                r.individuals,
                r.purpose or "",
                r.sharing_agreement or "",
                r.case_id or "",
                r.outcome,
                r.message_id,
                r.sha256,
                r.reconstructed_from or "",
            ]
        )
    return out.getvalue()


def recipients_text(case_id: str, rows: list[CaseRecipient]) -> str:
    if not rows:
        return f"case {case_id}: no disclosures recorded"
    lines = [f"case {case_id}: {len({r.organization for r in rows})} organisations"]
    lines.append(
        "organisation\tagency\taddress\tfirst\tlast\tmessages\tindividuals"
        "\treconstructed (messages from archived mail)"
    )
    for r in rows:
        cells = (r.organization, r.agency or "", r.address, r.first, r.last)
        counts = (r.messages, r.individuals, r.reconstructed)
        lines.append("\t".join([*map(for_terminal, cells), *map(str, counts)]))
    return "\n".join(lines)


def live_and_reconstructed(
    records: Iterable[DisclosureRecord],
) -> tuple[list[DisclosureRecord], list[DisclosureRecord]]:
    """The records the gate made, and those ``piigate sweep`` rebuilt from archives."""
    live: list[DisclosureRecord] = []
    rebuilt: list[DisclosureRecord] = []
    for record in records:
        (live if record.reconstructed_from is None else rebuilt).append(record)
    return live, rebuilt


def is_of_origin(record: DisclosureRecord, origin: str) -> bool:
    """Whether ``record`` is of ``origin``: ``all``, ``live`` (the gate's own) or
    ``reconstructed`` (by ``piigate sweep``, from archived mail)."""
    return origin == "all" or (record.reconstructed_from is None) == (origin == "live")


def of_origin(records: Iterable[DisclosureRecord], origin: str) -> list[DisclosureRecord]:
    return [r for r in records if is_of_origin(r, origin)]


def accounting_text(records: list[DisclosureRecord]) -> str:
    """The accounting for one individual: one block per disclosure, the disclosures the gate
    recorded first, then those reconstructed from archived mail, each under its heading."""
    if not records:
        return "no disclosures recorded for this individual"
    live, rebuilt = live_and_reconstructed(records)
    heading = f"{len(records)} disclosures"
    if rebuilt:
        heading += f": {len(live)} recorded by the gate, {len(rebuilt)} {RECONSTRUCTED}"
    blocks = [heading, *(_accounting_block(r) for r in live)]
    if rebuilt:
        blocks.append(f"-- {RECONSTRUCTED} --")
        blocks += [_accounting_block(r) for r in rebuilt]
    return "\n\n".join(blocks)


def _accounting_block(r: DisclosureRecord) -> str:
    source = [f"  source: {r.reconstructed_from}"] if r.reconstructed_from is not None else []
    lines = [
        f"record {r.id}  {r.recorded_at}  from {r.sender}",
        *(f"  to {recipient_text(x)}" for x in r.recipients),
        f"  nature: {nature_text(r)}",
        f"  purpose: {r.purpose or NONE}",
        f"  authority: agreement {r.sharing_agreement or NONE}; case {r.case_id or NONE}",
        *source,
    ]
    return "\n".join(for_terminal(line) for line in lines)
