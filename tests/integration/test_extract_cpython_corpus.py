"""The MIME messages of CPython's own email test suite (odd structures, charsets, defects):
each one goes through the whole screener and gets a verdict, never an exception."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import pytest

from piigate.model import Action, Envelope
from piigate.pipeline import Screener

DATA = Path(sysconfig.get_paths()["stdlib"]) / "test" / "test_email" / "data"
MESSAGES = sorted(DATA.glob("msg_*.txt")) if DATA.is_dir() else []


@pytest.mark.skipif(not MESSAGES, reason="this Python has no Lib/test/test_email/data")
@pytest.mark.parametrize("path", MESSAGES, ids=[p.name for p in MESSAGES])
def test_cpython_test_message_gets_a_verdict(path: Path, screener: Screener) -> None:
    """Screening the message returns a verdict for an external recipient."""
    screening = screener.screen(Envelope("alice@dhs.gov", ("bob@fbi.gov",)), path.read_bytes())
    assert screening.verdict.action in tuple(Action)
    assert screening.verdict.external
