"""Images read through the whole screen (parse → extract with OCR → detect → decide), with the
real Tesseract engine in real worker processes, on scans generated from a seed."""

from __future__ import annotations

import contextlib
import email
import email.policy
import io
import random
import zipfile
import zlib
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from PIL import Image

from piigate.config import Settings
from piigate.model import Action, Envelope, Screening
from piigate.ocr.reader import FROM_IMAGE
from piigate.pipeline import Screener, build_screener
from tests.detection.generate import Values
from tests.ocr.corpus import (
    DEGRADATIONS,
    docx_with_image,
    encoded,
    form_lines,
    logo,
    multipage,
    phone_photo,
    precision_set,
    render_lines,
    render_sheet,
)
from tests.synthetic import message

EXTERNAL = Envelope("alice@dhs.gov", ("bob@fbi.gov",))
INTERNAL = Envelope("alice@dhs.gov", ("carol@dhs.gov",))


@pytest.fixture(scope="module")
def ocr_screener(shipped_settings: Settings) -> Iterator[Screener]:
    """Its own screener, so that its image reader's cache and OCR count are this module's."""
    screener = build_screener(shipped_settings)
    yield screener
    screener.close()


@contextlib.contextmanager
def screener_for(settings: Settings) -> Iterator[Screener]:
    """A screener built for ``settings``, its worker processes stopped afterwards."""
    screener = build_screener(settings)
    try:
        yield screener
    finally:
        screener.close()


def screen(
    screener: Screener, *attachments: tuple[str, bytes, str], to: Envelope = EXTERNAL
) -> Screening:
    raw = message(body="Please see attached.\n", attachments=attachments)
    return screener.screen(to, raw)


def ssn_places(screening: Screening) -> set[str]:
    return {f.where for f in screening.detection.findings if f.entity_type == "US_SSN"}


def form_png(seed: int, dpi: int = 200) -> tuple[bytes, frozenset[tuple[str, str]]]:
    lines, truth = form_lines(Values(random.Random(seed)), 2)
    return encoded(render_lines(lines, dpi), "PNG", dpi), truth


def test_a_scanned_form_is_refused_for_an_external_recipient_naming_the_place(
    ocr_screener: Screener,
) -> None:
    """A PNG scan of a form with SSNs is refused for an external recipient; the finding's place
    and the sender's sentence say the text was read from the image."""
    png, truth = form_png(1)
    screening = screen(ocr_screener, ("scan.png", png, "image/png"))
    assert screening.verdict.action is Action.REJECT
    assert ssn_places(screening) == {f"attachment scan.png {FROM_IMAGE}"}
    found = {(f.entity_type, f.key) for f in screening.detection.findings}
    assert truth <= found
    assert FROM_IMAGE in screening.verdict.violations[0].message


def test_a_phone_photo_of_a_spreadsheet_is_refused(ocr_screener: Screener) -> None:
    """A JPEG phone photo (perspective, blur, grey paper) of a spreadsheet of SSNs is read."""
    v = Values(random.Random(2))
    sheet, truth = render_sheet(v, 4, 200)
    photo = encoded(phone_photo(sheet, v.rng), "JPEG")
    screening = screen(ocr_screener, ("IMG_2041.jpg", photo, "image/jpeg"))
    assert screening.verdict.action is Action.REJECT
    ssns = {key for kind, key in truth if kind == "US_SSN"}
    assert ssns <= {f.key for f in screening.detection.findings}


def test_every_page_of_a_fax_tiff_is_read_and_named(ocr_screener: Screener) -> None:
    """A two-page 1-bit (group 4) TIFF fax: the SSN on page 2 is found, placed on page 2."""
    first, _ = form_png(3)
    lines, truth = form_lines(Values(random.Random(4)), 1)
    pages = [Image.open(io.BytesIO(first)).convert("1"), render_lines(lines, 200).convert("1")]
    screening = screen(ocr_screener, ("fax.tif", multipage(pages, "TIFF"), "image/tiff"))
    page_two = {f.key for f in screening.detection.findings if ", page 2 " in f.where}
    assert {key for kind, key in truth if kind == "US_SSN"} <= page_two
    assert f"attachment fax.tif, page 2 {FROM_IMAGE}" in ssn_places(screening)


def test_an_image_only_pdf_page_is_rendered_and_read(ocr_screener: Screener) -> None:
    """A PDF whose pages are only scans (no text layer) has each page rendered and read."""
    lines, truth = form_lines(Values(random.Random(5)), 2)
    pdf = multipage([render_lines(["Cover sheet"], 200), render_lines(lines, 200)], "PDF")
    screening = screen(ocr_screener, ("scan.pdf", pdf, "application/pdf"))
    assert screening.verdict.action is Action.REJECT
    assert ssn_places(screening) == {f"attachment scan.pdf, page 2 {FROM_IMAGE}"}
    assert truth <= {(f.entity_type, f.key) for f in screening.detection.findings}


