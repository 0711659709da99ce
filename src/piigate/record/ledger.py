"""The disclosure ledger: one data-access layer over SQLite (embedded default, WAL) or
PostgreSQL (several gate instances), chosen by ``ledger.url``. Versioned migrations are
applied when it opens. Records are only ever appended (under the chain's append lock, see
``dialects``) and sealed into a hash chain; ``prune`` removes only a prefix of the chain
older than the retention and leaves a checkpoint, so ``verify`` still holds.

Durability: the gate checks the ledger before relaying (unavailable → 451, nothing sent) and
commits the record before it answers 250. If the commit fails after the upstream accepted
the message — the disclosure happened — the record (which holds only hashes, never PII) is
appended to a journal file, fsync'ed, and moved into the database the next time the ledger
opens; the client still gets its 250, since a 451 would make its MTA send the mail twice.

The individuals' look-up index is filled after the commit (``record.indexer``): a running
gate keeps it caught up in the background, and no query misses a record it has not reached.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from contextlib import contextmanager, suppress
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias
from urllib.parse import urlsplit

from piigate.config import Settings, agency_names
from piigate.errors import LedgerError
from piigate.keys import ledger_key
from piigate.model import DisclosureRecord
from piigate.record import accounting, checkpoints, incident, intents, proofs, store
from piigate.record.accounting import CaseRecipient
from piigate.record.chain import ChainCheck, Verification, record_from_json, record_to_json
from piigate.record.checkpoints import Checkpoint
from piigate.record.dialects import (
    DB_ERRORS,
    Database,
    connect,
    not_found,
    redact,
    sqlite_path,
)
from piigate.record.identity import Identities
from piigate.record.incident import Incident
from piigate.record.indexer import Indexer, catch_up
from piigate.record.migrations import MIGRATIONS
from piigate.record.proofs import Checkpointer
from piigate.record.tree import leaf_entries, leaf_entries_after

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

POSTGRES_JOURNAL = Path("var/piigate/ledger.journal")
OPEN_ERRORS: tuple[type[Exception], ...] = (*DB_ERRORS, OSError)
Checkpointing: TypeAlias = "tuple[Ed25519PrivateKey, Path, float]"
"""The gate's checkpoint signing key, the file it appends to, and the interval (seconds)."""


