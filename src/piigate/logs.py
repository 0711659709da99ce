"""The only place structlog is configured. JSON lines on stderr; entity types and counts,
never values."""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

import structlog

if TYPE_CHECKING:  # the isolated workers import this module: no settings machinery there
    from piigate.config import LogSettings

READER_LOGGERS = (
    "pypdf",
    "extract_msg",
    "olefile",
    "msoffcrypto",
    "tnefparse",
    "oletools",
    "RTFDE",
    "compressed_rtf",
    "PIL",
)
"""The stdlib loggers of the libraries that read mail and attachments."""


def silence_reader_logs() -> None:
    """Nothing the reader libraries log is written: what they say quotes the document they
    read (pypdf's warnings name its objects and titles, extract-msg's its properties), so it
    can carry a message's PII. The gate logs each part it could not read itself, by place and
    reason, never a value. Called by the gate and by each isolated worker process."""
    for name in READER_LOGGERS:
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)


def configure_logging(settings: LogSettings) -> None:
    silence_reader_logs()
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if settings.format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[settings.level.upper()]
        ),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
