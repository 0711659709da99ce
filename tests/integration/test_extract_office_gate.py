"""Office documents with SSNs in their hidden places, through `piigate scan --json` and the
running gate: refused for an outside recipient, each place named, no SSN in any reply."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from piigate.cli import main
from tests.conftest import RunningGate, Sink, send
from tests.office_fixtures import LibreOfficeDocuments
from tests.office_formats import WORD_PLACES
from tests.synthetic import message


def test_scan_json_names_every_hidden_place(
    libreoffice_documents: LibreOfficeDocuments, tmp_path: Path
) -> None:
    """`piigate scan --json` over a message carrying the LibreOffice-built .docx, .docm, .dotx
    and .odt: rejected, and every header, footer, footnote, comment, text box, tracked deletion
    and property SSN is a finding at its place, masked."""
    values, documents = libreoffice_documents
    files = [(f"case.{ext}", documents[ext]) for ext in ("docx", "docm", "dotx", "odt")]
    raw = message(attachments=tuple((n, d, "application/octet-stream") for n, d in files))
    path = tmp_path / "office.eml"
    path.write_bytes(raw)
    result = CliRunner().invoke(main, ["scan", "--json", str(path)])
    [line] = [json.loads(text) for text in result.stdout.splitlines()]
    assert result.exit_code == 3
    assert line["action"] == "reject" and line["external"] is True
    found = {(f["where"], f["masked"]) for f in line["findings"]}
    for name, _ in files:
        for place, value in values.items():
            where = f"attachment {name}" + ("" if place == "body" else f" {place}")
            assert (where, "***-**-" + value[-4:]) in found
    assert not [value for value in values.values() if value in result.stdout]


async def test_gate_refuses_with_the_hidden_place_named(
    gate: RunningGate, sink: Sink, libreoffice_documents: LibreOfficeDocuments
) -> None:
    """Through SMTP, the LibreOffice-built .odt to an outside agency is refused with 550, the
    reply names the hidden places it has room for and shows no SSN; nothing goes upstream."""
    values, documents = libreoffice_documents
    raw = message(attachments=(("case.odt", documents["odt"], "application/octet-stream"),))
    code, reply = await send(gate.address, raw)
    assert code == 550, reply
    assert "unencrypted-sensitive-pii" in reply
    named = [place for place in WORD_PLACES if f"attachment case.odt {place}:" in reply]
    assert len(named) >= 3, reply
    assert sink.messages == []
    assert not [value for value in values.values() if value in reply]