class Ledger:
    """Thread-safe (one connection, one lock); callers on the event loop use ``to_thread``.
    ``identities`` is needed only to write records with individuals and to look people up."""

    def __init__(
        self,
        db: Database,
        *,
        journal: Path,
        identities: Identities | None = None,
        agencies: Mapping[str, str] | None = None,
        migrate: bool = True,
        connect_again: Callable[[], Database] | None = None,
        create: bool = True,
        checkpointing: Checkpointing | None = None,
    ) -> None:
        self._db = db
        self._lock = threading.Lock()
        self._connect_again = connect_again
        self._indexer: Indexer | None = None
        self._checkpointing = checkpointing
        self._checkpointer: Checkpointer | None = None
        self.renewed = False
        """The last database error broke the connection, and a new one was made."""
        self.journal = journal
        self.identities = identities
        self.agencies = dict(agencies or {})
        with self._using("open"):
            if not create and not store.holds_ledger(db):
                raise LedgerError(not_found(db.name))
            if migrate:
                store.migrate(db)
            elif store.schema_version(db) < len(MIGRATIONS):
                raise LedgerError(f"ledger {db.name}: not yet created by `piigate serve`")
        if migrate:
            self.replay_journal()
        if migrate and create:
            self.recover_intents()

    @property
    def name(self) -> str:
        return self._db.name

    @contextmanager
    def _using(self, doing: str) -> Iterator[Database]:
        """The connection, under the lock; a database error becomes ``LedgerError``, and a
        connection the error left broken (the server restarted, the network dropped it) is
        made anew at once, so the next call works as soon as the database is back."""
        try:
            with self._lock:
                yield self._db
        except DB_ERRORS as exc:
            reason = (str(exc).splitlines() or [type(exc).__name__])[0]
            with self._lock, suppress(*OPEN_ERRORS):
                self.renewed = self._db.reconnect_if_broken()
            raise LedgerError(f"ledger {self._db.name}: cannot {doing}: {reason}") from exc

    def start_indexing(self) -> None:
        """Keep the look-up index caught up from a thread with its own connection (the gate
        does; the commands catch it up when they read it)."""
        if self._indexer is None and self._connect_again is not None:
            self._indexer = Indexer(self._connect_again)
        if self._checkpointer is None and self._checkpointing and self._connect_again:
            self._checkpointer = Checkpointer(self._connect_again, *self._checkpointing)

    def catch_up_index(self) -> int:
        """Index the records not yet in the individuals' look-up index; how many steps
        (transactions) it took."""
        with self._using("index individuals") as db:
            return catch_up(db)

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.close()
            self._checkpointer = None
        if self._indexer is not None:
            self._indexer.close()
            self._indexer = None
        with self._lock:
            self._db.close()

    def check(self) -> None:
        """Raise ``LedgerError`` unless the ledger can take a record now."""
        with self._using("be reached") as db:
            try:
                db.execute("SELECT 1 FROM disclosures LIMIT 1")
            except DB_ERRORS:
                if not db.reconnect_if_broken():
                    raise
                db.execute("SELECT 1 FROM disclosures LIMIT 1")

    def intend(self, record: DisclosureRecord) -> str:
        """Durably note ``record`` before its message is relayed (see ``record.intents``);
        the intent's id, for ``append`` or ``abandon``."""
        with self._using("write") as db:
            return intents.intend(db, record)

    def abandon(self, intent: str) -> None:
        """The message was not delivered: drop its intent."""
        with self._using("write") as db:
            intents.abandon(db, intent)

    def recover_intents(self) -> int:
        """Records marked unconfirmed for the intents of gates that stopped while relaying."""
        with self._using("recover intents") as db:
            return intents.recover(db)

    def append(self, record: DisclosureRecord, intent: str | None = None) -> int:
        with self._using("write") as db:
            sealed = store.append(db, record, intent)
        if self._indexer is not None:
            self._indexer.wake()
        assert sealed.id is not None
        return sealed.id

    def append_or_journal(self, record: DisclosureRecord, intent: str | None = None) -> int | None:
        """Append; if the database refuses, keep the record in the journal (returns None).
        Once the database takes records again, journaled ones are moved in straight away."""
        try:
            record_id = self.append(record, intent)
        except LedgerError:
            self._journal(record)
            return None
        if self.journal.exists():
            # Still kept in the journal if this fails; replayed at the next start at the latest.
            with suppress(LedgerError):
                self.replay_journal()
        return record_id

    def _journal(self, record: DisclosureRecord) -> None:
        line = json.dumps(record_to_json(record, individuals=True), sort_keys=True) + "\n"
        try:
            self.journal.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise LedgerError(f"ledger journal {self.journal}: cannot write: {exc}") from exc

    def replay_journal(self) -> int:
        """Move journaled records into the database (once each); return how many were moved."""
        try:
            handle = open(self.journal, "r+", encoding="utf-8")  # noqa: SIM115
        except FileNotFoundError:
            return 0
        except OSError as exc:
            raise LedgerError(f"ledger journal {self.journal}: cannot read: {exc}") from exc
        with handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            lines = [line for line in handle.read().splitlines() if line.strip()]
            moved = 0
            with self._using("replay the journal") as db:
                for record in (record_from_json(json.loads(line)) for line in lines):
                    if not store.exists(db, record):
                        store.append(db, record)
                        moved += 1
            self.journal.unlink()
        return moved

    def has_message(self, message_id: str, sha256s: Sequence[str]) -> bool:
        """Whether the ledger already holds a record of this message (same Message-ID and
        one of these content hashes), live or reconstructed."""
        with self._using("read") as db:
            return store.has_message(db, message_id, sha256s)

    def records(
        self,
        *,
        since: date | None = None,
        case_id: str | None = None,
        recipient_org: str | None = None,
        origin: str = "all",
    ) -> list[DisclosureRecord]:
        """Records oldest first, filtered by date, case, recipient organisation and origin
        (``accounting.ORIGINS``)."""
        where, params = accounting.filters(since, case_id, recipient_org, origin)
        with self._using("read") as db:
            return store.select(db, where, params)

    def record(self, record_id: int) -> DisclosureRecord:
        with self._using("read") as db:
            found = store.select(db, "id = ?", (record_id,))
        if not found:
            raise LedgerError(f"ledger {self.name}: no record {record_id}")
        return found[0]

    def accounting(self, identity_key: str) -> list[DisclosureRecord]:
        """Every disclosure that included this person (552a(c)(3)), oldest first."""
        return self.accounting_any([identity_key])

    def accounting_any(self, identity_keys: Sequence[str]) -> list[DisclosureRecord]:
        """Every disclosure that included one person known by any of these identity keys
        (their SSN, name+DOB, A-number …), each once, oldest first."""
        identities = self._identities()
        digests = sorted({identities.hash(key) for key in identity_keys})
        with self._using("read") as db:
            catch_up(db)  # the index answers only for the records it holds
            return accounting.for_individual(db, digests)

    def accounting_by_key(
        self, identity_keys: Sequence[str]
    ) -> list[tuple[DisclosureRecord, tuple[str, ...]]]:
        """As ``accounting_any``, each record with the given keys it carried (for the
        letter: "it carried your SSN")."""
        identities = self._identities()
        by_digest = {identities.hash(key): key for key in identity_keys}
        with self._using("read") as db:
            catch_up(db)
            holders = accounting.records_by_digest(db, list(by_digest))
            records = accounting.for_individual(db, list(by_digest))
        return [
            (r, tuple(key for digest, key in by_digest.items() if r.id in holders.get(digest, ())))
            for r in records
        ]

    def incident(self, **selection: Any) -> Incident:
        """The incident view over the records ``record.incident.where`` selects."""
        where, params = incident.where(**selection)
        with self._using("read") as db:
            selected = store.select(db, where, params, individuals=True)
        return incident.summarise(accounting.once_per_delivery(selected))

    def recipients(self, case_id: str, origin: str = "all") -> list[CaseRecipient]:
        with self._using("read") as db:
            catch_up(db)
            return accounting.recipients_for_case(db, case_id, origin)

    def organizations_for(
        self, individuals: AbstractSet[str], origin: str = "all"
    ) -> dict[str, frozenset[str]]:
        """``ExposureHistory``: the organisations that already received each person's PII
        (``origin``: in any record, the gate's own, or those reconstructed from archives)."""
        identities = self._identities()
        by_hash = {identities.hash(key): key for key in individuals}
        self.renewed = False
        try:
            with self._using("read") as db:
                found = accounting.organizations_by_hash(db, list(by_hash), origin)
        except LedgerError:
            if not self.renewed:
                raise
            with self._using("read") as db:  # once more, on the connection just made
                found = accounting.organizations_by_hash(db, list(by_hash), origin)
        return {by_hash[digest]: orgs for digest, orgs in found.items()}

    def verify(self) -> Verification:
        """Recompute the chain from its anchor; report the first altered or missing record,
        or the first whose entries in the individuals' look-up index differ from it (an
        edited index would hide a person's disclosures from their accounting)."""
        with self._using("verify") as db:
            check = ChainCheck(*store.chain_anchor(db))
            through = store.indexed_through(db)
            for batch in store.batches(db, check.last_id):
                mismatched = store.index_mismatches(db, batch, through)
                leaves = leaf_entries(db, [r.id for r in batch if r.id is not None])
                for record in batch:
                    failure = check.check(record)
                    if failure is None and record.id in mismatched:
                        failure = Verification(
                            check.checked - 1, record.id, "look-up index does not match it"
                        )
                    if failure is None and leaves.get(record.id or 0) != record.hash:
                        failure = Verification(
                            check.checked - 1, record.id, "its leaf in the Merkle tree differs"
                        )
                    if failure is not None:
                        return failure
            beyond = leaf_entries_after(db, check.last_id)
        if beyond:
            return Verification(check.checked, beyond, "missing (the tree has its leaf)")
        return Verification(check.checked)

    def checkpoint(self, key: Ed25519PrivateKey, path: Path) -> Checkpoint:
        """Sign the ledger's size and Merkle root now and append it to ``path``."""
        with self._using("checkpoint") as db:
            signed = proofs.sign_now(db, key)
        checkpoints.append(path, signed)
        return signed

    def extends(self, saved: Sequence[Checkpoint], key: Ed25519PublicKey) -> str | None:
        """None when the ledger extends every checkpoint (consistency proofs); else why not."""
        with self._using("verify") as db:
            return proofs.extends(db, saved, key)

    def proof(self, record_id: int, saved: Sequence[Checkpoint]) -> dict[str, Any]:
        """An inclusion proof for one record under the latest checkpoint covering it."""
        with self._using("prove") as db:
            return proofs.inclusion(db, record_id, saved)

    def prune(self, before: date, *, retention_years: int, today: date) -> int:
        """Delete the records older than ``before``; refuse when ``before`` is within the
        retention. Returns how many were deleted."""
        oldest_allowed = accounting.retention_cutoff(today, retention_years)
        if before > oldest_allowed:
            raise LedgerError(
                f"refusing to prune: records are kept {retention_years} years; "
                f"--before must be {oldest_allowed.isoformat()} or earlier"
            )
        with self._using("prune") as db:
            return accounting.prune(db, before)

    def _identities(self) -> Identities:
        if self.identities is None:
            raise LedgerError("the ledger key is needed to look up individuals")
        return self.identities


