"""The ``piigate`` command: load settings, configure logging, build the gate, run it.

    piigate serve [--config FILE] [--listen HOST:PORT] [--upstream HOST:PORT]
    piigate scan FILE... [--config FILE] [--from ADDR] [--to ADDR]... [--json]
    piigate records list [--since DATE] [--case ID] [--recipient-org DOMAIN] [--json|--csv]
    piigate records recipients --case ID [--json]
    piigate records accounting [--ssn NNN-NN-NNNN|-] [--name NAME --dob YYYY-MM-DD]
                               [--a-number A] [--passport P] [--dl D] [--json]
    piigate records init
    piigate records show ID [--html]
    piigate records verify
    piigate records prune --before YYYY-MM-DD
    piigate rules check [DIR] | rules test [--rules DIR] [--tests DIR]
    piigate quarantine list [--state STATE] [--json] | quarantine expire
    piigate review [--listen HOST:PORT] | report --out FILE
    piigate analyst add NAME [--password-stdin] | analyst remove NAME
    piigate sweep SOURCE... [--since DATE] [--until DATE] [--sender ADDR]... [--out DIR] [--record]
                 [--engine local|dask] [--scheduler ADDR] [--workers N] [--resume]
    piigate keys init
    piigate clients hash-password USER   (reads the password from stdin)

One module per family of commands; this one only assembles them.

Errors a user can fix are one line on stderr and exit status 2; never a traceback.
"""

from __future__ import annotations

import sys

import click

from piigate import __version__
from piigate.cli import gate, keys, quarantine, records, rules, sweep

__all__ = ["main"]


QUIET_COMMANDS = frozenset({"records", "keys", "clients", "analyst"})
"""Commands that never log through structlog: they start without importing it."""


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="piigate")
@click.pass_context
def main(ctx: click.Context) -> None:
    """piigate: a pre-send email PII gate."""
    if ctx.invoked_subcommand not in QUIET_COMMANDS:
        import_structlog_without_rich()


def import_structlog_without_rich() -> None:
    """Import structlog before any stage does, with rich hidden from it. structlog uses rich
    when it is installed (here only as a dependency of spaCy's own command line), importing
    most of it for tracebacks the gate never prints that way (its console tracebacks would
    show local variables: message content): a tenth of `piigate scan`'s start-up. After the
    import rich is importable again, for whoever needs it."""
    if "structlog" in sys.modules:
        return
    already = sys.modules.get("rich")
    sys.modules["rich"] = None  # type: ignore[assignment]  # `import rich` raises ImportError
    try:
        import structlog  # noqa: F401
    finally:
        if already is None:
            del sys.modules["rich"]
        else:
            sys.modules["rich"] = already


for command in (
    gate.serve,
    gate.scan,
    records.records,
    rules.rules,
    quarantine.quarantine,
    quarantine.review,
    quarantine.report,
    quarantine.analyst,
    keys.keys,
    keys.clients,
    sweep.sweep,
):
    main.add_command(command)
