"""Every format extraction reads: a real file written by its library, carrying a synthetic SSN,
found by the real Detector at the place it was put."""

from __future__ import annotations

import gzip
import io
import json
import random
import tarfile
from email.message import EmailMessage

import pytest

from piigate.config import DetectionSettings
from piigate.detect import Detector
from piigate.extract import extract
from piigate.model import Extraction, Finding
from piigate.parse import parse_message
from tests import formats
from tests.synthetic import ssn


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(DetectionSettings(spacy_model=None))


@pytest.fixture
def ssns() -> list[str]:
    rng = random.Random(5)
    return [ssn(rng) for _ in range(8)]


def scan(detector: Detector, message: EmailMessage | bytes) -> tuple[Extraction, list[Finding]]:
    raw = message if isinstance(message, bytes) else message.as_bytes()
    extraction = extract(parse_message(raw))
    return extraction, list(detector.detect(extraction.segments).findings)


def masked(value: str) -> str:
    return "***-**-" + value[-4:]


def places(findings: list[Finding]) -> set[tuple[str, int, str | None, str]]:
    return {(f.where, f.line, f.column, f.masked) for f in findings}


def attach(name: str, data: bytes, mime: str = "application/octet-stream") -> EmailMessage:
    return formats.email_with("See attached.", [(name, data, mime)])


def test_xlsx_every_sheet_hidden_ones_too_comment_and_header(
    detector: Detector, ssns: list[str]
) -> None:
    """Cells of visible and hidden sheets are tables (row = line, header = column); the cell
    comment and the page header are read and named by their place."""
    data = formats.xlsx(
        {"People": [("Name", "SSN"), ("Doe", ssns[0])], "Old": [("ID", "SSN"), (1, ssns[1])]},
        hidden=("Old",),
        comment=f"check {ssns[2]}",
        header=f"file of {ssns[3]}",
    )
    extraction, findings = scan(detector, attach("people.xlsx", data))
    assert extraction.unscannable == ()
    assert places(findings) >= {
        ("attachment people.xlsx sheet People", 2, "SSN", masked(ssns[0])),
        ("attachment people.xlsx sheet Old", 2, "SSN", masked(ssns[1])),
    }
    named = {(f.where, f.masked) for f in findings if "sheet" not in f.where}
    assert named == {
        ("attachment people.xlsx comments", masked(ssns[2])),
        ("attachment people.xlsx headers and footers", masked(ssns[3])),
    }


def test_docx_body_table_header_footer_and_comment(detector: Detector, ssns: list[str]) -> None:
    """Paragraphs, a table (by column), the header, the footer and a comment are all read."""
    data = formats.docx(
        [f"Subject SSN {ssns[0]}"],
        table=[("Name", "SSN"), ("Doe", ssns[1])],
        header=f"re {ssns[2]}",
        footer=f"id {ssns[3]}",
        comment=f"verify {ssns[4]}",
    )
    _, findings = scan(detector, attach("memo.docx", data))
    assert ("attachment memo.docx", 2, "SSN", masked(ssns[1])) in places(findings)
    assert {f.masked for f in findings} == {masked(s) for s in ssns[:5]}


def test_pptx_slide_text_table_and_notes(detector: Detector, ssns: list[str]) -> None:
    """A slide's title, its table (by column) and its speaker notes are read."""
    data = formats.pptx(
        f"Case {ssns[0]}", table=[("Name", "SSN"), ("Doe", ssns[1])], notes=f"n {ssns[2]}"
    )
    _, findings = scan(detector, attach("brief.pptx", data))
    assert ("attachment brief.pptx sheet slide 1", 2, "SSN", masked(ssns[1])) in places(findings)
    assert {f.masked for f in findings} == {masked(s) for s in ssns[:3]}


def test_legacy_xls_every_sheet(detector: Detector, ssns: list[str]) -> None:
    """An Excel 97-2003 workbook (written by xlwt) is read sheet by sheet with xlrd."""
    data = formats.xls({"A": [("SSN",), (ssns[0],)], "B": [("x", "SSN"), ("y", ssns[1])]})
    _, findings = scan(detector, attach("old.xls", data))
    assert places(findings) == {
        ("attachment old.xls sheet A", 2, "SSN", masked(ssns[0])),
        ("attachment old.xls sheet B", 2, "SSN", masked(ssns[1])),
    }


def test_opendocument_text_and_spreadsheet(detector: Detector, ssns: list[str]) -> None:
    """An .odt's paragraphs and an .ods's cells (as a table) are read with odfpy."""
    odt = formats.odt(["Hello", f"SSN {ssns[0]}"])
    ods = formats.ods("Roster", [("Name", "SSN"), ("Doe", ssns[1])])
    message = formats.email_with(
        "x", [("a.odt", odt, "application/octet-stream"), ("b.ods", ods, "application/zip")]
    )
    _, findings = scan(detector, message)
    assert places(findings) == {
        ("attachment a.odt", 2, None, masked(ssns[0])),
        ("attachment b.ods sheet Roster", 2, "SSN", masked(ssns[1])),
    }


