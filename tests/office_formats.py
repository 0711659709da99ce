"""Office documents with text in the places a reader of the file sees but a body-only reader
misses, written by the programs that write them: LibreOffice (headless) converting one source
document, python-docx / openpyxl / python-pptx, and lxml for the parts those libraries cannot
write (a macro sheet, a slide comment, an embedded object, a variant's content type).
Shared by the extraction tests and bench/bench_extract.py."""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

from lxml import etree

from tests import formats

WORD_PLACES = (
    "headers",
    "footers",
    "footnotes",
    "comments",
    "text boxes",
    "tracked deletions",
    "properties",
)
"""The places of the LibreOffice source document, each given its own SSN (and the body)."""

_FODT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
 xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
 xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
 xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
 office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.text">
 <office:meta><dc:title>Case file</dc:title><meta:keyword>{properties}</meta:keyword></office:meta>
 <office:automatic-styles><style:page-layout style:name="pm1">
  <style:page-layout-properties fo:page-width="21cm" fo:page-height="29.7cm"/>
  <style:header-style><style:header-footer-properties fo:min-height="0.5cm"/></style:header-style>
  <style:footer-style><style:header-footer-properties fo:min-height="0.5cm"/></style:footer-style>
 </style:page-layout></office:automatic-styles>
 <office:master-styles><style:master-page style:name="Standard" style:page-layout-name="pm1">
  <style:header><text:p>Header {headers}</text:p></style:header>
  <style:footer><text:p>Footer {footers}</text:p></style:footer>
 </style:master-page></office:master-styles>
 <office:body><office:text>
  <text:tracked-changes text:track-changes="true">
   <text:changed-region text:id="ct1"><text:deletion><office:change-info>
    <dc:creator>Tester</dc:creator><dc:date>2026-01-01T00:00:00</dc:date></office:change-info>
    <text:p>deleted {tracked deletions}</text:p></text:deletion></text:changed-region>
   <text:changed-region text:id="ct2"><text:insertion><office:change-info>
    <dc:creator>Tester</dc:creator><dc:date>2026-01-01T00:00:00</dc:date>
   </office:change-info></text:insertion></text:changed-region>
  </text:tracked-changes>
  <text:p>Intro <text:change text:change-id="ct1"/>and <text:change-start text:change-id="ct2"/>inserted {body}<text:change-end text:change-id="ct2"/>.</text:p>
  <text:p>Note<text:note text:id="n1" text:note-class="footnote"><text:note-citation>1</text:note-citation>
   <text:note-body><text:p>Footnote {footnotes}</text:p></text:note-body></text:note></text:p>
  <text:p><office:annotation><dc:creator>Tester</dc:creator><dc:date>2026-01-01T00:00:00</dc:date>
   <text:p>Comment {comments}</text:p></office:annotation>Commented text</text:p>
  <text:p><draw:frame text:anchor-type="paragraph" svg:width="8cm" svg:height="2cm" draw:name="Box1">
   <draw:text-box><text:p>Text box {text boxes}</text:p></draw:text-box></draw:frame>After box</text:p>
 </office:text></office:body>
