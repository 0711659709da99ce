"""The ``piigate`` command: load settings, configure logging, build the gate, run it.

    piigate serve [--config FILE] [--listen HOST:PORT] [--upstream HOST:PORT]
    piigate scan FILE... [--config FILE] [--from ADDR] [--to ADDR]... [--json]
    piigate records list [--json]
    piigate keys init
    piigate clients hash-password USER   (reads the password from stdin)

Errors a user can fix are one line on stderr and exit status 2; never a traceback.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable, Sequence
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from piigate import __version__
from piigate.config import Settings, load_settings
from piigate.errors import PiigateError
from piigate.keys import create_key_file
from piigate.logs import configure_logging
from piigate.model import Action, Envelope, Screening
from piigate.parse import parse_message
from piigate.pipeline import Screener, build_gate, build_screener
from piigate.receive.auth import hash_password
from piigate.record import open_ledger
from piigate.record.ledger import record_to_json
from piigate.service import Service

EXIT_OK, EXIT_USAGE, EXIT_HELD = 0, 2, 3

F = TypeVar("F", bound=Callable[..., Any])


def _one_line_errors(func: F) -> F:
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PiigateError as exc:
            click.echo(f"piigate: error: {exc}", err=True)
            sys.exit(EXIT_USAGE)

    return wrapper  # type: ignore[return-value]


config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Settings file (default: ./config/piigate.yaml, else the shipped one).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="piigate")
def main() -> None:
    """piigate: a pre-send email PII gate."""


@main.command()
@config_option
@click.option("--listen", help="HOST:PORT to accept mail on (default 127.0.0.1:10025).")
@click.option("--upstream", help="HOST:PORT of the MTA to relay to (default 127.0.0.1:10026).")
@_one_line_errors
def serve(config_path: Path | None, listen: str | None, upstream: str | None) -> None:
    """Run the SMTP gate, with /metrics and /healthz on http.listen."""
    settings = load_settings(config_path, listen=listen, upstream=upstream)
    configure_logging(settings.log)
    gate = build_gate(settings)
    asyncio.run(Service(gate, settings).serve_until_signalled())


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@config_option
@click.option("--from", "mail_from", help="Envelope sender (default: the message's From).")
@click.option("--to", "rcpt_tos", multiple=True, help="Envelope recipient; repeat for several.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file on stdout.")
@_one_line_errors
def scan(
    files: Sequence[Path],
    config_path: Path | None,
    mail_from: str | None,
    rcpt_tos: Sequence[str],
    as_json: bool,
) -> None:
    """Screen message files offline: nothing is sent, recorded or held.

    Exit status: 0 when every file would be delivered, 3 when any would be rejected or
    quarantined, 2 for bad usage or a file that cannot be read."""
    settings = load_settings(config_path)
    configure_logging(settings.log)
    screener = build_screener(settings)
    status = EXIT_OK
    for path in files:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            click.echo(f"piigate: error: {path}: cannot read: {exc.strerror}", err=True)
            status = EXIT_USAGE
            continue
        screening = _scan_one(screener, raw, mail_from, rcpt_tos)
        click.echo(
            json.dumps(_scan_json(path, screening)) if as_json else _scan_text(path, screening)
        )
        if screening.verdict.action in (Action.REJECT, Action.QUARANTINE) and status == EXIT_OK:
            status = EXIT_HELD
    sys.exit(status)


def _scan_one(
    screener: Screener, raw: bytes, mail_from: str | None, rcpt_tos: Sequence[str]
) -> Screening:
    """Screen one file; the envelope defaults to the message's From and To/Cc/Bcc."""
    message = parse_message(raw)
    if mail_from is None:
        mail_from = next(iter(message.header_from), "")
    envelope = Envelope(mail_from, tuple(rcpt_tos or message.header_recipients))
    return screener.screen_parsed(envelope, message)


def _scan_json(path: Path, screening: Screening) -> dict[str, Any]:
    verdict = screening.verdict
    return {
        "file": str(path),
        "action": verdict.action.value,
        "external": verdict.external,
        "violations": [{"rule": v.rule, "message": v.message} for v in verdict.violations],
        "findings": [f.public() for f in screening.detection.findings],
        "individuals": screening.detection.individual_count,
        "disclosure_record": screening.writes_record,
    }


def _scan_text(path: Path, screening: Screening) -> str:
    verdict = screening.verdict
    scope = "external" if verdict.external else "internal"
    lines = [f"{path}: {verdict.action.value} ({scope})"]
    lines += [f"  {v.rule}: {v.message}" for v in verdict.violations]
    lines += [
        f"  found {f.entity_type} {f.masked} in {f.where}, line {f.line}"
        for f in screening.detection.findings
    ]
    return "\n".join(lines)


@main.group()
def records() -> None:
    """The disclosure ledger."""


@records.command("list")
@config_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per record.")
@_one_line_errors
def records_list(config_path: Path | None, as_json: bool) -> None:
    """List disclosure records, oldest first."""
    settings = load_settings(config_path)
    ledger = open_ledger(settings.ledger.url)
    try:
        for record in ledger.records():
            if as_json:
                click.echo(json.dumps(record_to_json(record), sort_keys=True))
                continue
            orgs = ", ".join(dict.fromkeys(r.organization for r in record.recipients))
            pii = ", ".join(f"{n} {kind}" for kind, n in record.pii_counts.items())
            click.echo(
                f"{record.id}\t{record.recorded_at}\t{record.sender}\t{orgs}\t"
                f"{record.individuals} individuals\t{pii}\t{record.outcome}"
            )
    finally:
        ledger.close()


@main.group()
def keys() -> None:
    """The gate's secret keys."""


@keys.command("init")
@config_option
@_one_line_errors
def keys_init(config_path: Path | None) -> None:
    """Create the key files the config names (owner-only); existing keys are kept."""
    settings: Settings = load_settings(config_path)
    path = settings.quarantine.key_file
    created = create_key_file(path)
    click.echo(f"quarantine key: {path} ({'created' if created else 'exists, kept'})")


@main.group()
def clients() -> None:
    """Who may send through the gate."""


@clients.command("hash-password")
@click.argument("user")
def clients_hash_password(user: str) -> None:
    """Print a clients.auth_file line for USER; the password is read from stdin."""
    password = sys.stdin.readline().rstrip("\r\n")
    if not password or ":" in user:
        click.echo("piigate: error: give a user without ':' and a password on stdin", err=True)
        sys.exit(EXIT_USAGE)
    click.echo(f"{user}:{hash_password(password)}")
