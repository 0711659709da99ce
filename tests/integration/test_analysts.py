"""Analyst accounts: argon2 hashes only, managed from the command line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from piigate.cli import main
from piigate.config import Settings
from piigate.errors import QuarantineError
from piigate.quarantine import open_quarantine
from piigate.quarantine.analysts import Analysts
from tests.conftest import settings_for

PASSWORD = "correct horse battery staple"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PIIGATE_QUARANTINE__URL", f"sqlite:///{tmp_path}/q.db")
    monkeypatch.setenv("PIIGATE_QUARANTINE__KEY", "cd" * 32)
    return tmp_path


def test_add_with_password_stdin_stores_only_an_argon2_hash(env: Path) -> None:
    result = CliRunner().invoke(
        main, ["analyst", "add", "pat", "--password-stdin"], input=PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output
    stored = (env / "q.db").read_bytes() + b"".join(p.read_bytes() for p in env.glob("q.db-*"))
    assert PASSWORD.encode() not in stored
    assert b"$argon2id$" in stored


def test_verify_and_remove(shipped_settings: Settings, tmp_path: Path) -> None:
    settings = settings_for(shipped_settings, tmp_path, shipped_settings.upstream)
    store = open_quarantine(settings)
    analysts = Analysts(store)
    analysts.add("pat", PASSWORD)
    assert analysts.verify("pat", PASSWORD)
    assert not analysts.verify("pat", PASSWORD + "x")
    assert not analysts.verify("nobody", PASSWORD)
    with pytest.raises(QuarantineError, match="at least 12"):
        analysts.add("sam", "short")
    assert analysts.remove("pat") and analysts.names() == []
    store.close()


def test_remove_unknown_analyst_is_a_one_line_error(env: Path) -> None:
    result = CliRunner().invoke(main, ["analyst", "remove", "ghost"])
    assert result.exit_code == 2
    assert "no such analyst" in result.stderr and "Traceback" not in result.stderr
    assert os.path.exists(env / "q.db")
