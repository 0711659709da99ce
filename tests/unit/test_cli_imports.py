"""Every command but ``serve``, ``scan``, ``rules test`` and the review loads only what it
uses: the NLP stack, the readers of files, the web stack, the PostgreSQL driver (the ledger
here is SQLite), the HTML templates and the logging library stay out of the process. Pinned by
what is imported, not by timing: a fresh interpreter runs the command and reports which of
the heavy packages ended up in ``sys.modules``. ``scan`` loads the detector (Presidio and
spaCy) but no reader of attachments, SMTP client, actor or web stack for a text message."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from piigate.cli.quarantine import STATES
from piigate.config import DetectionSettings
from piigate.detect.registry import RECOGNIZERS
from piigate.detect.tuning import RECOGNIZER_NAMES
from piigate.keys import create_key_file
from piigate.quarantine import State

ROOT = Path(__file__).resolve().parents[2]

HEAVY = (
    "spacy",
    "presidio_analyzer",
    "thinc",
    "numpy",
    "pypdf",
    "openpyxl",
    "docx",
    "extract_msg",
    "olefile",
    "lxml",
    "bs4",
    "PIL",
    "msoffcrypto",
    "uvicorn",
    "starlette",
    "aiosmtpd",
    "aiosmtplib",
    "argon2",
    "cryptography",
    "psycopg",
    "jinja2",
    "rich",
    "piigate.pipeline",
    "piigate.extract",
    "piigate.detect.engine",
)

RUN_AND_REPORT = """
import json, sys
from piigate.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
print(json.dumps(sorted(m for m in {heavy} if m in sys.modules)))
"""


def loaded_heavy(
    args: list[str], env: dict[str, str], cwd: Path, heavy: tuple[str, ...] = HEAVY
) -> list[str]:
    """Run ``piigate ARGS`` in a fresh interpreter; which of ``heavy`` it imported."""
    code = RUN_AND_REPORT.format(heavy=repr(heavy))
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


@pytest.fixture
def command_env(tmp_path: Path) -> dict[str, str]:
    """A ledger and a quarantine of their own, with their keys."""
    for name in ("ledger", "quarantine"):
        create_key_file(tmp_path / f"{name}.key")
    return {
        "PATH": "/usr/bin:/bin",
        "PIIGATE_LEDGER__URL": f"sqlite:///{tmp_path}/ledger.db",
        "PIIGATE_LEDGER__KEY_FILE": str(tmp_path / "ledger.key"),
        "PIIGATE_QUARANTINE__URL": f"sqlite:///{tmp_path}/quarantine.db",
        "PIIGATE_QUARANTINE__DIR": str(tmp_path / "held"),
        "PIIGATE_QUARANTINE__KEY_FILE": str(tmp_path / "quarantine.key"),
    }


@pytest.mark.parametrize(
    "args",
    [
        ["--version"],
        ["--help"],
        ["records", "--help"],
        ["records", "list"],
        ["records", "verify"],
        ["quarantine", "list"],
        ["rules", "check", str(ROOT / "rules")],
        ["keys", "--help"],
    ],
    ids=" ".join,
)
def test_command_leaves_the_heavy_stack_unloaded(
    args: list[str], command_env: dict[str, str], tmp_path: Path
) -> None:
    """The admin's everyday commands import none of the NLP, reader or web packages."""
    assert loaded_heavy(args, command_env, tmp_path) == []


@pytest.mark.parametrize(
    "args", [["records", "list"], ["records", "verify"], ["keys", "--help"]], ids=" ".join
)
def test_quiet_commands_leave_structlog_unloaded(
    args: list[str], command_env: dict[str, str], tmp_path: Path
) -> None:
    """The ledger and key commands log nothing through structlog and do not import it."""
    assert loaded_heavy(args, command_env, tmp_path, ("structlog",)) == []


def test_other_commands_import_structlog_without_rich(
    command_env: dict[str, str], tmp_path: Path
) -> None:
    """A command that may log imports structlog, and structlog's rich tracebacks stay off."""
    args = ["quarantine", "list"]
    assert loaded_heavy(args, command_env, tmp_path, ("structlog", "rich")) == ["structlog"]


