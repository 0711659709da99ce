"""``piigate records``: the disclosure ledger's commands.

Every command but ``init`` reads an existing ledger: one that is not where the settings say
(a mistyped ``ledger.url``, a relative path run from another directory) is a one-line error
naming where it looked, exit 2; nothing is created. The ledger modules are imported inside
the commands, so ``piigate --help`` does not load the database drivers."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from piigate.cli.options import (
    EXIT_BROKEN,
    config_option,
    one_line_errors,
)
from piigate.errors import ConfigError

# The ledger and the settings are imported by the commands that open them, so `piigate
# --help` and every other command start without pydantic, psycopg or jinja2.
if TYPE_CHECKING:
    from piigate.config import Settings
    from piigate.record import Ledger


@click.group()
def records() -> None:
    """The disclosure ledger."""


origin_option = click.option(
    "--origin",
    type=click.Choice(["all", "live", "reconstructed"]),
    default="all",
    show_default=True,
    help="Only the gate's own records (live), or only those `piigate sweep` reconstructed "
    "from archived mail.",
)


@records.command("list")
@config_option
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Only from this date (UTC).")
@click.option("--case", "case_id", help="Only this case id.")
@click.option("--recipient-org", help="Only disclosures to this organisation (e.g. fbi.gov).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per record.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV with a header row.")
@origin_option
@one_line_errors
def records_list(
    *,
    config_path: Path | None,
    since: datetime | None,
    case_id: str | None,
    recipient_org: str | None,
    as_json: bool,
    as_csv: bool,
    origin: str,
) -> None:
    """List disclosure records, oldest first: the gate's own, then those reconstructed from
    archived mail under a heading of their own (--json and --csv: reconstructed_from)."""
    from piigate.record import form
    from piigate.record.chain import record_to_json

    if as_json and as_csv:
        raise ConfigError("--json and --csv: choose one")
    with _ledger(config_path) as ledger:
        found = ledger.records(
            since=since.date() if since else None,
            case_id=case_id,
            recipient_org=recipient_org,
            origin=origin,
        )
    live, rebuilt = form.live_and_reconstructed(found)
    if as_csv:
        click.echo(form.records_csv(live + rebuilt), nl=False)
        return
    if as_json:
        for record in live + rebuilt:
            click.echo(json.dumps(record_to_json(record), sort_keys=True))
        return
    for record in live:
        click.echo(form.list_line(record))
    if rebuilt:
        click.echo(f"# {form.RECONSTRUCTED}")
    for record in rebuilt:
        click.echo(form.list_line(record))


@records.command("recipients")
@config_option
@click.option("--case", "case_id", required=True, help="The case id.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per address.")
@origin_option
@one_line_errors
def records_recipients(config_path: Path | None, case_id: str, as_json: bool, origin: str) -> None:
    """Every organisation and address that received a case's PII (a column counts the
    messages reconstructed from archived mail)."""
    from piigate.record import form

    with _ledger(config_path) as ledger:
        rows = ledger.recipients(case_id, origin)
    if not as_json:
        click.echo(form.recipients_text(case_id, rows))
    for row in rows if as_json else ():
        click.echo(json.dumps(dataclasses.asdict(row), sort_keys=True))


@records.command("accounting")
@config_option
@click.option("--ssn", help="NNN-NN-NNNN, or - to read it from stdin (keeps it out of history).")
@click.option("--name", help="The person's name (with --dob).")
@click.option("--dob", help="Date of birth, YYYY-MM-DD (with --name).")
@click.option("--a-number", "a_number", help="Alien registration number (A and 8-9 digits).")
@click.option("--passport", help="US passport number.")
@click.option("--dl", "license_number", help="Driver's license number.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per disclosure.")
@click.option(
    "--letter",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the accounting the person is owed as a printable HTML letter to this file.",
)
@click.option(
    "--recipients",
    "correction",
    is_flag=True,
    help="List each recipient to inform of a correction (552a(c)(4)).",
)
@origin_option
@one_line_errors
def records_accounting(
    *,
    config_path: Path | None,
    as_json: bool,
    letter: Path | None,
    correction: bool,
    origin: str,
    **identifiers: str | None,
) -> None:
    """Every disclosure that included one person (the 552a(c)(3) accounting): give every
    identifier the person gave you; a disclosure that carried any of them is listed, once.
    Those reconstructed from archived mail are listed (and in the letter, tabled) apart."""
    from piigate.record import form
    from piigate.record.chain import record_to_json

    keys = _identity_keys(**identifiers)
    if letter is not None or correction:
        _letter(config_path, keys, letter, correction, origin)
        return
    with _ledger(config_path, key=True) as ledger:
        found = form.of_origin(ledger.accounting_any(keys), origin)
    if not as_json:
        click.echo(form.accounting_text(found))
    for record in found if as_json else ():
        click.echo(json.dumps(record_to_json(record), sort_keys=True))


def _letter(
    config_path: Path | None, keys: list[str], letter: Path | None, correction: bool, origin: str
) -> None:
    """The person's accounting letter (to ``letter``) and/or the recipients to inform."""
    from datetime import date

    from piigate.record import form
    from piigate.record import letter as letters

    with _ledger(config_path, key=True) as ledger:
        found = ledger.accounting_by_key(keys)
    entries = letters.entries([(r, c) for r, c in found if form.is_of_origin(r, origin)])
    if letter is not None:
        agency = _settings(config_path).policy.agency
        try:
            letter.write_text(letters.letter_html(entries, agency, date.today()), encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"--letter: {letter}: cannot write: {exc.strerror}") from None
        click.echo(f"accounting letter: {letter} ({len(entries)} disclosures)")
    if correction:
        for recipient in letters.correction_recipients(entries):
            click.echo(recipient)


