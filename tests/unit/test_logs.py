"""What the gate lets the reader libraries log (``piigate.logs``)."""

from __future__ import annotations

import logging

import pytest

from piigate.logs import READER_LOGGERS, silence_reader_logs


def test_reader_libraries_log_nothing_once_silenced(capfd: pytest.CaptureFixture[str]) -> None:
    """Once silenced (configure_logging and every isolated worker do it), a warning a reader
    library logs (pypdf quoting a document's object) is not written to stderr: it can carry a
    message's PII."""
    silence_reader_logs()
    secret = "SSN 000-12-3456 (synthetic)"
    logging.getLogger("pypdf._reader").warning("object at byte 9: %s", secret)
    logging.getLogger("extract_msg.properties").error("property %s", secret)
    assert secret not in capfd.readouterr().err
    assert not any(
        logging.getLogger(name).isEnabledFor(logging.CRITICAL) for name in READER_LOGGERS
    )
