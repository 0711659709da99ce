"""``piigate serve`` and ``piigate scan``: the gate, online and offline."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from piigate.cli.options import (
    EXIT_HELD,
    EXIT_OK,
    EXIT_USAGE,
    config_option,
    one_line_errors,
)

# The settings, the pipeline (Presidio, spaCy, every reader) and the web stack are imported
# by the command that runs them, so `piigate --help` and the other commands start fast.
if TYPE_CHECKING:
    from piigate.model import Screening
    from piigate.pipeline import Screener


@click.command()
@config_option
@click.option("--listen", help="HOST:PORT to accept mail on (default 127.0.0.1:10025).")
@click.option("--upstream", help="HOST:PORT of the MTA to relay to (default 127.0.0.1:10026).")
@click.option(
    "--allow-plain-http",
    is_flag=True,
    help="Mount /review on a non-loopback http.listen (only behind a TLS-terminating proxy).",
)
@one_line_errors
def serve(
    config_path: Path | None, listen: str | None, upstream: str | None, allow_plain_http: bool
) -> None:
    """Run the SMTP gate, with /metrics, /healthz and /review on http.listen."""
    import asyncio
    import functools
    import signal

    from piigate.config import load_settings
    from piigate.extract.registry import import_readers
    from piigate.logs import configure_logging
    from piigate.pipeline import build_gate
    from piigate.review.app import build_pages
    from piigate.review.security import mounts_review
    from piigate.service import Service

    settings = load_settings(config_path, listen=listen, upstream=upstream)
    mounted = mounts_review(settings, allow_plain_http)
    configure_logging(settings.log)
    gate = build_gate(settings)
    import_readers()  # in this process too: isolation off, or the kinds it reads itself
    _say_if_images_unreadable(gate.screener)
    _say_if_reader_programs_missing()
    service = Service(gate, settings, review=build_pages(settings, gate).app() if mounted else None)

    async def run() -> None:
        reload = functools.partial(gate.reload_policy, config_path)
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, reload)
        await service.serve_until_signalled()

    asyncio.run(run())


def _say_if_images_unreadable(screener: Screener) -> None:
    """At start-up: no OCR engine means every image is held as unscannable for external mail."""
    import structlog

    missing = screener.images.missing if screener.images is not None else None
    if missing is not None:
        structlog.get_logger("piigate").error(
            "OCR engine unavailable: image content is unscannable (held for external "
            "recipients) until it is installed (make ocr-engine)",
            reason=missing,
        )


def _say_if_reader_programs_missing() -> None:
    """At start-up: a missing reader program (catdoc, LibreOffice, unar) makes its format
    unreadable, held as unscannable for external mail."""
    import structlog

    from piigate.extract.programs import missing_programs

    for program, what in missing_programs().items():
        structlog.get_logger("piigate").error(
            "reader program missing: this content is unscannable (held for external "
            "recipients) until it is installed (make readers)",
            program=program,
            reads=what,
        )


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@config_option
@click.option("--from", "mail_from", help="Envelope sender (default: the message's From).")
@click.option("--to", "rcpt_tos", multiple=True, help="Envelope recipient; repeat for several.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file on stdout.")
@one_line_errors
def scan(
    files: Sequence[Path],
    config_path: Path | None,
    mail_from: str | None,
    rcpt_tos: Sequence[str],
    as_json: bool,
) -> None:
    """Screen message files offline: nothing is sent, recorded or held.

    Exit status: 0 when every file would be delivered, 3 when any would be rejected or
    quarantined (a part no reader could read, even one that crashed its reader, makes its
    file unscannable: 3, and the files after it are still screened), 2 for bad usage or a
    file that cannot be read."""
    from piigate.config import load_settings
    from piigate.logs import configure_logging
    from piigate.pipeline import build_screener
    from piigate.record import history_for_scan

    settings = load_settings(config_path)
    configure_logging(settings.log)
    history, ledger, note = history_for_scan(settings)
    if note:
        click.echo(f"piigate: note: {note}", err=True)
    screener = build_screener(settings, load_ner_now=False).with_history(history)
    try:
        status = _scan_files(screener, files, mail_from, rcpt_tos, as_json)
    finally:
        screener.close()
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
    from piigate.model import Action

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
    from piigate.model import Envelope
    from piigate.parse import parse_message

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
        "more_findings": [c.public() for c in screening.detection.omitted],
        "finding_count": screening.detection.finding_count,
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
    lines += [
        f"  and {c.count:,} more {c.entity_type} in {c.where}"
        + (f", column {c.column}" if c.column else "")
        for c in screening.detection.omitted
    ]
    return "\n".join(lines)
