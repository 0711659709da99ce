"""``piigate quarantine``, ``review``, ``report`` and ``analyst``: held mail and its review."""

from __future__ import annotations

import dataclasses
import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from piigate.cli.options import (
    config_option,
    one_line_errors,
)
from piigate.errors import QuarantineError
from piigate.inert import for_terminal

if TYPE_CHECKING:
    from piigate.quarantine import QuarantineStore

# The settings, the store, the gate (for expire and review: Presidio, spaCy, the readers),
# the web stack and argon2 are imported by the commands that use them, so every command
# starts fast. The states a held message can be in (``quarantine.State``), for --state:
STATES = ("held", "releasing", "released", "rejected", "expired")


@click.group()
def quarantine() -> None:
    """Held mail: list it, and expire what was held too long (run daily, e.g. from cron)."""


@quarantine.command("list")
@click.option("--state", type=click.Choice(STATES), default="held", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per message.")
@config_option
@one_line_errors
def quarantine_list(state: str, as_json: bool, config_path: Path | None) -> None:
    """List held messages, newest first (masked: rules, organisations, counts)."""
    from piigate.quarantine import State

    store = _open_store(config_path)
    try:
        for held in store.messages(State(state)):
            if as_json:
                click.echo(json.dumps(dataclasses.asdict(held), default=str))
                continue
            cells = (held.mail_from, ", ".join(held.organizations))
            click.echo(  # the sender and organisations came from mail: inert on a terminal
                f"{held.id}\t{held.held_at}\t{for_terminal(cells[0])}\t{for_terminal(cells[1])}"
                f"\t{held.individuals} individuals\t{', '.join(held.rules)}"
            )
    finally:
        store.close()


@quarantine.command("expire")
@config_option
@one_line_errors
def quarantine_expire(config_path: Path | None) -> None:
    """Expire messages held longer than quarantine.max_age_days and tell their senders."""
    import asyncio

    from piigate.config import load_settings
    from piigate.logs import configure_logging
    from piigate.pipeline import build_gate
    from piigate.quarantine.review import Review

    settings = load_settings(config_path)
    configure_logging(settings.log)
    gate = build_gate(settings)
    review = Review(
        gate.quarantine,
        gate.actor,
        gate.screener,
        timedelta(days=settings.quarantine.max_age_days),
    )
    try:
        expired = asyncio.run(review.expire_due())
    finally:
        gate.close()
    click.echo(f"expired {len(expired)} held message(s)")


@click.command()
@config_option
@click.option("--listen", help="HOST:PORT for the pages (default: review.listen).")
@click.option(
    "--allow-plain-http",
    is_flag=True,
    help="Serve plain HTTP on a non-loopback address (only behind a TLS-terminating proxy).",
)
@one_line_errors
def review(config_path: Path | None, listen: str | None, allow_plain_http: bool) -> None:
    """Serve the analysts' review pages on their own, against the gate's stores."""
    import uvicorn

    from piigate.config import HostPort, load_settings
    from piigate.logs import configure_logging
    from piigate.pipeline import build_gate
    from piigate.review.app import build_pages
    from piigate.review.security import check_listen

    settings = load_settings(config_path)
    address = HostPort.parse(listen) if listen else settings.review.listen
    tls = settings.review.tls_cert_file is not None and settings.review.tls_key_file is not None
    check_listen(address, tls, allow_plain_http or settings.review.allow_plain_http)
    configure_logging(settings.log)
    pages = build_pages(settings, build_gate(settings))
    config = uvicorn.Config(
        pages.app(),
        host=address.host,
        port=address.port,
        log_config=None,
        access_log=False,
        server_header=False,
        ssl_certfile=settings.review.tls_cert_file if tls else None,
        ssl_keyfile=settings.review.tls_key_file if tls else None,
    )
    uvicorn.Server(config).run()


@click.command()
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Where to write the self-contained HTML report.",
)
@config_option
@one_line_errors
def report(out: Path, config_path: Path | None) -> None:
    """Write the quarantine report as one self-contained HTML file (for a privacy office)."""
    from piigate.review.app import render_report

    store = _open_store(config_path)
    try:
        out.write_text(render_report(store), encoding="utf-8")
    finally:
        store.close()
    click.echo(f"report written to {out}")


@click.group()
def analyst() -> None:
    """Analyst accounts for the quarantine review UI."""


@analyst.command("add")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@config_option
@one_line_errors
def analyst_add(name: str, password_stdin: bool, config_path: Path | None) -> None:
    """Add an analyst (or set a new password); the password is asked for unless --password-stdin."""
    from piigate.quarantine.analysts import Analysts

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    store = _open_store(config_path)
    try:
        Analysts(store).add(name, password)
    finally:
        store.close()
    click.echo(f"analyst {name}: saved")


@analyst.command("remove")
@click.argument("name")
@config_option
@one_line_errors
def analyst_remove(name: str, config_path: Path | None) -> None:
    """Remove an analyst."""
    from piigate.quarantine.analysts import Analysts

    store = _open_store(config_path)
    try:
        removed = Analysts(store).remove(name)
    finally:
        store.close()
    if not removed:
        raise QuarantineError(f"analyst {name}: no such analyst")
    click.echo(f"analyst {name}: removed")


def _open_store(config_path: Path | None) -> QuarantineStore:
    from piigate.config import load_settings
    from piigate.quarantine import open_quarantine

    return open_quarantine(load_settings(config_path))
