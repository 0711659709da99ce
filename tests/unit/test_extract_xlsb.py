"""A binary workbook written by Excel with an Excel 4.0 macro sheet (oletools' test file, see
tests/fixtures/office/SOURCES.md), which python-calamine refuses: read from its records with
pyxlsb2, the macro sheet's cells, its code's string literals and its defined name each at
their place."""

from __future__ import annotations

from pathlib import Path

from piigate.extract import extract
from piigate.parse import parse_message
from tests import formats

FIXTURE = Path(__file__).parents[1] / "fixtures" / "office" / "excel4_macro.xlsb"


def test_excel_macro_sheet_workbook_calamine_refuses_is_read_from_its_records() -> None:
    """Excel's macro-sheet .xlsb is readable: the macro sheet is a table of its code, the
    ALERT text is a formula literal, the Auto_Open name is read; nothing is unscannable."""
    message = formats.email_with(
        "See attached.", [("m.xlsb", FIXTURE.read_bytes(), "application/octet-stream")]
    )
    extraction = extract(parse_message(message.as_bytes()))
    texts = {segment.where: segment.text for segment in extraction.segments}
    [segment] = [s for s in extraction.segments if s.where == "attachment m.xlsb"]
    tables = {table.name: table.rows for table in segment.tables}
    assert extraction.unscannable == ()
    assert tables["Macro1"][0][0].startswith('=ALERT("This is a sample Excel 4 macro")')
    assert texts["attachment m.xlsb formulas"] == "Macro1!A1: This is a sample Excel 4 macro"
    assert texts["attachment m.xlsb defined names"] == "Auto_Open: 'Macro1'!$A$1"
