"""Objects embedded in RTF documents are read as members of the document."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from piigate.detect import Detector
from tests import embedded_formats, formats
from tests.synthetic import ssn
from tests.unit.test_extract_formats import attach, masked, places, scan


@pytest.fixture
def ssns() -> list[str]:
    rng = random.Random(152)
    return [ssn(rng) for _ in range(4)]


def test_file_in_an_ole_package_object(detector: Detector, ssns: list[str]) -> None:
    """A CSV dropped into an RTF letter (an OLE Package object) is read as
    ``letter.rtf/people.csv``, by column."""
    listing = f"Name,SSN\nDoe,{ssns[0]}\n".encode()
    data = embedded_formats.rtf_with_package("Please see the list.", "people.csv", listing)
    extraction, findings = scan(detector, attach("letter.rtf", data, "application/rtf"))
    assert extraction.unscannable == ()
    assert places(findings) == {("attachment letter.rtf/people.csv", 2, "SSN", masked(ssns[0]))}
    assert [a.name for a in extraction.attachments] == ["letter.rtf", "letter.rtf/people.csv"]


def test_embedded_workbook_object(detector: Detector, ssns: list[str]) -> None:
    """An Excel 97-2003 workbook embedded as an ``Excel.Sheet.8`` object is read sheet by
    sheet as a member of the RTF document."""
    workbook = formats.xls({"Staff": [("Name", "SSN"), ("Roe", ssns[1])]})
    data = embedded_formats.rtf_with_object("Quarterly figures.", "Excel.Sheet.8", workbook)
    extraction, findings = scan(detector, attach("memo.rtf", data, "application/rtf"))
    assert extraction.unscannable == ()
    assert places(findings) == {
        ("attachment memo.rtf/object-1-Excel.Sheet.8 sheet Staff", 2, "SSN", masked(ssns[1]))
    }


def test_objdata_that_is_not_ole1_is_a_blocking_defect(detector: Detector) -> None:
    """``\\objdata`` holding hex that is not OLE1 data makes the RTF unscannable, naming it,
    rather than being skipped as if there were nothing to read."""
    data = b"{\\rtf1\\ansi Text{\\object\\objemb{\\*\\objdata 0badc0ffee0badc0ffee}}}"
    extraction, _ = scan(detector, attach("odd.rtf", data, "application/rtf"))
    assert [d.where for d in extraction.defects if d.blocking] == ["attachment odd.rtf"]


def test_libreoffice_rtf_header_footer_and_comment(
    detector: Detector, ssns: list[str], tmp_path: Path
) -> None:
    """An RTF written by LibreOffice from a Word document: the SSNs in its header, footer
    and comment (destinations striprtf skips) are read with the body's."""
    document = formats.docx(
        [f"Body {ssns[0]}"], header=f"Head {ssns[1]}", footer=f"Foot {ssns[2]}",
        comment=f"Note {ssns[3]}",
    )  # fmt: skip
    data = embedded_formats.libreoffice_rtf(document, tmp_path)
    if data is None:
        pytest.skip("LibreOffice (soffice) is not installed: make test installs it on CI")
    extraction, findings = scan(detector, attach("case.rtf", data, "application/rtf"))
    assert extraction.unscannable == ()
    assert {(f.where, f.masked) for f in findings} == {
        ("attachment case.rtf", masked(value)) for value in ssns
    }


def test_rtf_footnote_text_box_and_document_title(detector: Detector, ssns: list[str]) -> None:
    """A footnote, a shape's text box and the document title (Word's control words for each)
    are read as the RTF's text."""
    data = (
        "{\\rtf1\\ansi{\\info{\\title File " + ssns[0] + "}}Body text\\chftn"
        "{\\footnote \\pard\\plain See " + ssns[1] + "}\\par "
        "{\\shp{\\*\\shpinst{\\sp{\\sn wzName}{\\sv Box}}{\\shptxt Box " + ssns[2] + "}}}\\par}"
    ).encode()
    extraction, findings = scan(detector, attach("note.rtf", data, "application/rtf"))
    assert extraction.unscannable == ()
    assert {f.masked for f in findings} == {masked(value) for value in ssns[:3]}