def test_pdf_text_of_every_page(detector: Detector, ssns: list[str]) -> None:
    """Text on the third page of a PDF written by fpdf2 is found."""
    data = formats.pdf(["first page", "second page", f"Name Doe\nSSN {ssns[0]}"])
    extraction, findings = scan(detector, attach("report.pdf", data, "application/pdf"))
    assert [f.masked for f in findings] == [masked(ssns[0])]
    assert findings[0].where == "attachment report.pdf"
    assert extraction.attachments[0].inspected


def test_text_formats_rtf_json_xml_tsv_and_html_table(detector: Detector, ssns: list[str]) -> None:
    """RTF, JSON, XML, TSV and an HTML table are read; the TSV and HTML tables by column."""
    html = f"<html><body><p>List</p><table><tr><th>Name</th><th>SSN</th></tr><tr><td>Doe</td><td>{ssns[4]}</td></tr></table></body></html>"  # noqa: E501
    message = formats.email_with(
        "x",
        [
            ("a.rtf", formats.rtf(f"Record\nSSN {ssns[0]}"), "application/rtf"),
            ("b.json", json.dumps({"person": {"ssn": ssns[1]}}).encode(), "application/json"),
            ("c.xml", f"<people><p ssn='{ssns[2]}'/></people>".encode(), "text/xml"),
            ("d.tsv", f"Name\tSSN\nDoe\t{ssns[3]}\n".encode(), "text/tab-separated-values"),
            ("e.html", html.encode(), "text/html"),
        ],
    )
    extraction, findings = scan(detector, message)
    assert extraction.unscannable == ()
    found = places(findings)
    assert ("attachment d.tsv", 2, "SSN", masked(ssns[3])) in found
    assert ("attachment e.html", 2, "SSN", masked(ssns[4])) in found
    assert {f.masked for f in findings} == {masked(s) for s in ssns[:5]}


def test_nested_zip_members_are_named_by_path(detector: Detector, ssns: list[str]) -> None:
    """A CSV in a zip in a zip is read and named ``outer.zip/inner.zip/people.csv``."""
    inner = formats.zip_of({"people.csv": f"Name,SSN\nDoe,{ssns[0]}\n".encode()})
    outer = formats.zip_of({"inner.zip": inner, "readme.txt": b"nothing here"})
    extraction, findings = scan(detector, attach("outer.zip", outer, "application/zip"))
    assert places(findings) == {
        ("attachment outer.zip/inner.zip/people.csv", 2, "SSN", masked(ssns[0]))
    }
    assert [a.name for a in extraction.attachments] == [
        "outer.zip",
        "outer.zip/inner.zip",
        "outer.zip/inner.zip/people.csv",
        "outer.zip/readme.txt",
    ]


def test_gzip_and_tar_gz(detector: Detector, ssns: list[str]) -> None:
    """A gzip'd CSV and a CSV inside a .tar.gz are read."""
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w:gz") as archive:
        payload = f"SSN\n{ssns[1]}\n".encode()
        info = tarfile.TarInfo("dir/list.csv")
        info.size = len(payload)
        archive.addfile(info, io.BytesIO(payload))
    message = formats.email_with(
        "x",
        [
            ("a.csv.gz", gzip.compress(f"SSN\n{ssns[0]}\n".encode()), "application/gzip"),
            ("b.tar.gz", tar_bytes.getvalue(), "application/gzip"),
        ],
    )
    _, findings = scan(detector, message)
    assert places(findings) == {
        ("attachment a.csv.gz/a.csv", 2, "SSN", masked(ssns[0])),
        ("attachment b.tar.gz/b.tar/dir/list.csv", 2, "SSN", masked(ssns[1])),
    }


def test_forwarded_message_with_a_zip_and_an_attached_eml(
    detector: Detector, ssns: list[str]
) -> None:
    """A message/rfc822 forward's zip is read; an .eml sent as octet-stream is parsed and its
    own attachment read as ``fwd.eml/list.csv``."""
    forwarded = formats.email_with(
        f"old body {ssns[0]}",
        [("f.zip", formats.zip_of({"x.csv": f"SSN\n{ssns[1]}\n".encode()}), "application/zip")],
    )
    attached = formats.email_with("inner", [("list.csv", f"SSN\n{ssns[2]}\n".encode(), "text/csv")])
    message = formats.email_with("Forwarding.")
    message.add_attachment(forwarded)
    message.add_attachment(
        attached.as_bytes(), maintype="application", subtype="octet-stream", filename="fwd.eml"
    )
    extraction, findings = scan(detector, message)
    assert extraction.unscannable == ()
    assert {f.masked for f in findings} == {masked(s) for s in ssns[:3]}
    assert ("attachment fwd.eml/list.csv", 2, "SSN", masked(ssns[2])) in places(findings)
    assert ("attachment f.zip/x.csv", 2, "SSN", masked(ssns[1])) in places(findings)


