"""Hidden places through the real entry points: ``piigate scan --json`` over files whose SSN
sits in a form field, an attached file, an RTF object or mail inside mail, and a filled PDF
form through the running gate and a real upstream sink."""

from __future__ import annotations

import json
import random
from pathlib import Path

from click.testing import CliRunner

from piigate.cli import main
from tests import embedded_formats, formats
from tests.conftest import RunningGate, Sink, send
from tests.synthetic import message, ssn


def _hidden_places(values: list[str]) -> dict[str, tuple[str, bytes, str, str]]:
    """File stem → (attachment name, bytes, MIME type, the place its SSN is reported at)."""
    workbook = formats.xlsx({"People": [("Name", "SSN"), ("Doe", values[1])]})
    inner = ("Inner", "see list", {"list.csv": f"SSN\n{values[3]}\n".encode()})
    rtf = embedded_formats.rtf_compressing_to_a_final_nul(f"Record {values[4]}", True)
    return {
        "form": (
            "form.pdf",
            embedded_formats.pdf_form({"ssn": values[0]}, appearance=False),
            "application/pdf",
            "attachment form.pdf form fields",
        ),
        "pdf-file": (
            "case.pdf",
            embedded_formats.pdf_with_files({"data.xlsx": workbook}, {}),
            "application/pdf",
            "attachment case.pdf/data.xlsx sheet People",
        ),
        "rtf": (
            "letter.rtf",
            embedded_formats.rtf_with_package("See list.", "ids.txt", f"id {values[2]}".encode()),
            "application/rtf",
            "attachment letter.rtf/ids.txt",
        ),
        "msg": (
            "fwd.msg",
            embedded_formats.outlook_msg_in_msg("Fwd", "forwarded", inner),
            "application/vnd.ms-outlook",
            "attachment fwd.msg/Inner.msg/list.csv",
        ),
        "tnef": (
            "winmail.dat",
            embedded_formats.tnef_with("", {}, rtf=rtf),
            "application/ms-tnef",
            "attachment winmail.dat",
        ),
    }


def test_scan_json_refuses_each_hidden_place_and_names_it(tmp_path: Path) -> None:
    """Each file (one hidden SSN) is refused for an external recipient, its one finding
    reported at the hidden place, and no SSN appears in the output."""
    rng = random.Random(1515)
    values = [ssn(rng) for _ in range(5)]
    cases = _hidden_places(values)
    paths = []
    for stem, (name, data, mime, _) in cases.items():
        path = tmp_path / f"{stem}.eml"
        path.write_bytes(message(body="Attached.\n", attachments=((name, data, mime),)))
        paths.append(str(path))
    result = CliRunner().invoke(main, ["scan", "--json", *paths])
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.exit_code == 3, result.stderr
    for line, value, (_, _, _, where) in zip(lines, values, cases.values(), strict=True):
        assert line["action"] == "reject" and line["external"] is True
        assert [(f["where"], f["masked"]) for f in line["findings"]] == [
            (where, f"***-**-{value[-4:]}")
        ]
    assert not [value for value in values if value in result.stdout]


async def test_filled_pdf_form_is_refused_over_smtp(gate: RunningGate, sink: Sink) -> None:
    """A PDF form whose SSN is only in a filled-in field is refused with 550 naming the form
    fields, nothing reaches the upstream, and the reply shows no SSN."""
    value = ssn(random.Random(1516))
    form = embedded_formats.pdf_form({"applicant_ssn": value, "name": "Doe"})
    raw = message(
        body="The completed form is attached.\n",
        attachments=(("application.pdf", form, "application/pdf"),),
    )
    code, reply = await send(gate.address, raw)
    assert code == 550, reply
    assert "application.pdf form fields" in reply
    assert sink.messages == []
    assert value not in reply