def test_a_scan_pasted_into_a_word_file_is_read(ocr_screener: Screener) -> None:
    """The picture in a .docx is read as a member of the document, and named as such."""
    lines, _ = form_lines(Values(random.Random(6)), 2)
    document = docx_with_image(render_lines(lines, 200))
    docx_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    screening = screen(ocr_screener, ("memo.docx", document, docx_type))
    assert screening.verdict.action is Action.REJECT
    assert ssn_places(screening) == {f"attachment memo.docx/word/media/image1.png {FROM_IMAGE}"}


@pytest.mark.parametrize(
    ("fmt", "name", "mime"), [("GIF", "scan.gif", "image/gif"), ("WEBP", "scan.webp", "image/webp")]
)
def test_gif_and_webp_scans_are_read(
    ocr_screener: Screener, fmt: str, name: str, mime: str
) -> None:
    """A scan saved as GIF or WebP is identified by its bytes and read like a PNG."""
    lines, truth = form_lines(Values(random.Random(12)), 2)
    image = render_lines(lines, 200).convert("L")
    screening = screen(ocr_screener, (name, encoded(image, fmt), mime))
    assert screening.verdict.action is Action.REJECT
    assert ssn_places(screening) == {f"attachment {name} {FROM_IMAGE}"}
    assert {t for t in truth if t[0] == "US_SSN"} <= {
        (f.entity_type, f.key) for f in screening.detection.findings
    }


def test_a_scan_on_a_slide_is_read(ocr_screener: Screener) -> None:
    """The picture on a PowerPoint slide is read as a member of the deck, and named as such."""
    import pptx
    from pptx.util import Inches

    lines, _ = form_lines(Values(random.Random(13)), 2)
    deck = pptx.Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[6])
    picture = io.BytesIO(encoded(render_lines(lines, 200), "PNG"))
    slide.shapes.add_picture(picture, Inches(0.5), Inches(0.5), width=Inches(9))
    out = io.BytesIO()
    deck.save(out)
    pptx_type = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    screening = screen(ocr_screener, ("deck.pptx", out.getvalue(), pptx_type))
    assert screening.verdict.action is Action.REJECT
    assert ssn_places(screening) == {f"attachment deck.pptx/ppt/media/image1.png {FROM_IMAGE}"}


def test_a_repeated_signature_logo_costs_one_ocr_per_process(ocr_screener: Screener) -> None:
    """The same logo in three messages is read once: the others take the remembered text."""
    image = encoded(logo(random.Random(7)), "PNG")
    before = ocr_screener.images.ocr_runs if ocr_screener.images else 0
    for _ in range(3):
        screening = screen(ocr_screener, ("logo.png", image, "image/png"))
        assert screening.verdict.action is Action.DELIVER
    assert ocr_screener.images is not None
    assert ocr_screener.images.ocr_runs == before + 1


def test_tiny_images_are_skipped_without_ocr(ocr_screener: Screener) -> None:
    """A tracking pixel and a 40x40 icon are not read (and not held as unscannable)."""
    assert ocr_screener.images is not None
    before = ocr_screener.images.ocr_runs
    pixel = encoded(Image.new("RGB", (1, 1), (255, 255, 255)), "PNG")
    noise = Image.effect_noise((40, 40), 80).convert("RGB")
    icon = encoded(noise, "BMP")
    screening = screen(ocr_screener, ("p.png", pixel, "image/png"), ("i.bmp", icon, "image/bmp"))
    assert screening.verdict.action is Action.DELIVER
    assert not screening.extraction.defects
    assert ocr_screener.images.ocr_runs == before


def test_images_without_pii_have_no_finding(ocr_screener: Screener) -> None:
    """Logos, charts, screenshots of business mail and photos: read, and nothing found."""
    images = [
        (f"{label}.png", encoded(image, "PNG"), "image/png")
        for label, image in precision_set(each=1)
    ]
    screening = screen(ocr_screener, *images)
    assert screening.detection.findings == ()
    assert screening.verdict.action is Action.DELIVER


def test_pictures_with_no_text_are_read_as_empty(ocr_screener: Screener) -> None:
    """A blank white picture and one of plain stripes (JPEGs of a few KB, as in python-pptx's
    test decks), where the engine finds boxes but no text, are read as empty: no defect."""
    blank = Image.new("RGB", (640, 480), (255, 255, 255))
    stripes = Image.new("RGB", (640, 480), (255, 255, 255))
    for x in range(0, 640, 7):
        stripes.paste((0, 0, 0), (x, 0, x + 2, 480))
    pictures = [encoded(image, "JPEG") for image in (blank, stripes)]
    assert min(len(data) for data in pictures) > 1024  # large enough to be read
    attached = [(f"p{n}.jpg", data, "image/jpeg") for n, data in enumerate(pictures)]
    screening = screen(ocr_screener, *attached)
    assert screening.extraction.defects == ()
    assert screening.verdict.action is Action.DELIVER