def _identity_keys(
    *,
    ssn: str | None,
    name: str | None,
    dob: str | None,
    a_number: str | None,
    passport: str | None,
    license_number: str | None,
) -> list[str]:
    """The identity keys of the identifiers given (an SSN of ``-`` is read from stdin)."""
    from piigate.record import identity

    if bool(name) != bool(dob) or not any((ssn, name, a_number, passport, license_number)):
        raise ConfigError("give --ssn, --name with --dob, --a-number, --passport or --dl")
    keys = []
    if ssn is not None:
        keys.append(identity.ssn_key(sys.stdin.readline() if ssn == "-" else ssn))
    if name and dob:
        keys.append(identity.name_dob_key(name, dob))
    if a_number is not None:
        keys.append(identity.a_number_key(a_number))
    if passport is not None:
        keys.append(identity.passport_key(passport))
    if license_number is not None:
        keys.append(identity.license_key(license_number))
    return keys


@records.command("incident")
@config_option
@click.option("--sender", help="Only mail from this address.")
@click.option("--case", "case_id", help="Only this case id.")
@click.option("--message-id", help="Only this Message-ID.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="From this date (UTC).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Before this date (UTC).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@origin_option
@one_line_errors
def records_incident(
    *,
    config_path: Path | None,
    sender: str | None,
    case_id: str | None,
    message_id: str | None,
    since: datetime | None,
    until: datetime | None,
    as_json: bool,
    origin: str,
) -> None:
    """For a sender, case, message or date range: messages, distinct individuals, recipient
    organisations and agencies, and how many were encrypted, carried the disclaimer and
    stated a purpose; how many of the records were reconstructed from archived mail."""
    from piigate.record.incident import incident_text

    with _ledger(config_path) as ledger:
        found = ledger.incident(
            sender=sender,
            case_id=case_id,
            message_id=message_id,
            since=since.date() if since else None,
            until=until.date() if until else None,
            origin=origin,
        )
    click.echo(json.dumps(found.as_json(), sort_keys=True) if as_json else incident_text(found))


@records.command("show")
@config_option
@click.argument("record_id", type=int)
@click.option("--html", "as_html", is_flag=True, help="A printable HTML form instead of text.")
@one_line_errors
def records_show(config_path: Path | None, record_id: int, as_html: bool) -> None:
    """One record, laid out like the Privacy Act Disclosure Record (DHS Form 191)."""
    from piigate.record import form

    with _ledger(config_path) as ledger:
        record = ledger.record(record_id)
    click.echo(form.form_html(record) if as_html else form.form_text(record))


@records.command("verify")
@config_option
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also prove the ledger extends every checkpoint saved in this file.",
)
@click.option(
    "--public-key",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The checkpoints' public key (default: ledger.checkpoint_key_file with .pub).",
)
@one_line_errors
def records_verify(
    config_path: Path | None, checkpoint_file: Path | None, public_key: Path | None
) -> None:
    """Recompute the hash chain (and, with --checkpoint, prove the ledger extends each saved
    checkpoint): exit 0 when intact, 1 naming the first failure."""
    from piigate.record import checkpoints

    settings = _settings(config_path)
    saved = checkpoints.read(checkpoint_file) if checkpoint_file else []
    key = checkpoints.load_public(public_key or _public_key(settings)) if saved else None
    with _ledger(config_path) as ledger:
        result = ledger.verify()
        broken = ledger.extends(saved, key) if key is not None else None
    if not result.intact:
        click.echo(f"ledger broken at record {result.bad_id}: {result.reason}", err=True)
        sys.exit(EXIT_BROKEN)
    if broken is not None:
        click.echo(f"ledger does not extend its checkpoints: {broken}", err=True)
        sys.exit(EXIT_BROKEN)
    extra = f"; extends {len(saved)} signed checkpoints" if saved else ""
    click.echo(f"ledger intact: {result.checked} records verified{extra}")


