"""`piigate rules check` and `piigate rules test`, and SIGHUP reload in a running gate."""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import smtplib
from pathlib import Path

from click.testing import CliRunner

from piigate.cli import main
from piigate.config import shipped_dir
from tests.conftest import start_sink
from tests.integration.test_cli import free_port, spawn_serve, wait_for_port
from tests.synthetic import message

SHIPPED_RULES = shipped_dir() / "rules"


def test_rules_check_accepts_the_shipped_rules() -> None:
    result = CliRunner().invoke(main, ["rules", "check", str(SHIPPED_RULES)])
    assert result.exit_code == 0, result.output
    assert "OK: 14 rules, 1 cases" in result.output


def test_rules_check_names_file_and_line_of_an_invalid_rule(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    shutil.copytree(SHIPPED_RULES, folder)
    text = (folder / "default.yaml").read_text()
    (folder / "default.yaml").write_text(text.replace("params: {max: 10}", "params: {max: ten}"))
    line = text[: text.index("params: {max: 10}")].count("\n") + 1
    result = CliRunner().invoke(main, ["rules", "check", str(folder)])
    assert result.exit_code == 2
    assert f"default.yaml:{line}: rules." in result.stderr and ".params" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_shipped_policy_tests_pass() -> None:
    result = CliRunner().invoke(main, ["rules", "test"])
    assert result.exit_code == 0, result.output
    assert "0 failed" in result.output and "FAIL" not in result.output


def test_policy_tests_show_what_a_changed_threshold_breaks(tmp_path: Path) -> None:
    """An admin lowers too-many-recipients to 5: the shipped test with ten recipients fails,
    and the table says what was expected and what came out."""
    folder = tmp_path / "rules"
    shutil.copytree(SHIPPED_RULES, folder)
    path = folder / "default.yaml"
    path.write_text(path.read_text().replace("params: {max: 10}", "params: {max: 5}"))
    result = CliRunner().invoke(
        main, ["rules", "test", "--rules", str(folder), "--tests", str(folder / "tests")]
    )
    assert result.exit_code == 1
    failed = [line for line in result.output.splitlines() if line.startswith("FAIL")]
    assert len(failed) == 1
    assert "ten external recipients" in failed[0]
    assert "expected encrypt" in failed[0] and "got quarantine" in failed[0]


async def test_sighup_reloads_rules_and_keeps_last_good_on_error(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    shutil.copytree(SHIPPED_RULES, folder)
    sink = await start_sink()
    port = free_port()
    env = {
        "PIIGATE_LEDGER__URL": f"sqlite:///{tmp_path}/l.db",
        "PIIGATE_QUARANTINE__KEY": "ab" * 32,
        "PIIGATE_LEDGER__KEY": "cd" * 32,
        "PIIGATE_RULES_DIR": str(folder),
    }
    proc = spawn_serve(tmp_path, port, sink.address, env)
    raw = message(
        body="nothing sensitive\n",
        attachments=(("x.bin", b"\x00\x01" * 40, "application/octet-stream"),),
    )

    def send_one() -> int:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
            client.ehlo()
            client.mail("alice@dhs.gov")
            client.rcpt("bob@fbi.gov")
            code, reply = client.data(raw)
            assert code == 250
            return int("Held" in reply.decode())

    try:
        await asyncio.to_thread(wait_for_port, port, proc)
        assert await asyncio.to_thread(send_one) == 1  # held: unscannable content
        default = folder / "default.yaml"
        default.write_text(
            default.read_text().replace(
                "when: unscannable-content\n    scope: {external: true}\n    action: quarantine",
                "when: unscannable-content\n    scope: {external: true}\n    action: deliver",
            )
        )
        proc.send_signal(signal.SIGHUP)
        await asyncio.sleep(1.0)
        assert await asyncio.to_thread(send_one) == 0  # delivered under the new rules
        default.write_text("rules:\n  - id: x\n    when: nope\n")
        proc.send_signal(signal.SIGHUP)
        await asyncio.sleep(1.0)
        assert await asyncio.to_thread(send_one) == 0  # last good rules still apply
        proc.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.to_thread(proc.communicate, None, 30)
    finally:
        if proc.poll() is None:
            proc.kill()
        await sink.stop()
    lines = [json.loads(line) for line in stderr.splitlines()]
    events = [line["event"] for line in lines]
    assert "policy reloaded" in events
    [failed] = [
        e for e in lines if e["event"] == "policy reload failed; keeping the last good policy"
    ]
    assert f"{default}:" in failed["error"]  # the file and line that broke it
