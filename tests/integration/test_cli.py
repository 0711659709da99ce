"""The ``piigate`` command as users run it: scan's contract, one-line errors, serve + SIGTERM."""

from __future__ import annotations

import json
import os
import random
import signal
import smtplib
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from piigate.cli import main
from piigate.config import HostPort
from tests.synthetic import message, ssn

RNG = random.Random(7)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def scan_json(runner: CliRunner, *args: str) -> tuple[int, list[dict[str, object]], str]:
    result = runner.invoke(main, ["scan", "--json", *args])
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    return result.exit_code, lines, result.stderr


def test_scan_json_lines_follow_the_contract_in_file_order(
    runner: CliRunner, tmp_path: Path
) -> None:
    """One JSON object per file, in order, with exactly the contract's keys; exit 3 when any
    file would be refused."""
    value = ssn(RNG)
    clean = write(tmp_path / "clean.eml", message(body="Lunch at noon?\n"))
    leaky = write(tmp_path / "leaky.eml", message(body=f"SSN: {value}\n"))
    code, lines, _ = scan_json(runner, str(clean), str(leaky))
    assert code == 3
    assert [line["file"] for line in lines] == [str(clean), str(leaky)]
    expected_keys = {
        "file",
        "action",
        "external",
        "violations",
        "findings",
        "individuals",
        "disclosure_record",
    }
    assert all(expected_keys <= set(line) for line in lines)
    assert lines[0]["action"] == "deliver" and lines[0]["violations"] == []
    assert lines[1]["action"] == "reject" and lines[1]["external"] is True
    assert lines[1]["violations"][0]["rule"] == "unencrypted-sensitive-pii"  # type: ignore[index]
    assert lines[1]["findings"] == [
        {
            "type": "US_SSN",
            "where": "body",
            "line": 1,
            "column": None,
            "masked": f"***-**-{value[-4:]}",
            "score": 1.0,
            "recognizer": "UsSsnRecognizer",
        }
    ]
    assert lines[1]["individuals"] == 1
    assert lines[1]["disclosure_record"] is False
    assert value not in json.dumps(lines)


def test_scan_json_lists_a_bounded_sample_and_counts_the_rest_exactly(
    runner: CliRunner, tmp_path: Path
) -> None:
    """A list of 250 people: 100 SSN findings listed, the other 150 counted under
    ``more_findings`` with their place and column; individuals and the total stay exact."""
    rng = random.Random(8)
    rows = "\n".join(f"Person {i},{ssn(rng)}" for i in range(250))
    data = f"Name,SSN\n{rows}\n".encode()
    path = write(tmp_path / "list.eml", message(attachments=(("people.csv", data, "text/csv"),)))
    code, lines, _ = scan_json(runner, str(path))
    (line,) = lines
    assert code == 3
    listed = line["findings"]
    assert isinstance(listed, list) and len(listed) == 100
    assert line["more_findings"] == [
        {"type": "US_SSN", "where": "attachment people.csv", "column": "SSN", "count": 150}
    ]
    assert line["finding_count"] == 250
    assert line["individuals"] == 250


def test_scan_envelope_options_override_the_headers(runner: CliRunner, tmp_path: Path) -> None:
    """--to replaces the header recipients (repeatable); internal-only → deliver, exit 0."""
    leaky = write(tmp_path / "m.eml", message(to=("bob@fbi.gov",), body=f"SSN {ssn(RNG)}\n"))
    code, lines, _ = scan_json(
        runner,
        str(leaky),
        "--to",
        "carol@dhs.gov",
        "--to",
        "dan@cbp.dhs.gov",
        "--from",
        "x@dhs.gov",
    )
    assert code == 0
    assert lines[0]["action"] == "deliver" and lines[0]["external"] is False
    code, lines, _ = scan_json(runner, str(leaky), "--to", "carol@dhs.gov", "--to", "e@opm.gov")
    assert code == 3 and lines[0]["external"] is True


def test_scan_unreadable_attachment_is_quarantine_not_clean(
    runner: CliRunner, tmp_path: Path
) -> None:
    raw = message(attachments=(("x.bin", b"\x00\xff" * 50, "application/octet-stream"),))
    code, lines, _ = scan_json(runner, str(write(tmp_path / "b.eml", raw)))
    assert code == 3
    assert lines[0]["action"] == "quarantine"
    assert lines[0]["violations"][0]["rule"] == "unscannable-content"  # type: ignore[index]


def test_scan_reads_malformed_content_without_crashing(runner: CliRunner, tmp_path: Path) -> None:
    """Whatever the bytes, a readable file gets a verdict."""
    junk = write(tmp_path / "junk.eml", bytes(range(256)) * 20 + b"\n\n--\nContent-Type: ;;;\n")
    empty = write(tmp_path / "empty.eml", b"")
    code, lines, _ = scan_json(runner, str(junk), str(empty))
    assert code in (0, 3)
    assert len(lines) == 2


