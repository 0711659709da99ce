"""The ``piigate`` command: load settings, configure logging, build the gate, run it.

    piigate serve [--config FILE] [--listen HOST:PORT] [--upstream HOST:PORT]
    piigate scan FILE... [--config FILE] [--from ADDR] [--to ADDR]... [--json]
    piigate records list [--since DATE] [--case ID] [--recipient-org DOMAIN] [--json|--csv]
    piigate records recipients --case ID [--json]
    piigate records accounting (--ssn NNN-NN-NNNN | --ssn - | --name NAME --dob YYYY-MM-DD) [--json]
    piigate records show ID [--html]
    piigate records verify
    piigate records prune --before YYYY-MM-DD
    piigate keys init
    piigate clients hash-password USER   (reads the password from stdin)

Errors a user can fix are one line on stderr and exit status 2; never a traceback.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
import uvicorn

from piigate import __version__
from piigate.config import HostPort, Settings, load_settings
from piigate.decide import examples, load_rules
from piigate.errors import ConfigError, PiigateError, QuarantineError
from piigate.keys import create_key_file
from piigate.logs import configure_logging
from piigate.model import Action, Envelope, Screening
from piigate.parse import parse_message
from piigate.pipeline import Screener, build_gate, build_screener, open_quarantine
from piigate.quarantine import State
from piigate.quarantine.analysts import Analysts
from piigate.quarantine.review import Review
from piigate.receive.auth import hash_password
from piigate.record import Ledger, form, history_for_scan, ledger_for
from piigate.record.chain import record_to_json
from piigate.record.identity import name_dob_key, ssn_key
from piigate.review.app import build_pages, render_report
from piigate.service import Service

EXIT_OK, EXIT_USAGE, EXIT_HELD = 0, 2, 3
EXIT_BROKEN = 1  # records verify: the chain is broken

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
    service = Service(gate, settings, review=build_pages(settings, gate).app())

    async def run() -> None:
        reload = functools.partial(gate.reload_rules, settings.rules_dir)
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, reload)
        await service.serve_until_signalled()

    asyncio.run(run())


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
    history, ledger, note = history_for_scan(settings)
    if note:
        click.echo(f"piigate: note: {note}", err=True)
    screener = build_screener(settings).with_history(history)
    try:
        status = _scan_files(screener, files, mail_from, rcpt_tos, as_json)
    finally:
        if ledger is not None:
            ledger.close()
    sys.exit(status)


def _scan_files(
    screener: Screener,
    files: Sequence[Path],
    mail_from: str | None,
    rcpt_tos: Sequence[str],
    as_json: bool,
) -> int:
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
    return status


def _scan_one(
    screener: Screener, raw: bytes, mail_from: str | None, rcpt_tos: Sequence[str]
) -> Screening:
    """Screen one file; the envelope defaults to the message's From and To/Cc/Bcc."""
    message = parse_message(raw, screener.extraction)
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
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Only from this date (UTC).")
@click.option("--case", "case_id", help="Only this case id.")
@click.option("--recipient-org", help="Only disclosures to this organisation (e.g. fbi.gov).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per record.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV with a header row.")
@_one_line_errors
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
    if as_csv:
        click.echo(form.records_csv(found), nl=False)
        return
    for record in found:
        click.echo(
            json.dumps(record_to_json(record), sort_keys=True)
            if as_json
            else form.list_line(record)
        )


@records.command("recipients")
@config_option
@click.option("--case", "case_id", required=True, help="The case id.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per address.")
@_one_line_errors
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
@_one_line_errors
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
@_one_line_errors
def records_show(config_path: Path | None, record_id: int, as_html: bool) -> None:
    """One record, laid out like the Privacy Act Disclosure Record (DHS Form 191)."""
    with _ledger(config_path) as ledger:
        record = ledger.record(record_id)
    click.echo(form.form_html(record) if as_html else form.form_text(record))


@records.command("verify")
@config_option
@_one_line_errors
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
@_one_line_errors
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


@main.group()
def rules() -> None:
    """The sharing rules in rules/: check them, and run the policy tests."""


@rules.command("check")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@config_option
@_one_line_errors
def rules_check(directory: Path | None, config_path: Path | None) -> None:
    """Validate a rules folder (default: the configured one) without changing anything."""
    folder = directory or load_settings(config_path).rules_dir
    ruleset = load_rules(folder)
    click.echo(
        f"{folder}: OK: {len(ruleset.rules)} rules, {len(ruleset.cases)} cases, "
        f"{len(ruleset.groups)} sender groups"
    )