def open_ledger(
    url: str,
    key: bytes | None = None,
    *,
    journal: Path | None = None,
    agencies: Mapping[str, str] | None = None,
    migrate: bool = True,
    create: bool = True,
    checkpointing: Checkpointing | None = None,
) -> Ledger:
    """Open (and, unless ``migrate`` is False, create or upgrade) the ledger at ``url``.
    With ``create`` False (the read-only commands) a ledger that is not there is a
    ``LedgerError`` naming where it was looked for; nothing is created."""
    try:
        db = connect(url, create=migrate and create)
    except LedgerError:
        raise
    except OPEN_ERRORS as exc:
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise LedgerError(f"ledger {redact(url)}: cannot open: {reason}") from exc
    if journal is None:
        journal = _default_journal(url)
    identities = Identities(key) if key is not None else None
    try:
        return Ledger(
            db,
            journal=journal,
            identities=identities,
            agencies=agencies,
            migrate=migrate,
            connect_again=lambda: connect(url, create=False),
            create=create,
            checkpointing=checkpointing,
        )
    except LedgerError:
        db.close()
        raise


def ledger_for(
    settings: Settings, *, key_required: bool = True, migrate: bool = True, create: bool = True
) -> Ledger:
    """The ledger the settings name; with ``key_required`` a missing key is a ``ConfigError``
    (the gate never starts without it); with ``create`` False it must exist already."""
    ledger = settings.ledger
    key = ledger_key(settings) if key_required else None
    return open_ledger(
        ledger.url,
        key,
        journal=ledger.journal,
        agencies=agency_names(settings),
        migrate=migrate,
        create=create,
        checkpointing=_checkpointing(settings) if key_required and migrate and create else None,
    )


def _checkpointing(settings: Settings) -> Checkpointing | None:
    """The gate's signing key, file and interval; None (no checkpoints) without a key."""
    ledger = settings.ledger
    if not ledger.checkpoint_key_file.exists():
        return None
    key = checkpoints.load_private(ledger.checkpoint_key_file)
    return key, ledger.checkpoint_file, ledger.checkpoint_interval


def _default_journal(url: str) -> Path:
    if urlsplit(url).scheme == "sqlite":
        path = sqlite_path(url)
        return path.with_name(path.name + ".journal")
    return POSTGRES_JOURNAL
