"""Every place inside Office and OpenDocument files: documents written by LibreOffice (headless),
python-docx, openpyxl and python-pptx (lxml for the parts they cannot write), each with a
synthetic SSN in one place, found by the real Detector and reported at that place."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from piigate.config import DetectionSettings
from piigate.detect import Detector
from piigate.extract import extract
from piigate.model import Extraction, Grade
from piigate.parse import parse_message
from tests import formats, office_formats
from tests.office_fixtures import LibreOfficeDocuments
from tests.synthetic import ssn


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(DetectionSettings(spacy_model=None))


def values_for(places: tuple[str, ...], seed: int) -> dict[str, str]:
    rng = random.Random(seed)
    return {place: ssn(rng) for place in places}


def masked(value: str) -> str:
    return "***-**-" + value[-4:]


def scan(detector: Detector, name: str, data: bytes) -> tuple[Extraction, dict[str, set[str]]]:
    """Extraction of a message with ``data`` attached as ``name``, and masked SSNs by place."""
    message = formats.email_with("See attached.", [(name, data, "application/octet-stream")])
    extraction = extract(parse_message(message.as_bytes()))
    found: dict[str, set[str]] = {}
    for finding in detector.detect(extraction.segments).findings:
        found.setdefault(finding.where, set()).add(finding.masked)
    return extraction, found


@pytest.mark.parametrize("extension", ["docx", "docm", "dotx", "odt"])
def test_libreoffice_documents_every_place_named(
    detector: Detector,
    libreoffice_documents: LibreOfficeDocuments,
    extension: str,
) -> None:
    """A document LibreOffice wrote, as Word (and macro-enabled, template) and OpenDocument:
    the SSN in each header, footer, footnote, comment, text box, tracked deletion and the
    properties is found at that place (a text box once, not again from its VML fallback); the
    tracked insertion is body text."""
    values, documents = libreoffice_documents
    name = f"case.{extension}"
    extraction, found = scan(detector, name, documents[extension])
    assert extraction.unscannable == ()
    expected = {f"attachment {name} {place}": {masked(values[place])} for place in values}
    expected[f"attachment {name}"] = expected.pop(f"attachment {name} body")
    assert found == expected
    [boxes] = [s.text for s in extraction.segments if s.where.endswith(" text boxes")]
    assert boxes.count(values["text boxes"]) == 1  # DrawingML and its VML fallback: read once


def test_libreoffice_rtf_body(
    detector: Detector, libreoffice_documents: LibreOfficeDocuments
) -> None:
    """The same document as RTF: its body (with the tracked insertion) is read; RTF's other
    places are read by extract/markup.py, and README "Extraction" lists which are not."""
    values, documents = libreoffice_documents
    extraction, found = scan(detector, "case.rtf", documents["rtf"])
    assert extraction.unscannable == ()
    assert masked(values["body"]) in found["attachment case.rtf"]


def test_excel_every_place_named(detector: Detector) -> None:
    """A very hidden sheet, an Excel 4.0 macro sheet, a cell comment, a footer, a formula saved
    without its value, a validation list, a defined name and a chart title are each read and
    reported at their place."""
    values = values_for(office_formats.EXCEL_PLACES, 16)
    extraction, found = scan(detector, "book.xlsx", office_formats.excel_everywhere(values))
    assert extraction.unscannable == ()
    sheets = {"very hidden sheet": "sheet Vault", "macro sheet": "sheet Macro1"}
    expected = {
        f"attachment book.xlsx {sheets.get(place, place)}": {masked(value)}
        for place, value in values.items()
    }
    assert found == expected


def test_powerpoint_every_place_named(detector: Detector) -> None:
    """A grouped text box, a table, speaker notes, a chart category, a slide comment and a
    slide layout's own text are each read; the chart's embedded workbook is read as a member."""
    values = values_for(office_formats.POWERPOINT_PLACES, 17)
    extraction, found = scan(detector, "deck.pptx", office_formats.powerpoint_everywhere(values))
    assert extraction.unscannable == ()
    assert found["attachment deck.pptx"] == {masked(values["group"])}
    assert found["attachment deck.pptx sheet slide 1"] == {masked(values["table"])}
    for place in ("notes", "charts", "comments", "slide masters and layouts"):
        assert found[f"attachment deck.pptx {place}"] == {masked(values[place])}
    assert [a.name for a in extraction.attachments] == [
        "deck.pptx",
        "deck.pptx/ppt/embeddings/Microsoft_Excel_Sheet1.xlsx",
    ]


def _variant_source(extension: str, value: str) -> bytes:
    if extension.startswith("d"):
        return formats.docx([f"Case {value}"])
    if extension.startswith("x"):
        return formats.xlsx({"People": [("Name", "SSN"), ("Doe", value)]})
    return formats.pptx(f"Case {value}")


@pytest.mark.parametrize("extension", sorted(office_formats.VARIANTS))
def test_every_ooxml_variant_is_read_by_its_content_type(
    detector: Detector, extension: str
) -> None:
    """Macro-enabled, template and slide-show packages (refused as unreadable before) are
    read by the content type of their main part."""
    value = values_for(("x",), 18)["x"]
    data = office_formats.as_variant(_variant_source(extension, value), extension)
    extraction, found = scan(detector, f"file.{extension}", data)
    assert extraction.unscannable == ()
    assert {m for masks in found.values() for m in masks} == {masked(value)}


def test_embedded_workbook_and_ole_package_are_members(detector: Detector) -> None:
    """A workbook embedded in a Word document and a file packaged in an OLE object
    (Ole10Native) are read as members of the document, named by their path."""
    values = values_for(("workbook", "package"), 19)
    workbook = formats.xlsx({"S": [("Name", "SSN"), ("Doe", values["workbook"])]})
    package = office_formats.ole_package("list.csv", f"SSN\n{values['package']}\n".encode())
    data = office_formats.word_with_embeddings(
        "See the objects.",
        [("Microsoft_Excel_Worksheet.xlsx", workbook), ("oleObject1.bin", package)],
    )
    extraction, found = scan(detector, "memo.docx", data)
    assert extraction.unscannable == ()
    embedded = "attachment memo.docx/word/embeddings"
    assert found == {
        f"{embedded}/Microsoft_Excel_Worksheet.xlsx sheet S": {masked(values["workbook"])},
        f"{embedded}/oleObject1.bin/list.csv": {masked(values["package"])},
    }


def test_default_password_velvetsweatshop_is_plain(detector: Detector) -> None:
    """A workbook encrypted with Excel's default password opens without a prompt: it is
    opened, graded plaintext and screened."""
    value = values_for(("x",), 20)["x"]
    plain = formats.xlsx({"People": [("Name", "SSN"), ("Doe", value)]})
    data = formats.encrypted_office(plain, "VelvetSweatshop")
    extraction, found = scan(detector, "locked.xlsx", data)
    assert [(a.grade, a.inspected) for a in extraction.attachments] == [(Grade.PLAINTEXT, True)]
    assert found == {"attachment locked.xlsx sheet People": {masked(value)}}


def test_containers_archivers_open(detector: Detector) -> None:
    """A zip member with an empty name, a V7 tar and an .xls whose workbook stream is named
    in capitals are read, as common archivers and Excel read them."""
    values = values_for(("zip", "tar", "xls"), 21)
    message = formats.email_with(
        "x",
        [
            ("a.zip", formats.zip_with_unnamed_member(f"SSN {values['zip']}".encode()),
             "application/zip"),
            ("b.tar", formats.v7_tar("list.txt", f"SSN {values['tar']}".encode()),
             "application/x-tar"),
            ("c.xls", formats.xls_with_stream_case({"A": [("SSN",), (values["xls"],)]}),
             "application/vnd.ms-excel"),
        ],
    )  # fmt: skip
    extraction = extract(parse_message(message.as_bytes()))
    found = {(f.where, f.masked) for f in detector.detect(extraction.segments).findings}
    assert extraction.unscannable == ()
    assert found == {
        ("attachment a.zip/(unnamed member)", masked(values["zip"])),
        ("attachment b.tar/list.txt", masked(values["tar"])),
        ("attachment c.xls sheet A", masked(values["xls"])),
    }


def test_opendocument_with_external_dtd_and_no_thumbnails(
    detector: Detector, tmp_path: Path
) -> None:
    """An .odt whose embedded formula names an external DTD (math.dtd, never fetched) and
    whose manifest lists a Thumbnails/ member the package lacks is read."""
    value = values_for(("x",), 22)["x"]
    odt = formats.odt([f"SSN {value}"])
    formula = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE math:math PUBLIC "-//OpenOffice.org'
        b'//DTD Modified W3C MathML 1.01//EN" "math.dtd">\n<math:math xmlns:math='
        b'"http://www.w3.org/1998/Math/MathML"><math:semantics><math:mi>x</math:mi>'
        b"</math:semantics></math:math>"
    )

    def list_missing(manifest: bytes) -> bytes:
        entry = (
            b'<manifest:file-entry manifest:full-path="Thumbnails/thumbnail.png" '
            b'manifest:media-type="image/png"/>'
        )
        return manifest.replace(b"</manifest:manifest>", entry + b"</manifest:manifest>")

    data = office_formats.rewrite(
        odt, {"META-INF/manifest.xml": list_missing}, {"Object 1/content.xml": formula}
    )
    extraction, found = scan(detector, "f.odt", data)
    assert extraction.unscannable == ()
    assert found == {"attachment f.odt": {masked(value)}}


def test_binary_workbook_every_sheet(detector: Detector) -> None:
    """A binary workbook (.xlsb, written by SheetJS: see tests/fixtures/office/make_xlsb.js)
    is read sheet by sheet with calamine, its very hidden sheet too."""
    data = (Path(__file__).parents[1] / "fixtures" / "office" / "hidden.xlsb").read_bytes()
    first, second = values_for(("visible", "hidden"), 23).values()
    extraction, found = scan(detector, "book.xlsb", data)
    assert extraction.unscannable == ()
    assert found == {
        "attachment book.xlsb sheet People": {masked(first)},
        "attachment book.xlsb sheet Vault": {masked(second)},
    }


def test_word_content_controls_fields_vml_groups_images_endnotes(detector: Detector) -> None:
    """A content control's text and a field's result are body text; a VML text box and a text
    box inside a group are text boxes; a picture's description and an endnote are read at
    their places."""
    values = values_for(office_formats.WORD_XML_PLACES, 24)
    extraction, found = scan(detector, "memo.docx", office_formats.word_xml_places(values))
    assert extraction.unscannable == ()
    assert found == {
        "attachment memo.docx": {masked(values["content control"]), masked(values["field result"])},
        "attachment memo.docx text boxes": {
            masked(values["vml text box"]),
            masked(values["grouped text box"]),
        },
        "attachment memo.docx image descriptions": {masked(values["image descriptions"])},
        "attachment memo.docx endnotes": {masked(values["endnotes"])},
    }


def test_office_xml_entities_are_never_expanded_or_fetched(
    detector: Detector, tmp_path: Path
) -> None:
    """A document part declaring an external entity (a local file) is read without loading it;
    one declaring an entity bomb is refused by the parser before any expansion (Word refuses
    a DTD in a document part too): a blocking defect, never an expansion."""
    value = values_for(("x",), 25)["x"]
    local_file = tmp_path / "secret.txt"
    local_file.write_text("LOCAL-FILE-CONTENT")
    secret = f'<!ENTITY secret SYSTEM "{local_file.as_uri()}">'
    bomb = "".join(f'<!ENTITY e{n} "{f"&e{n - 1};" * 10}">' for n in range(1, 10))

    def with_doctype(declarations: str, references: bytes) -> bytes:
        def hostile(part: bytes) -> bytes:
            head, _, rest = part.partition(b"?>")
            doctype = f"<!DOCTYPE w:document [{declarations}]>".encode()
            return head + b"?>" + doctype + rest.replace(b"Memo", b"Memo " + references, 1)

        plain = formats.docx(["Memo", f"SSN {value}"])
        return office_formats.rewrite(plain, {"word/document.xml": hostile})

    extraction, found = scan(detector, "x.docx", with_doctype(secret, b"&secret;"))
    assert extraction.unscannable == ()
    assert found == {"attachment x.docx": {masked(value)}}
    [body] = [s.text for s in extraction.segments if s.where == "attachment x.docx"]
    assert "LOCAL-FILE-CONTENT" not in body
    bombed = with_doctype(f'<!ENTITY e0 "boom">{bomb}', b"&e9;")
    extraction, _ = scan(detector, "bomb.docx", bombed)
    assert [d.reason for d in extraction.unscannable] == [
        "broken XML in an Office document (XMLSyntaxError)"
    ]
