"""Files that hide content in the places a reader skips: PDF forms, annotations, bookmarks,
metadata, hidden layers and attached files (fpdf2 writes the PDF, pypdf fills its form), RTF
with an embedded object, and mail inside mail. Shared by the extraction tests and
bench/bench_extract.py."""

from __future__ import annotations

import io
import struct
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import cast

from tests import formats


def pdf_form(values: Mapping[str, str], pages: int = 1, appearance: bool = True) -> bytes:
    """A form with one text field per ``values`` key on each page (fpdf2 draws the pages,
    pypdf adds the fields and fills them in as a PDF editor does). Without ``appearance`` the
    values are set as a script or a non-Acrobat filler sets them: /V only, no appearance
    stream, /NeedAppearances true."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import (
        ArrayObject,
        BooleanObject,
        DictionaryObject,
        FloatObject,
        NameObject,
        NumberObject,
        TextStringObject,
    )

    blank = formats.pdf([f"Application form, page {n + 1}" for n in range(pages)])
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(blank)))
    fields = ArrayObject()
    for number, page in enumerate(writer.pages):
        annotations = ArrayObject()
        for row, name in enumerate(values):
            top = 700 - 30 * row
            field = DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/Annot"),
                    NameObject("/Subtype"): NameObject("/Widget"),
                    NameObject("/FT"): NameObject("/Tx"),
                    NameObject("/T"): TextStringObject(f"{name}_{number + 1}"),
                    NameObject("/Rect"): ArrayObject(
                        [
                            FloatObject(100),
                            FloatObject(top),
                            FloatObject(400),
                            FloatObject(top + 20),
                        ]
                    ),
                    NameObject("/F"): NumberObject(4),
                    NameObject("/DA"): TextStringObject("/Helv 10 Tf 0 g"),
                    NameObject("/P"): page.indirect_reference,
                }
            )
            reference = writer._add_object(field)
            annotations.append(reference)
            fields.append(reference)
        page[NameObject("/Annots")] = annotations
    helvetica = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    fonts = DictionaryObject({NameObject("/Helv"): writer._add_object(helvetica)})
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject(
        {
            NameObject("/Fields"): fields,
            NameObject("/DA"): TextStringObject("/Helv 10 Tf 0 g"),
            NameObject("/DR"): DictionaryObject({NameObject("/Font"): fonts}),
        }
    )
    for number, page in enumerate(writer.pages):
        filled = {f"{name}_{number + 1}": value for name, value in values.items()}
        if appearance:
            writer.update_page_form_field_values(page, filled, auto_regenerate=False)
        else:
            for reference in cast(ArrayObject, page["/Annots"]):
                field = cast(DictionaryObject, reference.get_object())
                field[NameObject("/V")] = TextStringObject(filled[str(field["/T"])])
    if not appearance:
        writer.set_need_appearances_writer(True)
        form = cast(DictionaryObject, writer._root_object["/AcroForm"])
        form[NameObject("/NeedAppearances")] = BooleanObject(True)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_xfa(datasets: str) -> bytes:
    """A PDF whose AcroForm carries an XFA form: template and datasets packets (pypdf)."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import (
        ArrayObject,
        DecodedStreamObject,
        DictionaryObject,
        NameObject,
        TextStringObject,
    )

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(formats.pdf(["XFA form"]))))
    packets = ArrayObject()
    template = '<template xmlns="http://www.xfa.org/schema/xfa-template/3.3/"><subform/></template>'
    for name, xml in (("template", template), ("datasets", datasets)):
        stream = DecodedStreamObject()
        stream.set_data(xml.encode())
        packets += [TextStringObject(name), writer._add_object(stream)]
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject(
        {NameObject("/Fields"): ArrayObject(), NameObject("/XFA"): packets}
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def xfa_datasets(values: Mapping[str, str]) -> str:
    items = "".join(f"<{key}>{value}</{key}>" for key, value in values.items())
    return (
        '<xfa:datasets xmlns:xfa="http://www.xfa.org/schema/xfa-data/1.0/">'
        f"<xfa:data><form1>{items}</form1></xfa:data></xfa:datasets>"
    )


def pdf_annotated(
    *,
    comment: str = "",
    free_text: str = "",
    bookmark: str = "",
    title: str = "",
    xmp: str = "",
    hidden_layer: str = "",
) -> bytes:
    """One page (fpdf2) with a sticky-note comment, a FreeText annotation, a bookmark, a
    document title, XMP metadata (dc:description) and a layer that is off when viewed."""
    from fpdf import FPDF

    document = FPDF()
    document.set_font("helvetica", size=11)
    if title:
        document.set_title(title)
    if xmp:
        document.set_xmp_metadata(
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f"<dc:description>{xmp}</dc:description></rdf:Description></rdf:RDF>"
        )
    document.add_page()
    if bookmark:
        document.start_section(bookmark)
    document.cell(0, 6, "Case summary", new_x="LMARGIN", new_y="NEXT")
    if comment:
        document.text_annotation(20, 40, comment)
    if free_text:
        document.free_text_annotation(free_text, 20, 60, 80, 10)
    if hidden_layer:
        with document.optional_content(on_view=False, on_print=False, label="Redacted"):
            document.cell(0, 6, hidden_layer, new_x="LMARGIN", new_y="NEXT")
    return bytes(document.output())


def pdf_with_files(embedded: Mapping[str, bytes], annotated: Mapping[str, bytes]) -> bytes:
    """A PDF (fpdf2) carrying ``embedded`` files in its EmbeddedFiles name tree and
    ``annotated`` files as FileAttachment annotations on its page."""
    from fpdf import FPDF

    document = FPDF()
    document.set_font("helvetica", size=11)
    document.add_page()
    document.cell(0, 6, "See the attached files.", new_x="LMARGIN", new_y="NEXT")
    for name, data in embedded.items():
        document.embed_file(bytes=data, basename=name)
    with tempfile.TemporaryDirectory() as folder:
        for row, (name, data) in enumerate(annotated.items()):
            path = Path(folder) / name
            path.write_bytes(data)
            document.file_attachment_annotation(path, 20, 40 + 10 * row, 5, 5)
        return bytes(document.output())


def pdf_without_pages(info: Mapping[str, str]) -> bytes:
    """A PDF with an empty page tree whose document information holds ``info`` (pypdf)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_metadata(dict(info))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def rtf_with_package(text: str, name: str, data: bytes) -> bytes:
    """An RTF document with ``data`` embedded as an OLE Package object, as Word writes a file
    dropped into a document: OLE1 native data of class ``Package`` holding the Ole10Native
    record (name, source path, temporary path, size, bytes)."""
    source = f"C:\\Users\\tester\\{name}".encode() + b"\x00"
    native = (
        struct.pack("<H", 2)
        + name.encode()
        + b"\x00"
        + source
        + struct.pack("<II", 0x00030000, len(source))
        + source
        + struct.pack("<I", len(data))
        + data
    )
    return rtf_with_object(text, "Package", native)


def rtf_with_object(text: str, class_name: str, native: bytes) -> bytes:
    """An RTF document with one embedded object (``\\object\\objemb``) of ``class_name``
    whose native data is ``native`` (for ``Excel.Sheet.8``, the workbook's compound file),
    hex-encoded in ``\\objdata`` as OLE1 data. No Python library writes RTF objects, so
    these lines follow [MS-OLEDS] 2.2.4 (ObjectHeader, then the native data's size)."""
    ole1 = (
        struct.pack("<II", 0x00000501, 2)  # OLEVersion, FormatID: embedded
        + _length_prefixed(class_name.encode())
        + _length_prefixed(b"")  # topic
        + _length_prefixed(b"")  # item
        + struct.pack("<I", len(native))
        + native
    )
    hexed = "\n".join(ole1.hex()[i : i + 128] for i in range(0, len(ole1) * 2, 128))
    body = text.replace("\\", "\\\\").replace("{", "\\{").replace("}", "\\}")
    return (
        "{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Arial;}}\\f0\\fs20 " + body + "\\par\n"
        "{\\object\\objemb{\\*\\objclass " + class_name + "}\\objw1000\\objh1000"
        "{\\*\\objdata\n" + hexed + "\n}}\\par\n}"
    ).encode()


def _length_prefixed(value: bytes) -> bytes:
    if not value:
        return struct.pack("<I", 0)
    return struct.pack("<I", len(value) + 1) + value + b"\x00"


def outlook_msg_in_msg(
    subject: str, body: str, inner: tuple[str, str, Mapping[str, bytes]]
) -> bytes:
    """An Outlook .msg (MS-OXMSG) whose one attachment is another message, as Outlook writes
    a forwarded item: attach method 5 and the message's own storage (``__substg1.0_3701000D``)
    inside the attachment's. ``inner`` is (subject, body, attachments) of that message.
    Written with extract-msg's OleWriter (no library writes .msg whole)."""
    from extract_msg.ole_writer import OleWriter

    writer = OleWriter()
    _add_message(writer, "", (subject, body, {}), top=True, messages=[inner])
    writer.addEntry("__nameid_version1.0", storage=True)
    for stream in ("00020102", "00030102", "00040102"):
        writer.addEntry(f"__nameid_version1.0/__substg1.0_{stream}", b"")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


_Message = tuple[str, str, Mapping[str, bytes]]


def outlook_msg_rich(subject: str, rtf: bytes, to: str) -> bytes:
    """An Outlook .msg whose only body is compressed RTF (PR_RTF_COMPRESSED, as Outlook keeps
    a rich-text message), received with the transport header ``To: <to>``."""
    from compressed_rtf import compress
    from extract_msg.ole_writer import OleWriter

    writer = OleWriter()
    headers = f"From: alice@dhs.gov\r\nTo: {to}\r\nSubject: {subject}\r\n\r\n"
    extra = {0x10090102: bytes(compress(rtf)), 0x007D001F: headers.encode("utf-16-le")}
    _add_message(writer, "", (subject, "", {}), top=True, messages=[], extra=extra)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _add_message(
    writer: object,
    path: str,
    message: _Message,
    top: bool,
    messages: list[_Message],
    extra: Mapping[int, bytes] | None = None,
) -> None:
    subject, body, files = message
    text = {0x001A001F: "IPM.Note", 0x0037001F: subject}
    if body:
        text[0x1000001F] = body
    count = len(files) + len(messages)
    header = struct.pack("<8sIIII", bytes(8), 0, count, 0, count) + (bytes(8) if top else b"")
    values = {t: v.encode("utf-16-le") for t, v in text.items()} | dict(extra or {})
    _add_properties(writer, path, values, header, {})
    for number, (name, data) in enumerate(files.items()):
        root = f"{path}__attach_version1.0_#{number:08X}"
        writer.addEntry(root, storage=True)  # type: ignore[attr-defined]
        values = {0x37010102: data, 0x3707001F: name.encode("utf-16-le")}
        _add_properties(writer, f"{root}/", values, bytes(8), {0x37050003: 1})
    for number, inner in enumerate(messages, start=len(files)):
        root = f"{path}__attach_version1.0_#{number:08X}"
        writer.addEntry(root, storage=True)  # type: ignore[attr-defined]
        values = {0x3001001F: inner[0].encode("utf-16-le")}
        _add_properties(writer, f"{root}/", values, bytes(8), {0x37050003: 5})
        writer.addEntry(f"{root}/__substg1.0_3701000D", storage=True)  # type: ignore[attr-defined]
        _add_message(writer, f"{root}/__substg1.0_3701000D/", inner, top=False, messages=[])


def _add_properties(
    writer: object, path: str, values: dict[int, bytes], header: bytes, fixed: dict[int, int]
) -> None:
    entries = b""
    for tag, data in values.items():
        writer.addEntry(f"{path}__substg1.0_{tag:08X}", data)  # type: ignore[attr-defined]
        size = len(data) + 2 if tag & 0xFFFF == 0x001F else len(data)
        entries += struct.pack("<IIII", tag, 6, size, 0)
    for tag, number in fixed.items():
        entries += struct.pack("<IIII", tag, 6, number, 0)
    writer.addEntry(f"{path}__properties_version1.0", header + entries)  # type: ignore[attr-defined]


def tnef_with(body: str, attachments: Mapping[str, bytes], rtf: bytes = b"") -> bytes:
    """A TNEF stream like ``formats.tnef`` plus, when ``rtf`` is given, an attMAPIProps
    attribute holding PR_RTF_COMPRESSED (compressed_rtf writes the stream)."""
    from compressed_rtf import compress

    stream = formats.tnef(body, dict(attachments))
    if not rtf:
        return stream
    compressed: bytes = compress(rtf)
    padded = compressed + bytes(-len(compressed) % 4)
    props = struct.pack("<I", 1) + struct.pack("<HH", 0x0102, 0x1009)
    props += struct.pack("<II", 1, len(compressed)) + padded
    checksum = sum(props) & 0xFFFF
    attribute = struct.pack("<BHHI", 1, 0x9003, 0x0006, len(props)) + props
    return stream + attribute + struct.pack("<H", checksum)


def rtf_compressing_to_a_final_nul(text: str, final_nul: bool) -> bytes:
    """An RTF document holding ``text``, padded with spaces until its compressed stream does
    (or does not) end in a NUL byte: the end marker's low byte is NUL whenever the text
    ends on a 16-byte boundary of the compression dictionary, one document in sixteen."""
    from compressed_rtf import compress

    for pad in range(64):
        rtf = f"{{\\rtf1\\ansi {text}{' ' * pad}}}".encode()
        if compress(rtf).endswith(b"\x00") == final_nul:
            return rtf
    raise AssertionError("no padding gives the wanted ending")


def libreoffice_rtf(document: bytes, workdir: Path) -> bytes | None:
    """``document`` (a .docx) saved as RTF by LibreOffice headless; None when LibreOffice is
    not installed (the office branch's Makefile target installs it from Debian)."""
    import shutil
    import subprocess

    soffice = shutil.which("soffice")
    if soffice is None:
        return None
    source = workdir / "case.docx"
    source.write_bytes(document)
    profile = (workdir / "profile").as_uri()
    command = [soffice, "--headless", f"-env:UserInstallation={profile}", "--convert-to", "rtf"]
    subprocess.run(
        [*command, "--outdir", str(workdir), str(source)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return (workdir / "case.rtf").read_bytes()


def pdf_with_cyclic_outline(title: str) -> bytes:
    """A PDF whose outline's two items point at each other as next sibling and first child
    (a hostile or broken outline); the first item's title is ``title``."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(formats.pdf(["Outline test"]))))
    first = DictionaryObject({NameObject("/Title"): TextStringObject(title)})
    second = DictionaryObject({NameObject("/Title"): TextStringObject("Chapter two")})
    first_ref, second_ref = writer._add_object(first), writer._add_object(second)
    first[NameObject("/Next")] = second_ref
    first[NameObject("/First")] = second_ref
    second[NameObject("/Next")] = first_ref
    outlines = {NameObject("/Type"): NameObject("/Outlines"), NameObject("/First"): first_ref}
    writer._root_object[NameObject("/Outlines")] = writer._add_object(DictionaryObject(outlines))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_saved_over(first: str, then: str) -> bytes:
    """A one-page PDF (fpdf2) showing ``first``, saved again incrementally by pypdf with the
    page showing ``then`` instead, as an editor saves a deletion: the first revision's bytes
    stay in the file."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, NameObject

    writer = PdfWriter(io.BytesIO(formats.pdf([first])), incremental=True)
    stream = DecodedStreamObject()
    stream.set_data(f"BT /F1 11 Tf 72 720 Td ({then}) Tj ET".encode())
    writer.pages[0][NameObject("/Contents")] = writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