@records.command("checkpoint")
@config_option
@one_line_errors
def records_checkpoint(config_path: Path | None) -> None:
    """Sign the ledger's size and Merkle root now; append it to ledger.checkpoint_file."""
    from piigate.record import checkpoints

    settings = _settings(config_path)
    key = checkpoints.load_private(settings.ledger.checkpoint_key_file)
    with _ledger(config_path) as ledger:
        signed = ledger.checkpoint(key, settings.ledger.checkpoint_file)
    click.echo(f"checkpoint: {signed.size} records, root {signed.root} ({signed.time})")


@records.command("proof")
@config_option
@click.argument("record_id", type=int)
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Checkpoints to prove against (default: ledger.checkpoint_file).",
)
@one_line_errors
def records_proof(config_path: Path | None, record_id: int, checkpoint_file: Path | None) -> None:
    """Print (JSON) an inclusion proof of one record under a signed checkpoint; anyone with
    the public key checks it with `records check-proof`."""
    from piigate.record import checkpoints

    settings = _settings(config_path)
    saved = checkpoints.read(checkpoint_file or settings.ledger.checkpoint_file)
    with _ledger(config_path) as ledger:
        proof = ledger.proof(record_id, saved)
    click.echo(json.dumps(proof, sort_keys=True, indent=2))


@records.command("check-proof")
@click.argument("proof_file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--public-key", type=click.Path(path_type=Path, dir_okay=False), required=True)
@one_line_errors
def records_check_proof(proof_file: Path, public_key: Path) -> None:
    """Check a `records proof` document with the public key alone (no ledger needed):
    exit 0 when it holds, 1 when it does not."""
    from piigate.errors import LedgerError
    from piigate.record import checkpoints, proofs

    key = checkpoints.load_public(public_key)
    try:
        data = json.loads(proof_file.read_text(encoding="utf-8"))
        click.echo(proofs.check_proof(data, key))
    except (OSError, ValueError, LedgerError) as exc:
        click.echo(f"proof does not hold: {exc}", err=True)
        sys.exit(EXIT_BROKEN)


def _public_key(settings: Settings) -> Path:
    from piigate.record.checkpoints import public_path

    return public_path(settings.ledger.checkpoint_key_file)


@records.command("prune")
@config_option
@click.option("--before", type=click.DateTime(["%Y-%m-%d"]), required=True, help="YYYY-MM-DD")
@one_line_errors
def records_prune(config_path: Path | None, before: datetime) -> None:
    """Delete records older than --before; refuses anything within the retention period."""
    settings = _settings(config_path)
    with _ledger(config_path) as ledger:
        deleted = ledger.prune(
            before.date(),
            retention_years=settings.ledger.retention_years,
            today=datetime.now(UTC).date(),
        )
    click.echo(f"pruned {deleted} records recorded before {before.date().isoformat()}")


@records.command("init")
@config_option
@one_line_errors
def records_init(config_path: Path | None) -> None:
    """Create the ledger ledger.url names (or upgrade it), as `piigate serve` does."""
    from piigate.record import ledger_for

    ledger = ledger_for(_settings(config_path), key_required=False)
    try:
        click.echo(f"ledger ready: {ledger.name}")
    finally:
        ledger.close()


@contextmanager
def _ledger(config_path: Path | None, *, key: bool = False) -> Iterator[Ledger]:
    """The existing ledger the settings name (never a new one)."""
    from piigate.record import ledger_for

    ledger = ledger_for(_settings(config_path), key_required=key, create=False)
    try:
        yield ledger
    finally:
        ledger.close()


def _settings(config_path: Path | None) -> Settings:
    """The settings, loaded only by the commands that need them (see the module's top)."""
    from piigate.config import load_settings

    return load_settings(config_path)