</office:document>
"""  # noqa: E501

LIBREOFFICE_TARGETS = {
    # file extension → LibreOffice export filter
    "docx": "MS Word 2007 XML",
    "docm": "MS Word 2007 XML VBA",
    "dotx": "MS Word 2007 XML Template",
    "odt": "writer8",
    "rtf": "Rich Text Format",
    "doc": "MS Word 97",
}


def libreoffice() -> str | None:
    return shutil.which("soffice")


def libreoffice_documents(
    values: dict[str, str], workdir: Path, targets: Sequence[str] = tuple(LIBREOFFICE_TARGETS)
) -> dict[str, bytes]:
    """One source document (flat ODF) with ``values`` in its places (``WORD_PLACES`` and
    ``body``), converted by LibreOffice headless into each of ``targets`` (extensions of
    ``LIBREOFFICE_TARGETS``)."""
    soffice = libreoffice()
    assert soffice is not None
    source = workdir / "case.fodt"
    source.write_text(_FODT.format(**{k: escape(v) for k, v in values.items()}))
    profile = (workdir / "profile").as_uri()
    out = workdir / "out"
    for extension in targets:
        export_filter = LIBREOFFICE_TARGETS[extension]
        subprocess.run(
            [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to",
             f"{extension}:{export_filter}", "--outdir", str(out), str(source)],
            check=True, capture_output=True, timeout=180,
        )  # fmt: skip
    return {ext: (out / f"case.{ext}").read_bytes() for ext in targets}


def legacy_powerpoint(values: dict[str, str], workdir: Path) -> bytes:
    """``powerpoint_everywhere(values)`` saved by LibreOffice (headless) as PowerPoint 97-2003."""
    soffice = libreoffice()
    assert soffice is not None
    source = workdir / "deck.pptx"
    source.write_bytes(powerpoint_everywhere(values))
    subprocess.run(
        [soffice, f"-env:UserInstallation={(workdir / 'profile').as_uri()}", "--headless",
         "--convert-to", "ppt:MS PowerPoint 97", "--outdir", str(workdir), str(source)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    return (workdir / "deck.ppt").read_bytes()


VARIANTS = {
    # extension → the main part's content type, as Office writes each variant
    "docm": "application/vnd.ms-word.document.macroEnabled.main+xml",
    "dotm": "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
    "dotx": "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
    "xlsm": "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    "xltx": "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
    "xltm": "application/vnd.ms-excel.template.macroEnabled.main+xml",
    "pptm": "application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml",
    "potx": "application/vnd.openxmlformats-officedocument.presentationml.template.main+xml",
    "potm": "application/vnd.ms-powerpoint.template.macroEnabled.main+xml",
    "ppsx": "application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml",
    "ppsm": "application/vnd.ms-powerpoint.slideshow.macroEnabled.main+xml",
}

_TYPES = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_XML = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

Edit = Callable[[bytes], bytes]


def rewrite(package: bytes, edits: dict[str, Edit], added: dict[str, bytes] | None = None) -> bytes:
    """``package`` with parts edited (name → function of the old bytes) and parts added."""
    source = zipfile.ZipFile(io.BytesIO(package))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            data = source.read(name)
            target.writestr(name, edits[name](data) if name in edits else data)
        for name, data in (added or {}).items():
            target.writestr(name, data)
    return out.getvalue()


def _xml_edit(change: Callable[[etree._Element], None]) -> Edit:
    def edit(data: bytes) -> bytes:
        root = etree.fromstring(data)
        change(root)
        return _XML + etree.tostring(root)

    return edit


def with_part(package: bytes, name: str, content_type: str, data: bytes,
              owner: str, rel_type: str, rel_id: str) -> bytes:  # fmt: skip
    """``package`` with a part added: its content type declared and ``owner`` related to it."""

    def declare(root: etree._Element) -> None:
        etree.SubElement(root, f"{_TYPES}Override", PartName=f"/{name}", ContentType=content_type)

    def relate(root: etree._Element) -> None:
        target = "/" + name
        etree.SubElement(root, f"{_RELS}Relationship", Id=rel_id, Type=rel_type, Target=target)

    folder, _, leaf = owner.rpartition("/")
    rels = f"{folder}/_rels/{leaf}.rels" if folder else f"_rels/{leaf}.rels"
    edits = {"[Content_Types].xml": _xml_edit(declare), rels: _xml_edit(relate)}
    return rewrite(package, edits, {name: data})


def as_variant(package: bytes, extension: str) -> bytes:
    """The same package declared as another variant (macro-enabled, template, slide show)."""

    def retype(root: etree._Element) -> None:
        for override in root.iter(f"{_TYPES}Override"):
            if override.get("ContentType", "").endswith(".main+xml"):
                override.set("ContentType", VARIANTS[extension])

    return rewrite(package, {"[Content_Types].xml": _xml_edit(retype)})


def ole10native(name: str, data: bytes) -> bytes:
    """An ``Ole10Native`` stream: a file packaged by Windows' Object Packager ([MS-OLEDS]
    2.3.6 layout; no library writes one, so these lines do)."""
    path = f"C:\\Temp\\{name}".encode("latin-1") + b"\x00"
    body = struct.pack("<H", 2) + name.encode("latin-1") + b"\x00" + path
    body += struct.pack("<HI", 3, len(path)) + path + struct.pack("<I", len(data)) + data
    return struct.pack("<I", len(body)) + body


def ole_package(name: str, data: bytes) -> bytes:
    """An embedded OLE object (oleObject1.bin) holding ``data`` as a packaged file, in a compound
    file written by extract-msg's OleWriter."""
    from extract_msg.ole_writer import OleWriter

    writer = OleWriter()
    writer.addEntry("\x01Ole10Native", ole10native(name, data))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def word_with_embeddings(body: str, objects: Sequence[tuple[str, bytes]]) -> bytes:
    """A python-docx document with ``objects`` (name, bytes) as word/embeddings parts, each
    related to the document as Word relates embedded packages and OLE objects."""
    package = formats.docx([body])
    for number, (name, data) in enumerate(objects, start=1):
        is_ole = name.endswith(".bin")
        kind = "oleObject" if is_ole else "package"
        content_type = (
            "application/vnd.openxmlformats-officedocument.oleObject"
            if is_ole
            else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        rel = f"http://schemas.openxmlformats.org/officeDocument/2006/relationships/{kind}"
        package = with_part(
            package, f"word/embeddings/{name}", content_type, data,
            "word/document.xml", rel, f"rIdEmbed{number}",
        )  # fmt: skip
    return package


EXCEL_PLACES = (
    "very hidden sheet",
    "comments",
    "headers and footers",
    "formulas",
    "data validation",
    "defined names",
    "charts",
    "macro sheet",
)

_SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def excel_everywhere(values: dict[str, str]) -> bytes:
    """An openpyxl workbook with a value in each of ``EXCEL_PLACES``; the Excel 4.0 macro
    sheet (which openpyxl cannot write) is added with lxml as Excel writes it."""
    import openpyxl
    from openpyxl.chart import BarChart, Reference
    from openpyxl.comments import Comment
    from openpyxl.workbook.defined_name import DefinedName
    from openpyxl.worksheet.datavalidation import DataValidation

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Main"
    sheet.append(["Item", "Count"])
    sheet.append(["a", 1])
    hidden = book.create_sheet("Vault")
    hidden.append(["Note"])
    hidden.append([values["very hidden sheet"]])
    hidden.sheet_state = "veryHidden"
    sheet["D1"].comment = Comment(f"check {values['comments']}", "tester")
    sheet.oddFooter.center.text = f"file {values['headers and footers']}"
    area, group, serial = values["formulas"].split("-")
    sheet["E1"] = f'="{area}-" & "{group}-" & "{serial}"'  # openpyxl stores no cached value
    rule = DataValidation(type="list", formula1=f'"{values["data validation"]},other"')
    sheet.add_data_validation(rule)
    rule.add("F1")
    book.defined_names["Contact"] = DefinedName("Contact", attr_text=f'"{values["defined names"]}"')
    chart = BarChart()
    chart.title = f"Totals {values['charts']}"
    chart.add_data(Reference(sheet, min_col=2, min_row=1, max_row=2), titles_from_data=True)
    sheet.add_chart(chart, "H2")
    out = io.BytesIO()
    book.save(out)
    return _with_macro_sheet(out.getvalue(), values["macro sheet"])


def _with_macro_sheet(package: bytes, value: str) -> bytes:
    macro = (
        f'<xm:macrosheet xmlns="{_SHEET_NS}" xmlns:xm="http://schemas.microsoft.com/office/'
        f'excel/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>{value}</t>'
        '</is></c></row><row r="2"><c r="A2"><f>HALT()</f></c></row></sheetData>'
        "</xm:macrosheet>"
    ).encode()
    package = with_part(
        package, "xl/macrosheets/sheet1.xml", "application/vnd.ms-excel.macrosheet+xml",
        _XML + macro, "xl/workbook.xml",
        "http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet", "rIdMacro1",
    )  # fmt: skip

    def list_sheet(root: etree._Element) -> None:
        sheets = root.find(f"{{{_SHEET_NS}}}sheets")
        assert sheets is not None
        attributes = {"name": "Macro1", "sheetId": "99", f"{{{_DOC_RELS}}}id": "rIdMacro1"}
        etree.SubElement(sheets, f"{{{_SHEET_NS}}}sheet", attributes)

    return rewrite(package, {"xl/workbook.xml": _xml_edit(list_sheet)})


_X14 = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
_XM = "http://schemas.microsoft.com/office/excel/2006/main"
_XR = "http://schemas.microsoft.com/office/spreadsheetml/2014/revision"
X14_VALIDATIONS = "{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}"
"""The ``ext`` of a worksheet's ``extLst`` that holds Excel 2010's data validations."""


def excel_x14_validations(prompt: str, error: str, item: str) -> bytes:
    """An openpyxl workbook whose sheet Main has two validations only in Excel 2010's form, as
    Excel writes a validation that refers to another sheet (``x14:dataValidation`` in the
    sheet's ``extLst``, formulas in ``xm:f``, ranges in ``xm:sqref``; openpyxl cannot write
    them, so lxml adds them): a list from sheet Lists with ``prompt`` and ``error`` as its
    messages on B2:B20, and a custom rule that refuses ``item`` unless it is in that list."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Main"
    sheet.append(["Name", "Colour", "Code"])
    lists = book.create_sheet("Lists")
    for colour in ("Red", "Green", "Blue"):
        lists.append([colour])
    out = io.BytesIO()
    book.save(out)
    rules = [
        (
            {"type": "list", "allowBlank": "1", "showInputMessage": "1", "showErrorMessage": "1",
             "promptTitle": "Colour", "prompt": prompt, "errorTitle": "Not a colour",
             "error": error},
            "Lists!$A$1:$A$3", "B2:B20",
        ),
        (
            {"type": "custom", "allowBlank": "1", "showErrorMessage": "1"},
            f'AND(C2<>"{item}",COUNTIF(Lists!$A$1:$A$3,C2)=0)', "C2:C20",
        ),
    ]  # fmt: skip

    def extend(root: etree._Element) -> None:
        extensions = etree.SubElement(root, f"{{{_SHEET_NS}}}extLst")
        ext = etree.SubElement(
            extensions, f"{{{_SHEET_NS}}}ext", uri=X14_VALIDATIONS, nsmap={"x14": _X14}
        )
        group = etree.SubElement(
            ext, f"{{{_X14}}}dataValidations", count=str(len(rules)), nsmap={"xm": _XM}
        )
        for number, (attributes, formula, cells) in enumerate(rules, start=1):
            uid = {f"{{{_XR}}}uid": f"{{00000000-0002-0000-0000-{number:012d}}}"}
            rule = etree.SubElement(
                group, f"{{{_X14}}}dataValidation", {**attributes, **uid}, nsmap={"xr": _XR}
            )
            etree.SubElement(
                etree.SubElement(rule, f"{{{_X14}}}formula1"), f"{{{_XM}}}f"
            ).text = formula
            etree.SubElement(rule, f"{{{_XM}}}sqref").text = cells

    return rewrite(out.getvalue(), {"xl/worksheets/sheet1.xml": _xml_edit(extend)})


POWERPOINT_PLACES = ("group", "table", "notes", "charts", "comments", "slide masters and layouts")


def powerpoint_everywhere(values: dict[str, str]) -> bytes:
    """A python-pptx deck with a value in each of ``POWERPOINT_PLACES``; the slide comment
    (which python-pptx cannot write) is added with lxml as PowerPoint writes it."""
    import pptx
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE
    from pptx.util import Inches

    deck = pptx.Presentation()
    layout = deck.slide_layouts[5]
    layout.placeholders[0].text_frame.text = f"Agency layout {values['slide masters and layouts']}"
    slide = deck.slides.add_slide(layout)
    slide.shapes.title.text = "Quarterly review"
    group = slide.shapes.add_group_shape()
    box = group.shapes.add_textbox(Inches(1), Inches(1), Inches(3), Inches(1))
    box.text_frame.text = f"grouped {values['group']}"
    grid = slide.shapes.add_table(2, 2, Inches(1), Inches(3), Inches(4), Inches(1)).table
    for column, (head, cell) in enumerate([("Name", "Doe"), ("SSN", values["table"])]):
        grid.cell(0, column).text = head
        grid.cell(1, column).text = cell
    data = CategoryChartData()
    data.categories = [f"id {values['charts']}", "other"]
    data.add_series("Count", (1, 2))
    slide.shapes.add_chart(XL_CHART_TYPE.COLUMN_CLUSTERED, 0, 0, Inches(4), Inches(3), data)
    slide.notes_slide.notes_text_frame.text = f"say {values['notes']}"
    out = io.BytesIO()
    deck.save(out)
    comment = (
        '<p:cmLst xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main">'
        '<p:cm authorId="0" dt="2026-01-01T00:00:00.000" idx="1"><p:pos x="10" y="10"/>'
        f"<p:text>check {values['comments']}</p:text></p:cm></p:cmLst>"
    ).encode()
    return with_part(
        out.getvalue(), "ppt/comments/comment1.xml",
        "application/vnd.openxmlformats-officedocument.presentationml.comments+xml",
        _XML + comment, "ppt/slides/slide1.xml", f"{_DOC_RELS}/comments", "rIdComment1",
    )  # fmt: skip


WORD_XML_PLACES = (
    "content control",
    "field result",
    "vml text box",
    "grouped text box",
    "image descriptions",
    "endnotes",
)

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_WORD_BODY = """<w:body xmlns:w="{w}" xmlns:v="urn:schemas-microsoft-com:vml"
 xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
 xmlns:wpg="http://schemas.microsoft.com/office/word/2010/wordprocessingGroup"
 xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"
 xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">
<w:sdt><w:sdtPr><w:alias w:val="Client"/></w:sdtPr><w:sdtContent><w:p><w:r>
 <w:t>Client {content control}</w:t></w:r></w:p></w:sdtContent></w:sdt>
<w:p><w:fldSimple w:instr=" DOCPROPERTY Client "><w:r><w:t>{field result}</w:t></w:r></w:fldSimple></w:p>
<w:p><w:r><w:pict><v:shape style="width:200pt;height:50pt"><v:textbox><w:txbxContent><w:p><w:r>
 <w:t>Old box {vml text box}</w:t></w:r></w:p></w:txbxContent></v:textbox></v:shape></w:pict></w:r></w:p>
<w:p><w:r><w:drawing><wp:anchor><wp:docPr id="7" name="Picture 7" descr="Photo of {image descriptions}"/>
 <a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingGroup">
 <wpg:wgp><wps:wsp><wps:txbx><w:txbxContent><w:p><w:r><w:t>In group {grouped text box}</w:t></w:r>
 </w:p></w:txbxContent></wps:txbx></wps:wsp></wpg:wgp></a:graphicData></a:graphic></wp:anchor>
</w:drawing></w:r></w:p>
</w:body>"""  # noqa: E501


def word_xml_places(values: dict[str, str]) -> bytes:
    """A python-docx document whose body gets, with lxml, what python-docx cannot write: a
    content control, a field's result, a VML text box, a text box in a group, a picture's
    description; and an endnotes part."""
    body = etree.fromstring(_WORD_BODY.format(w=_W, **values).encode())

    def replace_body(root: etree._Element) -> None:
        old = root.find(f"{{{_W}}}body")
        assert old is not None
        for child in list(body):
            old.append(child)

    package = rewrite(formats.docx(["Memo"]), {"word/document.xml": _xml_edit(replace_body)})
    endnotes = (
        f'<w:endnotes xmlns:w="{_W}"><w:endnote w:id="1"><w:p><w:r><w:t>'
        f"Endnote {values['endnotes']}</w:t></w:r></w:p></w:endnote></w:endnotes>"
    ).encode()
    return with_part(
        package, "word/endnotes.xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.endnotes+xml",
        _XML + endnotes, "word/document.xml", f"{_DOC_RELS}/endnotes", "rIdEndnotes1",
    )  # fmt: skip