def test_tnef_winmail_dat_body_and_attachment(detector: Detector, ssns: list[str]) -> None:
    """A TNEF winmail.dat's body and its attachment are read."""
    data = formats.tnef(f"body {ssns[0]}", {"list.csv": f"SSN\n{ssns[1]}\n".encode()})
    _, findings = scan(detector, attach("winmail.dat", data, "application/ms-tnef"))
    assert places(findings) == {
        ("attachment winmail.dat", 1, None, masked(ssns[0])),
        ("attachment winmail.dat/list.csv", 2, "SSN", masked(ssns[1])),
    }


def test_type_is_sniffed_from_content_not_name(detector: Detector, ssns: list[str]) -> None:
    """A CSV named .jpg and typed image/jpeg is read as a table; a zip named .pdf as a zip."""
    message = formats.email_with(
        "x",
        [
            ("photo.jpg", f"Name,SSN\nDoe,{ssns[0]}\nRoe,{ssns[1]}\n".encode(), "image/jpeg"),
            ("scan.pdf", formats.zip_of({"a.txt": f"SSN {ssns[2]}".encode()}), "application/pdf"),
        ],
    )
    _, findings = scan(detector, message)
    assert places(findings) == {
        ("attachment photo.jpg", 2, "SSN", masked(ssns[0])),
        ("attachment photo.jpg", 3, "SSN", masked(ssns[1])),
        ("attachment scan.pdf/a.txt", 1, None, masked(ssns[2])),
    }


def test_rfc2231_and_encoded_word_filenames(detector: Detector, ssns: list[str]) -> None:
    """Non-ASCII file names, RFC 2231 (as the stdlib writes) and encoded-word (as Outlook
    writes), are decoded."""
    message = formats.email_with("x", [("Liste_ñ.csv", f"SSN\n{ssns[0]}\n".encode(), "text/csv")])
    raw = message.as_bytes()
    encoded_word = (
        b"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nhi\n"
        b'--b\nContent-Type: text/csv; name="=?UTF-8?B?TGlzdGVfw7EyLmNzdg==?="\n'
        b'Content-Disposition: attachment; filename="=?UTF-8?B?TGlzdGVfw7EyLmNzdg==?="\n\n'
        + f"SSN\n{ssns[1]}\n".encode()
        + b"--b--\n"
    )
    _, first = scan(detector, raw)
    _, second = scan(detector, encoded_word)
    assert [f.where for f in first] == ["attachment Liste_ñ.csv"]
    assert [f.where for f in second] == ["attachment Liste_ñ2.csv"]


@pytest.mark.parametrize(
    ("charset", "encoding", "words"),
    [
        ("utf-8", "base64", "名前 José —"),
        ("iso-8859-1", "quoted-printable", "José"),
        ("windows-1252", "8bit", "Jos\u00e9 \u2013"),
        ("iso-2022-jp", "7bit", "名前は"),
    ],
)
def test_body_charsets_and_transfer_encodings(
    detector: Detector, ssns: list[str], charset: str, encoding: str, words: str
) -> None:
    """A body in each common charset and transfer encoding is decoded and its SSN found."""
    message = EmailMessage()
    message["Subject"] = "x"
    text = f"{words} SSN {ssns[0]}\n"
    message.set_content(text.encode(charset), maintype="text", subtype="plain", cte=encoding)
    message.replace_header("Content-Type", f"text/plain; charset={charset}")
    extraction, findings = scan(detector, message)
    assert [(f.where, f.masked) for f in findings] == [("body", masked(ssns[0]))]
    assert words in extraction.segments[0].text


def test_base64_with_broken_padding_is_still_read(detector: Detector, ssns: list[str]) -> None:
    """A base64 body missing its padding is repaired and read (a note, not a block)."""
    import base64

    encoded = base64.b64encode(f"SSN {ssns[0]}!".encode()).rstrip(b"=")
    raw = b"Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n" + encoded + b"\n"
    extraction, findings = scan(detector, raw)
    assert [f.masked for f in findings] == [masked(ssns[0])]
    assert extraction.unscannable == ()


def test_outlook_msg_subject_body_and_attachment(detector: Detector, ssns: list[str]) -> None:
    """An Outlook .msg's body and its attachment (as ``mail.msg/list.csv``) are read."""
    data = formats.outlook_msg(
        "Roster", f"body SSN {ssns[0]}", {"list.csv": f"SSN\n{ssns[1]}\n".encode()}
    )
    extraction, findings = scan(detector, attach("mail.msg", data, "application/vnd.ms-outlook"))
    assert extraction.unscannable == ()
    assert places(findings) == {
        ("attachment mail.msg", 2, None, masked(ssns[0])),
        ("attachment mail.msg/list.csv", 2, "SSN", masked(ssns[1])),
    }


def test_xlsx_cells_keep_their_row_and_column(detector: Detector, ssns: list[str]) -> None:
    """A value in C4 of a sheet whose data starts at C3 is reported at line 4, column C."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active["C3"] = "notes"
    book.active["C4"] = f"id {ssns[0]}"
    out = io.BytesIO()
    book.save(out)
    _, findings = scan(detector, attach("offset.xlsx", out.getvalue()))
    assert places(findings) == {("attachment offset.xlsx sheet Sheet", 4, "C", masked(ssns[0]))}
