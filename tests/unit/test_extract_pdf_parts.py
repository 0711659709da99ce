"""Everything inside a PDF besides its page text: form values, XFA data, annotations,
metadata, bookmarks, hidden layers and attached files, each found at the place it was put."""

from __future__ import annotations

import logging
import random

import pypdfium2 as pdfium
import pytest

from piigate.config import ExtractionSettings
from piigate.detect import Detector
from piigate.extract.content import Blob
from piigate.extract.limits import Budget
from piigate.extract.pdf import read_pdf
from piigate.model import Grade
from tests import embedded_formats, formats
from tests.synthetic import ssn
from tests.unit.test_extract_formats import attach, masked, scan


@pytest.fixture
def ssns() -> list[str]:
    rng = random.Random(15)
    return [ssn(rng) for _ in range(8)]


def found(detector: Detector, name: str, data: bytes) -> set[tuple[str, str]]:
    extraction, findings = scan(detector, attach(name, data, "application/pdf"))
    assert extraction.unscannable == ()
    return {(f.where, f.masked) for f in findings}


@pytest.mark.parametrize("appearance", [True, False])
def test_filled_form_field_values_are_read(
    detector: Detector, ssns: list[str], appearance: bool
) -> None:
    """A value typed into a form field (with or without an appearance stream) is found in
    ``form fields``, on every page of the form."""
    data = embedded_formats.pdf_form({"ssn": ssns[0], "name": "Doe"}, 2, appearance)
    _, findings = scan(detector, attach("form.pdf", data, "application/pdf"))
    assert [(f.where, f.masked) for f in findings] == [
        ("attachment form.pdf form fields", masked(ssns[0])),
        ("attachment form.pdf form fields", masked(ssns[0])),
    ]


def test_xfa_form_data_is_read(detector: Detector, ssns: list[str]) -> None:
    """A value in an XFA form's datasets packet is found in ``XFA datasets``."""
    data = embedded_formats.pdf_xfa(embedded_formats.xfa_datasets({"ssn": ssns[0]}))
    assert found(detector, "xfa.pdf", data) == {
        ("attachment xfa.pdf XFA datasets", masked(ssns[0]))
    }


def test_annotations_bookmarks_metadata_and_hidden_layer(
    detector: Detector, ssns: list[str]
) -> None:
    """A sticky note, a FreeText box, a bookmark title, the document title, XMP metadata and
    text in a layer that is off when viewed are each found, named by their place."""
    data = embedded_formats.pdf_annotated(
        comment=f"SSN {ssns[0]}",
        free_text=f"SSN {ssns[1]}",
        bookmark=f"SSN {ssns[2]}",
        title=f"SSN {ssns[3]}",
        xmp=f"SSN {ssns[4]}",
        hidden_layer=f"SSN {ssns[5]}",
    )
    assert found(detector, "notes.pdf", data) == {
        ("attachment notes.pdf annotations", masked(ssns[0])),
        ("attachment notes.pdf annotations", masked(ssns[1])),
        ("attachment notes.pdf bookmarks", masked(ssns[2])),
        ("attachment notes.pdf document information", masked(ssns[3])),
        ("attachment notes.pdf XMP metadata", masked(ssns[4])),
        ("attachment notes.pdf", masked(ssns[5])),
    }


def test_attached_files_are_members_read_like_attachments(
    detector: Detector, ssns: list[str]
) -> None:
    """A workbook in the EmbeddedFiles tree and a CSV on a FileAttachment annotation are
    read as members of the PDF (``form.pdf/data.xlsx``), each recorded once."""
    workbook = formats.xlsx({"People": [("Name", "SSN"), ("Doe", ssns[0])]})
    listing = f"Name,SSN\nRoe,{ssns[1]}\n".encode()
    data = embedded_formats.pdf_with_files({"data.xlsx": workbook}, {"list.csv": listing})
    extraction, findings = scan(detector, attach("form.pdf", data, "application/pdf"))
    assert {(f.where, f.masked) for f in findings} == {
        ("attachment form.pdf/data.xlsx sheet People", masked(ssns[0])),
        ("attachment form.pdf/list.csv", masked(ssns[1])),
    }
    assert [a.name for a in extraction.attachments] == [
        "form.pdf",
        "form.pdf/data.xlsx",
        "form.pdf/list.csv",
    ]


