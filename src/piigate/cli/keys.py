"""``piigate keys`` and ``piigate clients``: secrets and who may send."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from piigate.cli.options import (
    EXIT_USAGE,
    config_option,
    one_line_errors,
)


@click.group()
def keys() -> None:
    """The gate's secret keys."""


@keys.command("init")
@config_option
@one_line_errors
def keys_init(config_path: Path | None) -> None:
    """Create the key files the config names (owner-only); existing keys are kept."""
    from piigate.config import load_settings
    from piigate.keys import create_key_file

    settings = load_settings(config_path)
    for name, path in (
        ("quarantine", settings.quarantine.key_file),
        ("ledger", settings.ledger.key_file),
    ):
        created = create_key_file(path)
        click.echo(f"{name} key: {path} ({'created' if created else 'exists, kept'})")
    from piigate.record.checkpoints import create_key_files

    signing = settings.ledger.checkpoint_key_file
    created = create_key_files(signing)
    click.echo(
        f"ledger checkpoint key: {signing} ({'created' if created else 'exists, kept'}; "
        f"public key {signing.with_suffix('.pub')})"
    )


@click.group()
def clients() -> None:
    """Who may send through the gate."""


@clients.command("hash-password")
@click.argument("user")
def clients_hash_password(user: str) -> None:
    """Print a clients.auth_file line for USER; the password is read from stdin."""
    from piigate.receive.auth import hash_password

    password = sys.stdin.readline().rstrip("\r\n")
    if not password or ":" in user:
        click.echo("piigate: error: give a user without ':' and a password on stdin", err=True)
        sys.exit(EXIT_USAGE)
    click.echo(f"{user}:{hash_password(password)}")
