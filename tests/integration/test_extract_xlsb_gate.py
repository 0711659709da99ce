"""The places of a binary workbook (.xlsb) beyond its cells, read with pyxlsb2: a cell comment,
a defined name and an Excel 4.0 macro sheet, each holding a synthetic SSN in a workbook written
by SheetJS (tests/fixtures/office/make_xlsb_parts.js); and a data validation, headers and
footers and shared and array formulas (records tests/xlsb_writer.py adds); each refused by
`piigate scan --json` with the place named."""

from __future__ import annotations

import json
import random
from pathlib import Path

from click.testing import CliRunner

from piigate.cli import main
from tests import xlsb_writer
from tests.synthetic import message, ssn

FIXTURE = Path(__file__).parents[1] / "fixtures" / "office" / "parts.xlsb"


def test_xlsb_comment_name_and_macro_sheet_refused_with_places(tmp_path: Path) -> None:
    """`piigate scan --json` refuses a .xlsb whose SSNs sit only in a cell comment, a defined
    name and an Excel 4.0 macro sheet, and names each place."""
    rng = random.Random(41)
    comment, name, macro = ssn(rng), ssn(rng), ssn(rng)
    workbook = xlsb_writer.as_macro_sheet(FIXTURE.read_bytes(), 2)
    path = tmp_path / "book.eml"
    path.write_bytes(message(attachments=(("book.xlsb", workbook, "application/octet-stream"),)))
    result = CliRunner().invoke(main, ["scan", "--json", str(path)])
    [line] = [json.loads(text) for text in result.stdout.splitlines()]
    assert result.exit_code == 3
    assert line["action"] == "reject"
    assert {(f["where"], f["masked"]) for f in line["findings"]} == {
        ("attachment book.xlsb comments", "***-**-" + comment[-4:]),
        ("attachment book.xlsb defined names", "***-**-" + name[-4:]),
        ("attachment book.xlsb sheet Macro1", "***-**-" + macro[-4:]),
    }


def test_xlsb_validation_headers_and_shared_formula_refused_with_places(tmp_path: Path) -> None:
    """`piigate scan --json` refuses a .xlsb whose SSNs sit only in a data validation's prompt
    and list, a header and a first-page footer, and the literals of a shared, an array and a
    plain formula saved without values
    (records no free program writes: tests/xlsb_writer.py adds them to a SheetJS workbook),
    and names each place as for .xlsx."""
    rng = random.Random(47)
    prompt, item, header, footer, shared, array, joined = (ssn(rng) for _ in range(7))
    hidden = xlsb_writer.Hidden(
        prompt=f"Employee SSN {prompt}",
        item=item,
        header=f"&LSSN {header}&RPage &P",
        first_footer=f"SSN {footer}",
        shared=f"SSN {shared}",
        array=f"SSN {array}",
        joined=f"SSN {joined}",
    )
    path = tmp_path / "book.eml"
    workbook = xlsb_writer.with_hidden_places(hidden)
    path.write_bytes(message(attachments=(("book.xlsb", workbook, "application/octet-stream"),)))
    result = CliRunner().invoke(main, ["scan", "--json", str(path)])
    [line] = [json.loads(text) for text in result.stdout.splitlines()]
    assert result.exit_code == 3
    assert line["action"] == "reject"
    place = "attachment book.xlsb "
    assert sorted((f["where"], f["masked"]) for f in line["findings"]) == sorted(
        [
            (place + "data validation", "***-**-" + prompt[-4:]),
            (place + "data validation", "***-**-" + item[-4:]),
            (place + "headers and footers", "***-**-" + header[-4:]),
            (place + "headers and footers", "***-**-" + footer[-4:]),
            (place + "formulas", "***-**-" + shared[-4:]),
            (place + "formulas", "***-**-" + array[-4:]),
            (place + "formulas", "***-**-" + joined[-4:]),
        ]
    )
