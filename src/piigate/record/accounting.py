"""The questions the ledger answers: which disclosures included a person (the accounting an
individual may ask for under 5 U.S.C. 552a(c)(3)), who received a case's PII, which
organisations already hold a person's PII (for the cumulative-exposure rule) — and the
retention rule that governs pruning."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from piigate.model import DisclosureRecord
from piigate.record import store
from piigate.record.dialects import Database


@dataclass(frozen=True, slots=True)
class CaseRecipient:
    """One address that received a case's PII, with its organisation."""

    organization: str
    agency: str | None
    address: str
    first: str
    last: str
    messages: int
    individuals: int
    reconstructed: int = 0
    """Of ``messages``, those in records reconstructed from archived mail."""


ORIGINS = ("all", "live", "reconstructed")
"""Which records a listing takes: all, the gate's own (live), or those ``piigate sweep``
reconstructed from archived mail."""


def origin_condition(origin: str) -> list[str]:
    """The SQL condition on disclosures ``d`` for ``origin`` (none for ``all``)."""
    if origin not in ORIGINS:
        raise ValueError(f"origin must be one of {', '.join(ORIGINS)}")
    if origin == "all":
        return []
    negation = "" if origin == "live" else "NOT "
    return [f"d.reconstructed_from IS {negation}NULL"]


def filters(
    since: date | None, case_id: str | None, recipient_org: str | None, origin: str = "all"
) -> tuple[str, list[Any]]:
    """SQL conditions on disclosures ``d`` for ``records list``."""
    where: list[str] = origin_condition(origin)
    params: list[Any] = []
    if since is not None:
        where.append("d.recorded_at >= ?")
        params.append(since.isoformat())
    if case_id is not None:
        where.append("d.case_id = ?")
        params.append(case_id)
    if recipient_org is not None:
        where.append(
            "EXISTS (SELECT 1 FROM disclosure_recipients r"
            " WHERE r.disclosure_id = d.id AND r.organization = ?)"
        )
        params.append(recipient_org.strip().strip(".").lower())
    return " AND ".join(where), params


def for_individual(db: Database, digests: str | Sequence[str]) -> list[DisclosureRecord]:
    """The records holding any of ``digests`` (one person's keys), each once, oldest first."""
    wanted = [digests] if isinstance(digests, str) else list(digests)
    ids: set[int] = set()
    for condition, params in db.any_of("individual", wanted):
        sql = f"SELECT DISTINCT disclosure_id FROM disclosure_individuals WHERE {condition}"  # noqa: S608
        ids.update(int(row[0]) for row in db.execute(sql, params))
    found: list[DisclosureRecord] = []
    for condition, params in db.any_of("d.id", sorted(ids)):
        found += store.select(db, condition, params)
    return once_per_delivery(sorted(found, key=lambda r: r.id or 0))


def records_by_digest(db: Database, digests: Sequence[str]) -> dict[str, set[int]]:
    """Per digest, the ids of the records that hold it (from the look-up index)."""
    found: dict[str, set[int]] = {}
    for condition, params in db.any_of("individual", list(digests)):
        sql = f"SELECT individual, disclosure_id FROM disclosure_individuals WHERE {condition}"  # noqa: S608
        for digest, record_id in db.execute(sql, params):
            found.setdefault(str(digest), set()).add(int(record_id))
    return found


def once_per_delivery(records: Sequence[DisclosureRecord]) -> list[DisclosureRecord]:
    """``records`` without each unconfirmed record whose message was recorded as delivered.

    A gate stopped while relaying leaves a record of "delivery not confirmed"; the client,
    which got no 250, sends the message again, and the retry's delivery is recorded too. The
    two are one disclosure: the same message (Message-ID and content hash) to the same
    addresses. The ledger keeps both records (it is append-only); the answers built from it
    (a person's accounting and letter, a case's recipients, the incident view) count it
    once. An unconfirmed record with no delivered twin stays: the disclosure may have
    happened, and the accounting errs toward including it."""

    def delivery(record: DisclosureRecord) -> tuple[str, str, frozenset[str]]:
        addresses = frozenset(r.address.lower() for r in record.recipients)
        return record.message_id, record.sha256, addresses

    delivered = {delivery(r) for r in records if not r.unconfirmed}
    return [r for r in records if not (r.unconfirmed and delivery(r) in delivered)]


