"""Excel 2010's data validations, which Excel writes for a validation whose list or formula
refers to another sheet: in a .xlsx as ``x14:dataValidation`` in the sheet's ``extLst``
(tests/office_formats.py adds them to an openpyxl workbook with lxml), in a .xlsb as BrtDVal14
records inside a BrtFRTBegin/BrtFRTEnd block (tests/xlsb_writer.py writes them following
[MS-XLSB] 2.4.354 and 2.5.61). Their messages and formulas are read as the plain ones are."""

from __future__ import annotations

import random
import struct
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from piigate.extract import extract
from piigate.extract.xlsb_records import VALIDATION_14, ValidationRecord
from piigate.model import Extraction
from piigate.parse import parse_message
from tests import formats, office_formats, xlsb_writer
from tests.synthetic import ssn

_ODF_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"


def extracted(workbook: bytes, name: str) -> Extraction:
    message = formats.email_with("See attached.", [(name, workbook, "application/octet-stream")])
    return extract(parse_message(message.as_bytes()))


def three(seed: int) -> tuple[str, str, str]:
    rng = random.Random(seed)
    return ssn(rng), ssn(rng), ssn(rng)


def test_xlsx_x14_validations_messages_and_formula_literals_read() -> None:
    """An ``x14:dataValidation``'s prompt title and text, error title and text, and its
    ``xm:f`` formula (a list from another sheet as its reference, a custom rule's string
    literal as the literal) are read under "data validation", as a plain validation's are."""
    prompt, error, item = three(71)
    workbook = office_formats.excel_x14_validations(f"Employee SSN {prompt}", f"Not {error}", item)
    extraction = extracted(workbook, "book.xlsx")
    texts = {segment.where: segment.text for segment in extraction.segments}
    assert extraction.unscannable == ()
    assert texts["attachment book.xlsx data validation"].splitlines() == [
        "Colour",
        f"Employee SSN {prompt}",
        "Not a colour",
        f"Not {error}",
        "Lists!$A$1:$A$3",
        item,
    ]


def test_libreoffice_reads_the_x14_validations_as_validations(tmp_path: Path) -> None:
    """The fixture is what a mainstream reader takes for Excel's validations: LibreOffice
    (headless) converts it to OpenDocument with both validations on sheet Main, the list's
    prompt and error messages and the custom rule's literal kept."""
    soffice = office_formats.libreoffice()
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed: `make libreoffice` installs it")
    prompt, error, item = three(72)
    source = tmp_path / "book.xlsx"
    source.write_bytes(
        office_formats.excel_x14_validations(f"Employee SSN {prompt}", f"Not {error}", item)
    )
    subprocess.run(
        [soffice, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
         "--convert-to", "ods", "--outdir", str(tmp_path / "out"), str(source)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    with zipfile.ZipFile(tmp_path / "out" / "book.ods") as package:
        content = etree.fromstring(package.read("content.xml"))
    rules = content.findall(f".//{{{_ODF_TABLE}}}content-validation")
    assert len(rules) == 2
    text = " ".join(" ".join(rule.itertext()) for rule in rules)
    conditions = " ".join(rule.get(f"{{{_ODF_TABLE}}}condition", "") for rule in rules)
    assert f"Employee SSN {prompt}" in text
    assert f"Not {error}" in text
    assert item in conditions
    assert "Lists" in conditions
    tables = content.iter(f"{{{_ODF_TABLE}}}table")
    [main] = [table for table in tables if table.get(f"{{{_ODF_TABLE}}}name") == "Main"]
    used = {cell.get(f"{{{_ODF_TABLE}}}content-validation-name") for cell in main.iter()}
    assert {"val1", "val2"} <= used


def test_xlsb_validation_14_messages_and_formulas_read() -> None:
    """BrtDVal14 records (one list of literal items, one list from the second sheet, as Excel
    writes it: a PtgArea3d) are read like BrtDVal: messages, then the list's items, or the
    formula's text when it holds no literal."""
    prompt, error, item = three(73)
    workbook = xlsb_writer.with_validations_14(
        [
            xlsb_writer.validation_14(
                ("Not allowed", f"Not {error}", "Who", f"Employee SSN {prompt}"),
                xlsb_writer.ptg_string(f"none,{item}"),
            ),
            xlsb_writer.validation_14(
                (None, None, "Colour", None), xlsb_writer.area_3d(3, 0, 2, 0)
            ),
        ]
    )
    extraction = extracted(workbook, "book.xlsb")
    texts = {segment.where: segment.text for segment in extraction.segments}
    assert extraction.unscannable == ()
    assert texts["attachment book.xlsb data validation"].splitlines() == [
        "Who",
        f"Employee SSN {prompt}",
        "Not allowed",
        f"Not {error}",
        f"none,{item}",
        "Colour",
        "'Sums'!$A$1:$A$3",
    ]


def test_cut_validation_14_record_makes_the_workbook_unscannable() -> None:
    """A BrtDVal14 shorter than its layout is a blocking defect, never an empty validation."""
    prompt, error, item = three(74)
    dval = xlsb_writer.validation_14(("t", error, "p", prompt), xlsb_writer.ptg_string(item))
    kind, payload = next(xlsb_writer.records(dval))
    workbook = xlsb_writer.with_validations_14([xlsb_writer.record(kind, payload[:-3])])
    [defect] = extracted(workbook, "book.xlsb").unscannable
    assert defect.where == "attachment book.xlsb"
    assert defect.blocking
    assert "binary workbook records unreadable" in defect.reason


def test_validation_14_header_read_past_every_array_it_names() -> None:
    """An FRTHeader with all four flags (FRTRefs, FRTSqrefs, FRTFormulas, a RelID) is read
    array by array in that order, so the formulas (the second's ancillary bytes skipped)
    and the messages after it are the record's own."""
    refs = struct.pack("<I", 1) + struct.pack("<I", 0) + xlsb_writer.area(0, 0, 0, 0)
    sqrefs = struct.pack("<II", 1, 2) + struct.pack("<I", 2) + xlsb_writer.area(1, 1, 0, 0) * 2
    first, second = xlsb_writer.ptg_string("low"), xlsb_writer.ptg_string("high")
    formulas = struct.pack("<I", 2) + struct.pack("<III", 2, len(first), 0) + first
    formulas += struct.pack("<III", 2, len(second), 2) + second + b"\x00\x00"
    header = struct.pack("<I", 0xF) + refs + sqrefs + formulas + xlsb_writer.wide("rId1")
    messages = b"".join(xlsb_writer.wide(text) for text in ("et", "e", "pt", None))
    payload = header + struct.pack("<I", 6 | (1 << 24) | (1 << 25)) + messages
    record = ValidationRecord.read(xlsb_writer.Payload(payload), VALIDATION_14, len(payload))
    assert record.formulas == (first, second)
    assert record.messages == ("pt", "", "et", "e")


def test_reference_pyxlsb2_cannot_name_makes_the_workbook_unscannable_silently(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A validation list from a range pyxlsb2 gives no text for (XTI 0 of plain.xlsb's
    BrtExternSheet is no single sheet of this workbook) is a blocking defect, never a
    validation read without it; pyxlsb2's own line about it does not reach standard output,
    where ``scan --json`` prints."""
    workbook = xlsb_writer.with_validations_14(
        [xlsb_writer.validation_14((None, None, "Colour", None), xlsb_writer.area_3d(0, 0, 2, 0))]
    )
    extraction = extracted(workbook, "book.xlsb")
    assert [defect.reason for defect in extraction.unscannable] == [
        "binary workbook records unreadable (ValueError)"
    ]
    assert "Not Supported" not in capsys.readouterr().out