def test_probe_sees_the_heavy_stack_when_a_command_loads_it(
    command_env: dict[str, str], tmp_path: Path
) -> None:
    """The probe itself can fail: `scan` loads the detector, and the probe reports it."""
    message = tmp_path / "m.eml"
    message.write_bytes(b"From: a@dhs.gov\nTo: b@dhs.gov\nSubject: hi\n\nhello\n")
    found = loaded_heavy(["scan", str(message)], command_env, tmp_path)
    assert {"presidio_analyzer", "piigate.pipeline"} <= set(found)


SCAN_MUST_NOT_LOAD = (
    "pypdf",
    "pypdfium2",
    "openpyxl",
    "docx",
    "extract_msg",
    "bs4",
    "pyzipper",
    "msoffcrypto",
    "aiosmtplib",
    "aiosmtpd",
    "uvicorn",
    "starlette",
    "psycopg",
    "piigate.act.actor",
    "piigate.act.relay",
    "piigate.extract.pdf",
    "piigate.extract.mail",
    "piigate.extract.archives",
    "piigate.quarantine",
)


def test_scan_of_a_text_message_loads_no_reader_of_attachments(
    command_env: dict[str, str], tmp_path: Path
) -> None:
    """`scan` of a plain text message imports the reader of text only (readers are imported
    on first use), and neither the actor nor the SMTP client (`serve` alone needs them)."""
    message = tmp_path / "m.eml"
    message.write_bytes(b"From: a@dhs.gov\nTo: b@example.com\nSubject: hi\n\nhello\n")
    assert loaded_heavy(["scan", str(message)], command_env, tmp_path, SCAN_MUST_NOT_LOAD) == []


def test_scan_of_a_pdf_loads_its_reader(command_env: dict[str, str], tmp_path: Path) -> None:
    """The probe above can fail: a message with a PDF attached makes `scan` import the PDF
    reader on first use."""
    message = tmp_path / "m.eml"
    message.write_bytes(
        b"From: a@dhs.gov\nTo: b@example.com\nSubject: hi\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\n'
        b"hello\n--b\nContent-Type: application/pdf\nContent-Disposition: attachment; "
        b'filename="a.pdf"\n\n%PDF-1.4\n%%EOF\n--b--\n'
    )
    env = {**command_env, "PIIGATE_ISOLATION__ENABLED": "false"}
    assert "piigate.extract.pdf" in loaded_heavy(
        ["scan", str(message)], env, tmp_path, SCAN_MUST_NOT_LOAD
    )


NER_MODEL = (DetectionSettings().spacy_model or "",)


@pytest.mark.parametrize(
    ("body", "loads_model"),
    [("See you at noon for the budget review.", False), ("Zqxv Wplorrk\nDOB: 03/14/1975", True)],
    ids=["clean", "birth date"],
)
def test_scan_loads_the_ner_model_only_for_a_name_to_pair(
    body: str, loads_model: bool, command_env: dict[str, str], tmp_path: Path
) -> None:
    """`scan` of clean mail leaves the NER model on disk (it starts a second sooner); a birth
    date whose name only NER can find loads it (so the probe can tell)."""
    message = tmp_path / "m.eml"
    message.write_text(f"From: a@dhs.gov\nTo: b@example.com\nSubject: hi\n\n{body}\n")
    found = loaded_heavy(["scan", str(message)], command_env, tmp_path, NER_MODEL)
    assert found == (list(NER_MODEL) if loads_model else [])


def test_quarantine_state_choices_are_the_store_states() -> None:
    """`quarantine list --state` offers exactly the states the store knows (kept as plain
    strings so the command need not import the store to declare its options)."""
    assert tuple(s.value for s in State) == STATES


def test_tunable_recognizer_names_are_the_registry() -> None:
    """The config validates recognizer tuning against plain names; they are the registry's."""
    assert tuple(RECOGNIZERS) == RECOGNIZER_NAMES
