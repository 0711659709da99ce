"""Tamper evidence that does not need trust in the database, on SQLite and PostgreSQL: signed
checkpoints of the ledger's Merkle tree catch a truncated or wholly rewritten ledger (which
the hash chain alone cannot), an inclusion proof for one record is checked with the public
key alone, and a running gate signs checkpoints on its own."""

from __future__ import annotations

import asyncio
import json
import secrets
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner

from piigate.cli import main
from piigate.config import Settings
from piigate.keys import create_key_file
from piigate.model import DisclosureRecord, Recipient
from piigate.record import open_ledger
from piigate.record.checkpoints import create_key_files, read
from tests.conftest import Sink, gate_running, send, settings_for
from tests.synthetic import message, ssn


@pytest.fixture
def env(tmp_path: Path, ledger_url: str) -> dict[str, str]:
    key_file = tmp_path / "ledger.key"
    create_key_file(key_file)
    create_key_files(tmp_path / "checkpoint.key")
    return {
        "PIIGATE_LEDGER__URL": ledger_url,
        "PIIGATE_LEDGER__KEY_FILE": str(key_file),
        "PIIGATE_LEDGER__CHECKPOINT_KEY_FILE": str(tmp_path / "checkpoint.key"),
        "PIIGATE_LEDGER__CHECKPOINT_FILE": str(tmp_path / "checkpoints"),
        "PIIGATE_LOG__FORMAT": "console",
    }


