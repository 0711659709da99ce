"""``piigate sweep``: rebuild who received whose PII from an archive of sent mail."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import click

from piigate.cli.options import config_option, one_line_errors


@click.command()
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@config_option
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Only mail sent from this date.")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Only mail sent before this date.")
@click.option("--sender", "senders", multiple=True, help="Only mail from ADDR; repeatable.")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), help="Report folder.")
@click.option("--record", is_flag=True, help="Write reconstructed records into the ledger.")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True)
@click.option("--scheduler", help="Dask scheduler address (tcp://HOST:PORT), for --engine dask.")
@click.option("--workers", type=click.IntRange(min=1), help="Worker processes (default: cores).")
@click.option("--resume", is_flag=True, help="Continue the sweep that stopped in --out DIR.")
@one_line_errors
def sweep(
    *,
    sources: Sequence[Path],
    config_path: Path | None,
    since: datetime | None,
    until: datetime | None,
    senders: Sequence[str],
    out: Path | None,
    record: bool,
    engine: str,
    scheduler: str | None,
    workers: int | None,
    resume: bool,
) -> None:
    """Sweep archived mail (mbox, Maildir, folders of .eml/.msg, .pst): the verdict the gate
    would have given each external message, as a report (--out) and, with --record, as
    disclosure records marked as reconstructed."""
    # Imported here: `piigate --help` and the other commands do not load the pipeline.
    from piigate.sweep.run import Engine, sweep_from_settings
    from piigate.sweep.work import Filters

    if scheduler and engine != "dask":
        raise click.UsageError("--scheduler is for --engine dask")
    if resume and out is None:
        raise click.UsageError("--resume needs --out DIR (where the stopped sweep kept its state)")
    filters = Filters(
        since=since.replace(tzinfo=UTC) if since else None,
        until=until.replace(tzinfo=UTC) if until else None,
        senders=frozenset(s.lower() for s in senders),
    )
    tally = sweep_from_settings(
        config_path,
        list(sources),
        filters,
        Engine(engine, workers, scheduler),
        record=record,
        out=out,
        resume=resume,
    )
    summary = tally.summary()
    click.echo(
        f"{summary['messages']} messages, {summary['external']} external, "
        f"{summary['incidents']} incidents, {summary['disclosures']} disclosures of "
        f"{summary['individuals']} individuals; {summary['recorded']} recorded "
        f"({summary['already_recorded']} already in the ledger)"
    )
    for problem in summary["problems"]:
        click.echo(f"piigate: not read: {problem['source']}: {problem['reason']}", err=True)