def test_parts_of_an_encrypted_pdf_are_read_once_it_opens(
    detector: Detector, ssns: list[str]
) -> None:
    """A filled form encrypted with a password sent in the same message: once the password
    opens it, its field values are read too."""
    plain = embedded_formats.pdf_form({"ssn": ssns[0]})
    locked = formats.encrypted_pdf(plain, "Tiger-Lily-42", "AES-256")
    message = formats.email_with(
        "The password is Tiger-Lily-42", [("form.pdf", locked, "application/pdf")]
    )
    _, findings = scan(detector, message)
    assert {(f.where, f.masked) for f in findings} == {
        ("attachment form.pdf form fields", masked(ssns[0]))
    }


def test_pdf_without_pages_is_read_whatever_was_read_before(
    detector: Detector, ssns: list[str]
) -> None:
    """An empty-page-tree PDF gets the same reading (its metadata, found) whether the process
    last read nothing, an encrypted PDF or a broken one: PDFium's global last-error code
    from an earlier document no longer decides how this one is read."""
    empty = embedded_formats.pdf_without_pages({"/Title": f"SSN {ssns[0]}"})
    locked = formats.encrypted_pdf(formats.pdf(["x"]), "secret-pw", "AES-256")
    budget = Budget(ExtractionSettings())
    expected = {("attachment empty.pdf document information", masked(ssns[0]))}
    for before in (None, locked, b"%PDF-1.4 broken"):
        if before is not None:
            with pytest.raises(pdfium.PdfiumError):
                pdfium.PdfDocument(before)  # leaves PDFium's last error set
        content = read_pdf(Blob("empty.pdf", empty, "application/pdf"), budget)
        assert content.lock is None and content.defects == []
        assert found(detector, "empty.pdf", empty) == expected


def test_an_owner_password_only_empty_pdf_is_not_graded_encrypted_after_a_locked_one() -> None:
    """A page-less PDF encrypted with an owner password only (anyone may open it) read right
    after a password-locked PDF is read as plain, not graded as locked."""
    from io import BytesIO

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.encrypt("", owner_password="owner", algorithm="AES-256")
    out = BytesIO()
    writer.write(out)
    locked = formats.encrypted_pdf(formats.pdf(["x"]), "secret-pw", "AES-256")
    budget = Budget(ExtractionSettings())
    assert read_pdf(Blob("a.pdf", locked), budget).lock is not None
    content = read_pdf(Blob("b.pdf", out.getvalue()), budget)
    assert content.lock is None
    assert content.grade in (None, Grade.PLAINTEXT)


def test_cyclic_outline_is_read_once_and_its_titles_stay_out_of_logs(
    detector: Detector, ssns: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    """Bookmarks that point at each other are each read once (the walk ends), and no title
    reaches a log record (pypdf's own outline reader logs the looping item, title and all)."""
    data = embedded_formats.pdf_with_cyclic_outline(f"Case {ssns[0]}")
    with caplog.at_level(logging.DEBUG):
        result = found(detector, "loop.pdf", data)
    assert result == {("attachment loop.pdf bookmarks", masked(ssns[0]))}
    assert not [r for r in caplog.records if ssns[0] in r.getMessage()]


def test_text_deleted_by_an_incremental_save_is_read_from_the_earlier_revision(
    detector: Detector, ssns: list[str]
) -> None:
    """A line deleted from a page and saved incrementally (its old bytes left in the file)
    is found in ``earlier revision 1``; the line both revisions show is read once."""
    data = embedded_formats.pdf_saved_over(f"Public text\nSSN {ssns[0]}", "Public text")
    extraction, findings = scan(detector, attach("memo.pdf", data, "application/pdf"))
    assert extraction.unscannable == ()
    assert {(f.where, f.masked) for f in findings} == {
        ("attachment memo.pdf earlier revision 1", masked(ssns[0]))
    }
    [earlier] = [s for s in extraction.segments if s.where.endswith("earlier revision 1")]
    assert "Public text" not in earlier.text


def test_attached_file_past_the_member_limit_is_a_defect_and_the_rest_is_read(
    ssns: list[str],
) -> None:
    """A file attached to a PDF that is larger than ``max_member_bytes`` is a blocking defect
    naming it, while the PDF's page text and its other attached file are still read."""
    from piigate.extract import extract
    from piigate.parse import parse_message

    data = embedded_formats.pdf_with_files(
        {"big.txt": b"x" * 5000, "small.txt": f"SSN {ssns[0]}".encode()}, {}
    )
    raw = attach("case.pdf", data, "application/pdf").as_bytes()
    extraction = extract(parse_message(raw), settings=ExtractionSettings(max_member_bytes=4096))
    assert [d.where for d in extraction.defects if d.blocking] == ["attachment case.pdf/big.txt"]
    assert {s.where for s in extraction.segments} >= {
        "attachment case.pdf",
        "attachment case.pdf/small.txt",
    }