@rules.command("test")
@click.option("--rules", "rules_dir", type=click.Path(path_type=Path), help="Rules folder.")
@click.option(
    "--tests",
    "tests_dir",
    type=click.Path(path_type=Path),
    help="Policy tests folder (default: RULES/tests).",
)
@config_option
@_one_line_errors
def rules_test(rules_dir: Path | None, tests_dir: Path | None, config_path: Path | None) -> None:
    """Run the policy tests against the rules; print a pass/fail table (exit 1 on a failure)."""
    settings = load_settings(config_path)
    if rules_dir is not None:
        settings = settings.model_copy(update={"rules_dir": rules_dir})
    configure_logging(settings.log)
    screener = build_screener(settings)
    found = examples.load_examples(tests_dir or settings.rules_dir / "tests")
    results = examples.run(screener.screen, found, settings.policy.disclaimer)
    for result in results:
        status = "PASS" if result.passed else "FAIL"
        got = f"{result.action.value} {sorted(result.rules)}"
        want = f"{result.expected.action.value} {sorted(result.expected.rules)}"
        detail = "" if result.passed else f"  expected {want}, got {got}"
        click.echo(f"{status}  {result.file}: {result.name}{detail}")
    failed = sum(not r.passed for r in results)
    click.echo(f"{len(results) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


@main.group()
def quarantine() -> None:
    """Held mail: list it, and expire what was held too long (run daily, e.g. from cron)."""


@quarantine.command("list")
@click.option(
    "--state", type=click.Choice([s.value for s in State]), default="held", show_default=True
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per message.")
@config_option
@_one_line_errors
def quarantine_list(state: str, as_json: bool, config_path: Path | None) -> None:
    """List held messages, newest first (masked: rules, organisations, counts)."""
    store = open_quarantine(load_settings(config_path))
    try:
        for held in store.messages(State(state)):
            if as_json:
                click.echo(json.dumps(dataclasses.asdict(held), default=str))
                continue
            click.echo(
                f"{held.id}\t{held.held_at}\t{held.mail_from}\t{', '.join(held.organizations)}"
                f"\t{held.individuals} individuals\t{', '.join(held.rules)}"
            )
    finally:
        store.close()


@quarantine.command("expire")
@config_option
@_one_line_errors
def quarantine_expire(config_path: Path | None) -> None:
    """Expire messages held longer than quarantine.max_age_days and tell their senders."""
    settings = load_settings(config_path)
    configure_logging(settings.log)
    gate = build_gate(settings)
    review = Review(
        gate.quarantine,
        gate.actor,
        gate.screener,
        timedelta(days=settings.quarantine.max_age_days),
    )
    expired = asyncio.run(review.expire_due())
    click.echo(f"expired {len(expired)} held message(s)")


@main.command()
@config_option
@click.option("--listen", help="HOST:PORT for the pages (default: review.listen).")
@_one_line_errors
def review(config_path: Path | None, listen: str | None) -> None:
    """Serve the analysts' review pages on their own, against the gate's stores."""
    settings = load_settings(config_path)
    configure_logging(settings.log)
    address = HostPort.parse(listen) if listen else settings.review.listen
    pages = build_pages(settings, build_gate(settings))
    config = uvicorn.Config(
        pages.app(),
        host=address.host,
        port=address.port,
        log_config=None,
        access_log=False,
        server_header=False,
    )
    uvicorn.Server(config).run()


@main.command()
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Where to write the self-contained HTML report.",
)
@config_option
@_one_line_errors
def report(out: Path, config_path: Path | None) -> None:
    """Write the quarantine report as one self-contained HTML file (for a privacy office)."""
    store = open_quarantine(load_settings(config_path))
    try:
        out.write_text(render_report(store), encoding="utf-8")
    finally:
        store.close()
    click.echo(f"report written to {out}")


@main.group()
def analyst() -> None:
    """Analyst accounts for the quarantine review UI."""


@analyst.command("add")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@config_option
@_one_line_errors
def analyst_add(name: str, password_stdin: bool, config_path: Path | None) -> None:
    """Add an analyst (or set a new password); the password is asked for unless --password-stdin."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    store = open_quarantine(load_settings(config_path))
    try:
        Analysts(store).add(name, password)
    finally:
        store.close()
    click.echo(f"analyst {name}: saved")


@analyst.command("remove")
@click.argument("name")
@config_option
@_one_line_errors
def analyst_remove(name: str, config_path: Path | None) -> None:
    """Remove an analyst."""
    store = open_quarantine(load_settings(config_path))
    try:
        removed = Analysts(store).remove(name)
    finally:
        store.close()
    if not removed:
        raise QuarantineError(f"analyst {name}: no such analyst")
    click.echo(f"analyst {name}: removed")


@main.group()
def keys() -> None:
    """The gate's secret keys."""


@keys.command("init")
@config_option
@_one_line_errors
def keys_init(config_path: Path | None) -> None:
    """Create the key files the config names (owner-only); existing keys are kept."""
    settings: Settings = load_settings(config_path)
    for name, path in (
        ("quarantine", settings.quarantine.key_file),
        ("ledger", settings.ledger.key_file),
    ):
        created = create_key_file(path)
        click.echo(f"{name} key: {path} ({'created' if created else 'exists, kept'})")


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
