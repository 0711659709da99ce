"""Excel 2010's data validations (what Excel writes for a validation that refers to another
sheet): a .xlsx whose SSNs sit only in ``x14:dataValidation`` messages and formula, and a
.xlsb whose SSNs sit only in a BrtDVal14 record's messages and list, are each refused by
`piigate scan --json` with the place named."""

from __future__ import annotations

import json
import random
from pathlib import Path

from click.testing import CliRunner

from piigate.cli import main
from tests import office_formats, xlsb_writer
from tests.synthetic import message, ssn


def findings(tmp_path: Path, name: str, workbook: bytes) -> set[tuple[str, str]]:
    """`piigate scan --json` of a message with ``workbook`` attached: it rejects, and these
    are its findings' places and masked values."""
    path = tmp_path / "book.eml"
    path.write_bytes(message(attachments=((name, workbook, "application/octet-stream"),)))
    result = CliRunner().invoke(main, ["scan", "--json", str(path)])
    [line] = [json.loads(text) for text in result.stdout.splitlines()]
    assert result.exit_code == 3
    assert line["action"] == "reject"
    return {(f["where"], f["masked"]) for f in line["findings"]}


def test_xlsx_x14_validation_refused_with_place(tmp_path: Path) -> None:
    """SSNs in an x14 validation's prompt and error message and in a custom rule's literal
    are found, each at "data validation"."""
    rng = random.Random(81)
    prompt, error, item = ssn(rng), ssn(rng), ssn(rng)
    workbook = office_formats.excel_x14_validations(f"Employee SSN {prompt}", f"Not {error}", item)
    place = "attachment book.xlsx data validation"
    assert findings(tmp_path, "book.xlsx", workbook) == {
        (place, "***-**-" + value[-4:]) for value in (prompt, error, item)
    }


def test_xlsb_validation_14_refused_with_place(tmp_path: Path) -> None:
    """SSNs in a BrtDVal14's prompt and error message and in its list's items are found,
    each at "data validation"."""
    rng = random.Random(83)
    prompt, error, item = ssn(rng), ssn(rng), ssn(rng)
    dval = xlsb_writer.validation_14(
        ("Not allowed", f"Not {error}", "Who", f"Employee SSN {prompt}"),
        xlsb_writer.ptg_string(f"none,{item}"),
    )
    workbook = xlsb_writer.with_validations_14([dval])
    place = "attachment book.xlsb data validation"
    assert findings(tmp_path, "book.xlsb", workbook) == {
        (place, "***-**-" + value[-4:]) for value in (prompt, error, item)
    }