def _bomb_png(side: int) -> bytes:
    """A grey PNG of ``side`` x ``side`` white pixels, a few hundred KB on the wire."""
    row = b"\x00" + b"\xff" * side
    body = zlib.compress(row * side, 9)
    header = side.to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0])

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data).to_bytes(4, "big")
        return len(data).to_bytes(4, "big") + kind + data + crc

    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


def test_a_decompression_bomb_is_unscannable_not_decoded(ocr_screener: Screener) -> None:
    """A 20,000 x 20,000 PNG (400 megapixels, small on the wire) is held as unscannable for an
    external recipient, without being decoded."""
    screening = screen(ocr_screener, ("bomb.png", _bomb_png(20_000), "image/png"))
    assert screening.verdict.action is Action.QUARANTINE
    assert [d.where for d in screening.extraction.unscannable] == ["attachment bomb.png"]
    assert "megapixels" in screening.extraction.unscannable[0].reason


def test_ocr_that_cannot_finish_in_its_time_holds_the_message(shipped_settings: Settings) -> None:
    """With no OCR time to spare the image is unscannable: held for external mail, not passed."""
    ocr = shipped_settings.ocr.model_copy(update={"timeout": 0.001})
    png, _ = form_png(8)
    with screener_for(shipped_settings.model_copy(update={"ocr": ocr})) as screener:
        screening = screen(screener, ("scan.png", png, "image/png"))
    assert screening.verdict.action is Action.QUARANTINE
    assert "the text in the image took too long" in screening.extraction.unscannable[0].reason


def test_without_the_engine_images_are_unscannable_for_external_mail(
    shipped_settings: Settings, tmp_path: Path
) -> None:
    """No OCR model on the machine: an image is held for an external recipient, delivered
    internally, and the reader says why."""
    ocr = shipped_settings.ocr.model_copy(update={"tessdata": tmp_path})
    png, _ = form_png(9)
    with screener_for(shipped_settings.model_copy(update={"ocr": ocr})) as screener:
        assert screener.images is not None
        assert screener.images.missing is not None
        external = screen(screener, ("scan.png", png, "image/png"))
        internal = screen(screener, ("scan.png", png, "image/png"), to=INTERNAL)
    assert external.verdict.action is Action.QUARANTINE
    assert internal.verdict.action is Action.DELIVER


def test_recall_on_a_representative_set_of_degraded_scans(ocr_screener: Screener) -> None:
    """At 200 dpi, forms and spreadsheet screenshots degraded as real scans are (rotated, JPEG
    50, fax dithering, phone photo) give SSN recall >= 0.95 and name+DOB recall >= 0.90 (the
    full corpus is in bench/bench_ocr_engines.py)."""
    v = Values(random.Random(16))
    attachments, truth = [], set()
    for number, (name, degrade) in enumerate(DEGRADATIONS.items()):
        if number % 2:
            lines, found = form_lines(v, 2)
            page = render_lines(lines, 200)
        else:
            page, found = render_sheet(v, 3, 200)
        attachments.append((f"{name}.png", encoded(degrade(page, v.rng), "PNG"), "image/png"))
        truth |= found
    screening = screen(ocr_screener, *attachments)
    found = {(f.entity_type, f.key) for f in screening.detection.findings}
    for entity, floor in (("US_SSN", 0.95), ("DATE_OF_BIRTH", 0.90)):
        wanted = {t for t in truth if t[0] == entity}
        assert len(wanted & found) / len(wanted) >= floor, entity


def test_a_scan_inside_a_zip_inside_a_forward_is_read(ocr_screener: Screener) -> None:
    """An image is read wherever the walker meets it: here in a zip attached to a forwarded
    message, named by its path."""
    png, truth = form_png(12)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as folder:
        folder.writestr("scans/form.png", png)
    inner = message(
        body="fwd\n", attachments=(("forms.zip", archive.getvalue(), "application/zip"),)
    )
    outer = email.message_from_bytes(message(body="See below.\n"), policy=email.policy.default)
    assert isinstance(outer, EmailMessage)
    outer.add_attachment(email.message_from_bytes(inner, policy=email.policy.default))
    screening = ocr_screener.screen(EXTERNAL, outer.as_bytes())
    assert screening.verdict.action is Action.REJECT
    assert {(f.entity_type, f.key) for f in screening.detection.findings} >= truth
    places = ssn_places(screening)
    assert places and all(f"forms.zip/scans/form.png {FROM_IMAGE}" in place for place in places)
