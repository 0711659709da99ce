"""``piigate records``: the disclosure ledger's commands."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import click

from piigate.cli.options import (
    EXIT_BROKEN,
    config_option,
    one_line_errors,
)
from piigate.config import load_settings
from piigate.errors import ConfigError
from piigate.record import Ledger, form, ledger_for
from piigate.record.chain import record_to_json
from piigate.record.identity import name_dob_key, ssn_key


@click.group()
def records() -> None:
    """The disclosure ledger."""


@records.command("list")
@config_option
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Only from this date (UTC).")
@click.option("--case", "case_id", help="Only this case id.")
@click.option("--recipient-org", help="Only disclosures to this organisation (e.g. fbi.gov).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per record.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV with a header row.")
@one_line_errors
def records_list(
    *,
    config_path: Path | None,
    since: datetime | None,
    case_id: str | None,
    recipient_org: str | None,
    as_json: bool,
    as_csv: bool,
) -> None:
    """List disclosure records, oldest first."""
    if as_json and as_csv:
        raise ConfigError("--json and --csv: choose one")
    with _ledger(config_path) as ledger:
        found = ledger.records(
            since=since.date() if since else None, case_id=case_id, recipient_org=recipient_org
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
@one_line_errors
def records_recipients(config_path: Path | None, case_id: str, as_json: bool) -> None:
    """Every organisation and address that received a case's PII."""
    with _ledger(config_path) as ledger:
        rows = ledger.recipients(case_id)
    if not as_json:
        click.echo(form.recipients_text(case_id, rows))
    for row in rows if as_json else ():
        click.echo(json.dumps(dataclasses.asdict(row), sort_keys=True))


@records.command("accounting")
@config_option
@click.option("--ssn", help="NNN-NN-NNNN, or - to read it from stdin (keeps it out of history).")
@click.option("--name", help="The person's name (with --dob).")
@click.option("--dob", help="Date of birth, YYYY-MM-DD (with --name).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per disclosure.")
@one_line_errors
def records_accounting(
    *, config_path: Path | None, ssn: str | None, name: str | None, dob: str | None, as_json: bool
) -> None:
    """Every disclosure that included one person (the 552a(c)(3) accounting)."""
    if (ssn is not None and (name or dob)) or (ssn is None and not (name and dob)):
        raise ConfigError("give --ssn, or --name with --dob")
    if ssn == "-":
        ssn = sys.stdin.readline()
    identity = ssn_key(ssn) if ssn is not None else name_dob_key(name or "", dob or "")
    with _ledger(config_path, key=True) as ledger:
        found = ledger.accounting(identity)
    if not as_json:
        click.echo(form.accounting_text(found))
    for record in found if as_json else ():
        click.echo(json.dumps(record_to_json(record), sort_keys=True))


@records.command("show")
@config_option
@click.argument("record_id", type=int)
@click.option("--html", "as_html", is_flag=True, help="A printable HTML form instead of text.")
@one_line_errors
def records_show(config_path: Path | None, record_id: int, as_html: bool) -> None:
    """One record, laid out like the Privacy Act Disclosure Record (DHS Form 191)."""
    with _ledger(config_path) as ledger:
        record = ledger.record(record_id)
    click.echo(form.form_html(record) if as_html else form.form_text(record))


@records.command("verify")
@config_option
@one_line_errors
def records_verify(config_path: Path | None) -> None:
    """Recompute the hash chain: exit 0 when intact, 1 with the first bad record's id."""
    with _ledger(config_path) as ledger:
        result = ledger.verify()
    if result.intact:
        click.echo(f"ledger intact: {result.checked} records verified")
        return
    click.echo(f"ledger broken at record {result.bad_id}: {result.reason}", err=True)
    sys.exit(EXIT_BROKEN)


@records.command("prune")
@config_option
@click.option("--before", type=click.DateTime(["%Y-%m-%d"]), required=True, help="YYYY-MM-DD")
@one_line_errors
def records_prune(config_path: Path | None, before: datetime) -> None:
    """Delete records older than --before; refuses anything within the retention period."""
    settings = load_settings(config_path)
    with _ledger(config_path) as ledger:
        deleted = ledger.prune(
            before.date(),
            retention_years=settings.ledger.retention_years,
            today=datetime.now(UTC).date(),
        )
    click.echo(f"pruned {deleted} records recorded before {before.date().isoformat()}")


@contextmanager
def _ledger(config_path: Path | None, *, key: bool = False) -> Iterator[Ledger]:
    ledger = ledger_for(load_settings(config_path), key_required=key)
    try:
        yield ledger
    finally:
        ledger.close()