def test_scan_missing_file_is_exit_2_with_one_line(runner: CliRunner, tmp_path: Path) -> None:
    ok = write(tmp_path / "ok.eml", message(body="hi\n"))
    result = runner.invoke(main, ["scan", "--json", str(tmp_path / "nope.eml"), str(ok)])
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and "nope.eml" in errors[0]
    assert "Traceback" not in result.stderr
    assert len(result.stdout.splitlines()) == 1  # the readable file still got its verdict


def test_scan_without_files_is_bad_usage(runner: CliRunner) -> None:
    assert runner.invoke(main, ["scan"]).exit_code == 2


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "piigate", *args],
        check=False,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_invalid_config_is_one_line_naming_file_line_and_key(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("internal_domains:\n  - dhs.gov\nsmtp:\n  max_message_size: lots\n")
    msg = write(tmp_path / "m.eml", message())
    result = run_cli("scan", "--config", str(config), str(msg), cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"{config}:4: smtp.max_message_size:" in lines[0]
    assert "Traceback" not in result.stderr


def test_invalid_environment_override_names_the_variable(tmp_path: Path) -> None:
    msg = write(tmp_path / "m.eml", message())
    result = run_cli("scan", str(msg), cwd=tmp_path, env={"PIIGATE_SCAN__TIMEOUT": "soon"})
    assert result.returncode == 2
    assert "PIIGATE_SCAN__TIMEOUT" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(
                f"piigate exited early: {proc.stderr.read() if proc.stderr else ''}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("piigate did not start listening")


def spawn_serve(
    tmp_path: Path,
    port: int,
    upstream: HostPort,
    env: dict[str, str],
    stderr: Any = subprocess.PIPE,
) -> subprocess.Popen[str]:
    """`piigate serve` in its own process on ``port``, relaying to ``upstream``; its HTTP
    listener on an ephemeral port (never colliding with a gate already on 8025); stderr piped
    (or to ``stderr``, a file, for a gate that logs a lot)."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "piigate",
            "serve",
            "--listen",
            f"127.0.0.1:{port}",
            "--upstream",
            str(upstream),
        ],
        cwd=tmp_path,
        env={**os.environ, "PIIGATE_HTTP__LISTEN": "127.0.0.1:0", **env},
        stderr=stderr,
        text=True,
    )


def serve_env(tmp_path: Path) -> dict[str, str]:
    """The environment for a `piigate serve` of its own: ledger and quarantine in tmp_path."""
    return {
        "PIIGATE_LEDGER__URL": f"sqlite:///{tmp_path}/l.db",
        "PIIGATE_QUARANTINE__KEY_FILE": str(tmp_path / "q.key"),
        "PIIGATE_QUARANTINE__DIR": str(tmp_path / "q"),
    }


async def test_serve_relays_logs_json_without_pii_and_stops_on_sigterm(tmp_path: Path) -> None:
    """`piigate serve` in its own process: keys init, relay into a real sink, one JSON log
    line per message with no PII, a clean exit on SIGTERM."""
    from tests.conftest import start_sink

    sink = await start_sink()
    port = free_port()
    env = serve_env(tmp_path)
    init = run_cli("keys", "init", cwd=tmp_path, env=env)
    assert init.returncode == 0, init.stderr
    assert (tmp_path / "q.key").stat().st_mode & 0o077 == 0
    proc = spawn_serve(tmp_path, port, sink.address, env)
    value = ssn(RNG)
    try:
        import asyncio

        await asyncio.to_thread(wait_for_port, port, proc)

        def deliver() -> tuple[int, bytes]:
            with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
                client.sendmail(
                    "alice@dhs.gov",
                    ["carol@dhs.gov"],
                    message(to=("carol@dhs.gov",), body=f"SSN {value}\n"),
                )
                refused = client.sendmail("alice@dhs.gov", ["carol@dhs.gov"], b"x")
                del refused
                try:
                    client.sendmail(
                        "alice@dhs.gov", ["bob@fbi.gov"], message(body=f"SSN {value}\n")
                    )
                except smtplib.SMTPDataError as exc:
                    return exc.smtp_code, exc.smtp_error
            return 250, b""

        code, reply = await asyncio.to_thread(deliver)
        assert code == 550 and b"unencrypted-sensitive-pii" in reply
        assert len(sink.messages) == 2
        proc.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.to_thread(proc.communicate, None, 30)
    finally:
        if proc.poll() is None:
            proc.kill()
        await sink.stop()
    assert proc.returncode == 0, stderr
    events = [json.loads(line) for line in stderr.splitlines()]
    messages = [e for e in events if e["event"] == "message"]
    assert [m["verdict"] for m in messages] == ["deliver", "deliver", "reject"]
    assert "unencrypted-sensitive-pii" in messages[2]["rules"]
    assert {"message_id", "sender", "recipients", "scan_ms", "total_ms"} <= set(messages[0])
    assert events[-1]["event"] == "stopped"
    assert value not in stderr and value[-4:] not in stderr
