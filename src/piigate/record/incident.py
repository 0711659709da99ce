"""The incident view: for a sender, a case, a message or a date range, what the Inspector
General had to reconstruct by reading hundreds of emails (OIG-16-123): how many messages,
distinct individuals, recipient organisations and agencies, and how many were encrypted,
carried the disclaimer and stated a purpose."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from piigate.inert import for_terminal
from piigate.model import DisclosureRecord
from piigate.record.accounting import origin_condition


@dataclass(frozen=True, slots=True)
class Incident:
    messages: int
    individuals: int
    """Distinct people, by their strongest identifier (one person known by an SSN in one
    message and by name and date of birth alone in another counts twice)."""
    organizations: tuple[str, ...]
    agencies: tuple[str, ...]
    encrypted: int
    """Sealed by the gate ([ENCRYPT]) before delivery."""
    disclaimer: int
    disclaimer_unknown: int
    """Records written before the disclaimer was recorded."""
    purpose_stated: int
    unconfirmed: int
    audit_mode: int
    first: str | None
    last: str | None
    reconstructed: int = 0
    """Of ``messages``, the records ``piigate sweep`` reconstructed from archived mail."""

    def as_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


def where(
    *,
    sender: str | None = None,
    case_id: str | None = None,
    message_id: str | None = None,
    since: date | None = None,
    until: date | None = None,
    origin: str = "all",
) -> tuple[str, list[Any]]:
    """SQL conditions on disclosures ``d`` for the selection."""
    conditions: list[str] = origin_condition(origin)
    params: list[Any] = []
    for column, value in (
        ("d.sender", sender),
        ("d.case_id", case_id),
        ("d.message_id", message_id),
    ):
        if value is not None:
            conditions.append(f"{column} = ?")
            params.append(value)
    if since is not None:
        conditions.append("d.recorded_at >= ?")
        params.append(since.isoformat())
    if until is not None:
        conditions.append("d.recorded_at < ?")
        params.append(until.isoformat())
    return " AND ".join(conditions), params


def summarise(records: list[DisclosureRecord]) -> Incident:
    """The figures over ``records`` (read with their individuals' hashes)."""
    people = {digest for r in records for digest in r.individual_hashes}
    organizations = sorted({x.organization for r in records for x in r.recipients})
    agencies = sorted({x.agency for r in records for x in r.recipients if x.agency})
    return Incident(
        messages=len(records),
        individuals=len(people),
        organizations=tuple(organizations),
        agencies=tuple(agencies),
        encrypted=sum(r.sealed is not None or r.outcome == "encrypted" for r in records),
        disclaimer=sum(r.disclaimer is True for r in records),
        disclaimer_unknown=sum(r.disclaimer is None for r in records),
        purpose_stated=sum(bool(r.purpose) for r in records),
        unconfirmed=sum(r.unconfirmed for r in records),
        audit_mode=sum(bool(r.audit_rules) for r in records),
        first=min((r.recorded_at for r in records), default=None),
        last=max((r.recorded_at for r in records), default=None),
        reconstructed=sum(r.reconstructed_from is not None for r in records),
    )


def incident_text(incident: Incident) -> str:
    rows = [
        ("messages", str(incident.messages)),
        ("  reconstructed (archives)", str(incident.reconstructed)),
        ("distinct individuals", f"{incident.individuals:,}"),
        ("recipient organisations", str(len(incident.organizations))),
        ("recipient agencies (named)", str(len(incident.agencies))),
        ("encrypted by the gate", str(incident.encrypted)),
        ("carried the disclaimer", _of(incident.disclaimer, incident)),
        ("stated a purpose", str(incident.purpose_stated)),
        ("delivered in audit mode", str(incident.audit_mode)),
        ("delivery not confirmed", str(incident.unconfirmed)),
        ("first / last", f"{incident.first or '-'} / {incident.last or '-'}"),
    ]
    lines = [f"{label:<28}{value}" for label, value in rows]
    lines += [f"  organisation: {for_terminal(o)}" for o in incident.organizations]
    return "\n".join(lines)


def _of(count: int, incident: Incident) -> str:
    unknown = incident.disclaimer_unknown
    return f"{count}" + (f" ({unknown} not recorded)" if unknown else "")