def run(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["records", *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def fill(env: dict[str, str], count: int, tag: str = "a") -> None:
    """Append ``count`` records through the ledger's own API."""
    ledger = open_ledger(env["PIIGATE_LEDGER__URL"], secrets.token_bytes(32))
    try:
        for n in range(count):
            ledger.append(
                DisclosureRecord(
                    recorded_at=f"2026-12-01T10:00:{n:02d}.000+00:00",
                    sender="alice@dhs.gov",
                    recipients=(Recipient("agent@fbi.gov", "fbi.gov"),),
                    pii_counts={"US_SSN": 1},
                    individuals=1,
                    message_id=f"<{tag}{n}@dhs.gov>",
                    sha256=secrets.token_hex(32),
                    outcome="delivered",
                )
            )
    finally:
        ledger.close()


def raw_sql(url: str, *statements: str) -> None:
    """Change the database behind the application's back, as its administrator could."""
    if url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            for statement in statements:
                conn.execute(statement)
        return
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)  # type: ignore[arg-type]  # constant SQL


def wipe(url: str) -> None:
    """The whole ledger gone (to be written anew)."""
    if url.startswith("sqlite"):
        Path(url.removeprefix("sqlite:///")).unlink()
        return
    raw_sql(url, "DROP SCHEMA public CASCADE", "CREATE SCHEMA public")


def test_checkpoints_catch_a_truncated_ledger(env: dict[str, str]) -> None:
    """After two signed checkpoints the ledger extends both; deleting its last records (rows,
    index and tree leaves alike) leaves a chain that verifies, but not the checkpoints."""
    checkpoints = env["PIIGATE_LEDGER__CHECKPOINT_FILE"]
    fill(env, 3)
    assert run(env, "checkpoint")[0] == 0
    fill(env, 2, tag="b")
    code, out, _ = run(env, "checkpoint")
    assert code == 0 and out.startswith("checkpoint: 5 records, root ")
    code, out, err = run(env, "verify", "--checkpoint", checkpoints)
    assert (code, out.strip()) == (
        0,
        "ledger intact: 5 records verified; extends 2 signed checkpoints",
    ), err
    raw_sql(
        env["PIIGATE_LEDGER__URL"],
        "DELETE FROM disclosure_recipients WHERE disclosure_id > 3",
        "DELETE FROM disclosure_individuals WHERE disclosure_id > 3",
        "DELETE FROM ledger_leaves WHERE position > 3",
        "DELETE FROM disclosures WHERE id > 3",
    )
    assert run(env, "verify")[0] == 0  # the chain alone cannot tell
    code, _, err = run(env, "verify", "--checkpoint", checkpoints)
    assert code == 1
    assert "checkpoint 2" in err and "the ledger has only 3 records (truncated)" in err


def test_checkpoints_catch_a_wholly_rewritten_ledger(env: dict[str, str]) -> None:
    """A ledger rewritten from scratch with as many records (its chain and tree consistent in
    themselves) verifies alone, but not against the checkpoint signed before."""
    fill(env, 4)
    assert run(env, "checkpoint")[0] == 0
    wipe(env["PIIGATE_LEDGER__URL"])
    fill(env, 4, tag="forged")
    assert run(env, "verify")[0] == 0
    code, _, err = run(env, "verify", "--checkpoint", env["PIIGATE_LEDGER__CHECKPOINT_FILE"])
    assert code == 1 and "does not extend it (its records were rewritten)" in err


def test_a_forged_checkpoint_is_refused(env: dict[str, str], tmp_path: Path) -> None:
    """A checkpoint signed by another key does not count: verify names it."""
    fill(env, 2)
    assert run(env, "checkpoint")[0] == 0
    create_key_files(tmp_path / "other.key")
    code, _, err = run(
        env,
        "verify",
        "--checkpoint",
        env["PIIGATE_LEDGER__CHECKPOINT_FILE"],
        "--public-key",
        str(tmp_path / "other.pub"),
    )
    assert code == 1 and "its signature does not verify" in err


def test_an_inclusion_proof_is_checked_with_the_public_key_alone(
    env: dict[str, str], tmp_path: Path
) -> None:
    """`records proof` gives a record's inclusion proof under the latest checkpoint covering
    it; `records check-proof` holds it with the public key (no ledger); an altered record
    hash, or another key, does not hold."""
    fill(env, 5)
    code, _, err = run(env, "proof", "2")
    assert code == 2 and "checkpoints: cannot read" in err  # none saved yet
    assert run(env, "checkpoint")[0] == 0
    fill(env, 1, tag="later")
    code, _, err = run(env, "proof", "6")
    assert code == 2 and "no saved checkpoint covers record 6 yet" in err
    code, out, _ = run(env, "proof", "2")
    assert code == 0
    proof: dict[str, Any] = json.loads(out)
    assert (proof["leaf_index"], proof["checkpoint"]["size"]) == (2, 5)
    path = tmp_path / "proof.json"
    path.write_text(out)
    public = str(tmp_path / "checkpoint.pub")
    keyless = {"PIIGATE_LEDGER__URL": "sqlite:///nowhere/none.db"}  # no ledger is needed
    code, out, _ = run(keyless, "check-proof", str(path), "--public-key", public)
    assert code == 0 and out.startswith("proof holds: record 2 ") and "5-record ledger" in out
    proof["record_hash"] = "00" * 32
    path.write_text(json.dumps(proof))
    code, _, err = run(keyless, "check-proof", str(path), "--public-key", public)
    assert code == 1 and "does not hold" in err
    create_key_files(tmp_path / "other.key")
    path.write_text(out)
    code, _, err = run(
        keyless, "check-proof", str(path), "--public-key", str(tmp_path / "other.pub")
    )
    assert code == 1


async def test_a_running_gate_signs_checkpoints(
    shipped_settings: Settings,
    tmp_path: Path,
    sink: Sink,
    ledger_url: str,
    delivering_rules: Path,
) -> None:
    """With a checkpoint key, the gate appends a signed checkpoint every interval once the
    ledger grew, and the ledger extends it."""
    base = settings_for(shipped_settings, tmp_path, sink.address, rules_dir=delivering_rules)
    create_key_files(tmp_path / "keys" / "checkpoint.key")
    ledger = base.ledger.model_copy(
        update={
            "url": ledger_url,
            "checkpoint_key_file": tmp_path / "keys" / "checkpoint.key",
            "checkpoint_file": tmp_path / "checkpoints",
            "checkpoint_interval": 0.2,
        }
    )
    async with gate_running(base.model_copy(update={"ledger": ledger})) as gate:
        code, reply = await send(
            gate.address, message(body=f"SSN {ssn(__import__('random').Random(5))}\n")
        )
        assert code == 250, reply
        for _ in range(100):
            saved = read(tmp_path / "checkpoints") if (tmp_path / "checkpoints").exists() else []
            if saved and saved[-1].size == 1:
                break
            await asyncio.sleep(0.1)
    assert saved[-1].size == 1
    env = {
        "PIIGATE_LEDGER__URL": ledger_url,
        "PIIGATE_LEDGER__CHECKPOINT_KEY_FILE": str(tmp_path / "keys" / "checkpoint.key"),
    }
    code, out, err = run(env, "verify", "--checkpoint", str(tmp_path / "checkpoints"))
    assert code == 0 and "extends" in out, err
