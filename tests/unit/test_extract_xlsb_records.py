"""The .xlsb records pyxlsb2 does not parse (extract/xlsb_records.py): data validations,
headers and footers, and the formulas of shared and array formula cells. No free program
writes them, so tests/xlsb_writer.py adds them, following [MS-XLSB], to a workbook SheetJS
wrote (tests/fixtures/office/plain.xlsb); LibreOffice reads the result as the same
validation, header, footer and formulas (README "Tests")."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest

from piigate.config import ExtractionSettings
from piigate.extract import extract
from piigate.extract.content import Blob
from piigate.extract.limits import Budget
from piigate.extract.ooxml import open_package
from piigate.extract.xlsb import binary_places
from piigate.extract.xlsb_records import HeaderFooterRecord, master_row
from piigate.model import Extraction
from piigate.parse import parse_message
from tests import formats, office_formats, xlsb_writer
from tests.synthetic import ssn


def hidden(seed: int) -> xlsb_writer.Hidden:
    rng = random.Random(seed)
    return xlsb_writer.Hidden(
        prompt=f"Employee SSN {ssn(rng)}",
        item=ssn(rng),
        header=f'&L&"Arial,Bold"SSN {ssn(rng)}&RPage &P of &N',
        first_footer=f"SSN {ssn(rng)}",
        shared=f"SSN {ssn(rng)}",
        array=f"SSN {ssn(rng)}",
        joined=f"SSN {ssn(rng)}",
    )


def extracted(workbook: bytes, name: str = "book.xlsb") -> Extraction:
    message = formats.email_with("See attached.", [(name, workbook, "application/octet-stream")])
    return extract(parse_message(message.as_bytes()))


def test_validation_headers_footers_and_shared_and_array_formulas_read_at_their_places() -> None:
    """A list validation's prompt and items, a sheet's odd header and first-page footer (page
    codes dropped), and the literals of a shared formula (once, at its first cell), of an
    array formula and of a formula joining two literals (joined), whose cells have no cached
    value, are each read under their .xlsx place."""
    places = hidden(61)
    extraction = extracted(xlsb_writer.with_hidden_places(places))
    texts = {segment.where: segment.text for segment in extraction.segments}
    assert extraction.unscannable == ()
    assert texts["attachment book.xlsb data validation"].splitlines() == [
        "Who",
        places.prompt,
        "Not allowed",
        f"none,{places.item}",
    ]
    header, footer = texts["attachment book.xlsb headers and footers"].splitlines()
    assert header.split() == ["SSN", places.header.split("SSN ")[1][:11], "Page", "of"]
    assert footer == places.first_footer
    assert texts["attachment book.xlsb formulas"].splitlines() == [
        f"Data!A3: {places.shared}",
        f"Data!A5: {places.array}",
        f"Data!A6: {places.joined}",
    ]


def test_sheets_read_from_records_show_shared_and_array_formulas_as_their_code() -> None:
    """When calamine refuses a workbook every sheet is read from its records (read=set()):
    a shared or array formula's cells show the formula they point to, not pyxlsb2's
    ``#PTG1!``; on a macro sheet the formulas' literals are read once per formula."""
    places = hidden(65)
    workbook = xlsb_writer.as_macro_sheet(xlsb_writer.with_hidden_places(places), 1)
    blob = Blob("book.xlsb", workbook)
    budget = Budget(ExtractionSettings())
    tables, passages = binary_places(open_package(blob, budget), blob, budget, set())
    [data] = [table for table in tables if table.name == "Data"]
    shared, array = f'="{places.shared}"&', f'="{places.array}"'
    assert [row[0][: len(shared)] for row in data.rows[2:4]] == [shared, shared]
    assert data.rows[4][0] == array
    [formulas] = [p.text for p in passages if p.place == "formulas"]
    assert formulas.splitlines() == [
        f"Data!A3: {places.shared}",
        f"Data!A5: {places.array}",
        f"Data!A6: {places.joined}",
    ]


def test_libreoffice_reads_the_written_records_as_the_same_places(tmp_path: Path) -> None:
    """The test-side writer follows [MS-XLSB] as another reader reads it: LibreOffice
    (headless) converts the workbook to .xlsx with the same validation, header, footer and
    formulas (their values computed), which the .xlsx reader finds at the same places (the
    list's items inside ``mc:AlternateContent``, where LibreOffice writes them)."""
    soffice = office_formats.libreoffice()
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed: `make libreoffice` installs it")
    places = hidden(64)
    source = tmp_path / "book.xlsb"
    source.write_bytes(xlsb_writer.with_hidden_places(places))
    subprocess.run(
        [soffice, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
         "--convert-to", "xlsx", "--outdir", str(tmp_path / "out"), str(source)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    extraction = extracted((tmp_path / "out" / "book.xlsx").read_bytes(), "book.xlsx")
    texts = {segment.where: segment.text for segment in extraction.segments}
    [segment] = [s for s in extraction.segments if s.where == "attachment book.xlsx"]
    [data] = [table for table in segment.tables if table.name == "Data"]
    assert [places.prompt, places.item] == [
        value for value in (places.prompt, places.item)
        if value in texts["attachment book.xlsx data validation"]
    ]  # fmt: skip
    assert places.first_footer in texts["attachment book.xlsx headers and footers"]
    values = [places.shared, places.shared, places.array, places.joined]
    assert [row[0] for row in data.rows[2:]] == values


def test_cut_validation_record_makes_the_workbook_unscannable() -> None:
    """A BrtDVal shorter than its layout is a blocking defect, never an empty validation."""
    extraction = extracted(xlsb_writer.with_hidden_places(hidden(62), cut=3))
    [defect] = extraction.unscannable
    assert defect.where == "attachment book.xlsb"
    assert defect.blocking
    assert "binary workbook records unreadable" in defect.reason


def test_cell_pointing_to_a_missing_shared_formula_makes_the_workbook_unscannable() -> None:
    """A cell whose formula points to a shared formula the sheet does not hold is a blocking
    defect: its literals cannot be read."""

    def without_shared_formula(data: bytes) -> bytes:
        kept = xlsb_writer.records(data)
        return b"".join(
            xlsb_writer.record(kind, payload)
            for kind, payload in kept
            if kind != xlsb_writer.SHARED_FORMULA
        )

    workbook = office_formats.rewrite(
        xlsb_writer.with_hidden_places(hidden(63)), {xlsb_writer.SHEET: without_shared_formula}
    )
    [defect] = extracted(workbook).unscannable
    assert "binary workbook records unreadable" in defect.reason


def test_header_footer_record_reads_null_strings_as_empty() -> None:
    """The NULL string (length 0xFFFFFFFF) is an absent header, not a read past the record."""
    texts = ("odd", None, None, "even footer", None, None)
    payload = b"\x00\x00" + b"".join(xlsb_writer.wide(text) for text in texts)
    record = HeaderFooterRecord.read(xlsb_writer.Payload(payload), 0x01DF, len(payload))
    assert record.texts == ("odd", "", "", "even footer", "", "")


@pytest.mark.parametrize(
    ("tokens", "row"),
    [(b"\x17\x01\x00a\x00", None), (b"\x01\x07\x00\x00\x00", 7), (b"", None)],
)
def test_master_row_is_the_row_a_ptgexp_names(tokens: bytes, row: int | None) -> None:
    """A PtgExp names the row of its formula's cell; any other formula has none."""
    assert master_row(tokens) == row


def test_short_ptgexp_is_malformed() -> None:
    """A PtgExp without its row raises, so the workbook is unscannable."""
    with pytest.raises(ValueError, match="shorter"):
        master_row(b"\x01\x07")