def recipients_for_case(db: Database, case_id: str, origin: str = "all") -> list[CaseRecipient]:
    """Each address that received the case's records (of ``origin``): its first and last
    disclosure, how many messages (and of them reconstructed from archived mail), and how
    many distinct people (their primary keys, not every identifier)."""
    by_address: dict[tuple[str, str], list[DisclosureRecord]] = {}
    where = " AND ".join(["d.case_id = ?", *origin_condition(origin)])
    for record in once_per_delivery(store.select(db, where, (case_id,), individuals=True)):
        for recipient in record.recipients:
            by_address.setdefault((recipient.organization, recipient.address), []).append(record)
    rows = []
    for (organization, address), records in sorted(by_address.items()):
        agencies = [r.agency for x in records for r in x.recipients if r.address == address]
        people = {digest for x in records for digest in x.individual_hashes}
        rows.append(
            CaseRecipient(
                organization,
                max((a for a in agencies if a), default=None),
                address,
                min(x.recorded_at for x in records),
                max(x.recorded_at for x in records),
                len({x.id for x in records}),
                len(people),
                len({x.id for x in records if x.reconstructed_from is not None}),
            )
        )
    return rows


def organizations_by_hash(
    db: Database, digests: Sequence[str], origin: str = "all"
) -> dict[str, frozenset[str]]:
    """Per hash, the organisations that received it (in records of ``origin``): from the
    look-up index, and from the records not yet in it, read straight from their packed sets
    (the gate asks this for every message with PII, so it never waits for the index)."""
    of_origin = "".join(f" AND {c}" for c in origin_condition(origin))
    found: dict[str, set[str]] = {}
    # The records not yet indexed first: whatever they leave out was indexed before it.
    for digest, organization in _unindexed_organizations(db, set(digests), of_origin):
        found.setdefault(digest, set()).add(organization)
    join = " JOIN disclosures d ON d.id = i.disclosure_id" if of_origin else ""
    for condition, params in db.any_of("i.individual", digests):
        sql = (
            "SELECT DISTINCT i.individual, r.organization FROM disclosure_individuals i"  # noqa: S608
            f" JOIN disclosure_recipients r ON r.disclosure_id = i.disclosure_id{join}"
            f" WHERE {condition}{of_origin}"
        )
        for digest, organization in db.execute(sql, params):
            found.setdefault(digest, set()).add(organization)
    return {digest: frozenset(orgs) for digest, orgs in found.items()}


def _unindexed_organizations(
    db: Database, wanted: set[str], of_origin: str
) -> list[tuple[str, str]]:
    tail = store.both_sets(
        db.execute(
            "SELECT id, individual_set, lookup_set FROM disclosures d"  # noqa: S608
            f" WHERE id > (SELECT indexed_through FROM ledger_index_state){of_origin}"
        )
    )
    hits = {int(row[0]): wanted.intersection(store.unpack(row[1])) for row in tail}
    hits = {record_id: digests for record_id, digests in hits.items() if digests}
    pairs: list[tuple[str, str]] = []
    for condition, params in db.any_of("disclosure_id", list(hits)):
        sql = f"SELECT disclosure_id, organization FROM disclosure_recipients WHERE {condition}"  # noqa: S608
        for record_id, organization in db.execute(sql, params):
            pairs.extend((digest, organization) for digest in hits[int(record_id)])
    return pairs


def retention_cutoff(today: date, years: int) -> date:
    """The latest ``--before`` prune accepts: ``years`` before today (28 Feb for 29 Feb)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def prune(db: Database, before: date) -> int:
    """Delete the longest prefix of the chain recorded before ``before``, and leave a
    checkpoint (the last deleted record's id and hash) for ``verify`` to start from."""
    with store.locked(db):
        first_kept = db.execute(
            "SELECT MIN(id) FROM disclosures WHERE recorded_at >= ?", (before.isoformat(),)
        )[0][0]
        if first_kept is None:
            through = db.execute("SELECT MAX(id) FROM disclosures")[0][0]
        else:
            through = int(first_kept) - 1
        anchor_id, _ = store.chain_anchor(db)
        if through is None or int(through) <= anchor_id:
            return 0
        through = int(through)
        last_hash = db.execute("SELECT hash FROM disclosures WHERE id = ?", (through,))[0][0]
        count = int(db.execute("SELECT COUNT(*) FROM disclosures WHERE id <= ?", (through,))[0][0])
        db.hold_index_lock()
        for table in ("disclosure_individuals", "disclosure_recipients"):
            db.execute(f"DELETE FROM {table} WHERE disclosure_id <= ?", (through,))  # noqa: S608
        db.execute("DELETE FROM disclosures WHERE id <= ?", (through,))
        # A record the index was part-way through may be gone: start after the pruned ones.
        db.execute(
            "UPDATE ledger_index_state SET indexed_through = ?, indexed_part = 0"
            " WHERE indexed_through < ?",
            (through, through),
        )
        db.execute(
            "INSERT INTO ledger_checkpoints (pruned_through, hash, pruned_before, pruned_at)"
            " VALUES (?, ?, ?, ?)",
            (through, last_hash, before.isoformat(), datetime.now(UTC).isoformat()),
        )
    return count
