"""The OCR corpus, generated from a seed: scans of forms and spreadsheets holding synthetic
people (name, date of birth, SSN), rendered with Pillow in the DejaVu fonts (Debian
``fonts-dejavu-core``, installed by ``make ocr-engine``) at 150, 200 and 300 dpi, then degraded
the way real scans are; and a precision set of images that hold no PII.

Truth is (entity type, key) as in ``tests.detection.generate``: ``("US_SSN", digits)`` and
``("DATE_OF_BIRTH", "first last|YYYY-MM-DD")``.
"""

from __future__ import annotations

import io
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from tests.detection.generate import Truth, Values, business_mail

FONT_DIR = "/usr/share/fonts/truetype/dejavu"
FONTS = ("DejaVuSans.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf")
DPIS = (150, 200, 300)
POINT_SIZE = 11


@dataclass(frozen=True)
class Scan:
    """One image of a page (grey scale, white paper) and what a perfect reader finds in it."""

    label: str
    dpi: int
    image: Image.Image = field(repr=False)
    truth: Truth = frozenset()


def font(dpi: int, name: str = FONTS[0], points: float = POINT_SIZE) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(f"{FONT_DIR}/{name}", round(points * dpi / 72))


def _person(v: Values) -> tuple[str, str, str, Truth]:
    """(name, dob, ssn) as written, and the truth for them."""
    name, key = v.name()
    shown, iso = v.dob()
    digits = v.ssn()
    truth = frozenset({("US_SSN", digits), ("DATE_OF_BIRTH", f"{key}|{iso}")})
    return name, shown, v.ssn_text(digits), truth


def form_lines(v: Values, people: int) -> tuple[list[str], Truth]:
    """An intake form: one block of labelled lines per person."""
    lines = ["CASE INTAKE FORM - Office of Field Operations", ""]
    truth: set[tuple[str, str]] = set()
    for number in range(1, people + 1):
        name, dob, ssn, found = _person(v)
        truth |= found
        lines += [
            f"Applicant {number}",
            f"Name: {name}",
            f"Date of Birth: {dob}",
            f"Social Security Number: {ssn}",
            f"Office: Room {v.rng.randint(100, 999)}, Building {v.rng.choice('ABCDE')}",
            "",
        ]
    return lines, frozenset(truth)


def render_lines(lines: list[str], dpi: int, font_name: str = FONTS[0]) -> Image.Image:
    """Black text on white paper, a page wide (8.5 in) and as tall as the text, 1 in margins."""
    face = font(dpi, font_name)
    step = round(face.size * 1.5)
    width, margin = round(8.5 * dpi), dpi
    image = Image.new("L", (width, 2 * margin + step * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(lines):
        draw.text((margin, margin + row * step), line, fill=0, font=face)
    return image


def render_sheet(v: Values, people: int, dpi: int) -> tuple[Image.Image, Truth]:
    """A screenshot of a spreadsheet: a grid with Name, Date of Birth and SSN columns."""
    face = font(dpi, FONTS[0], 10)
    columns = (("Name", 3.0), ("Date of Birth", 1.8), ("SSN", 1.6))
    row_height, margin = round(face.size * 1.8), dpi // 2
    width = margin * 2 + round(sum(w for _, w in columns) * dpi)
    image = Image.new("L", (width, margin * 2 + row_height * (people + 1)), 255)
    draw = ImageDraw.Draw(image)
    rows: list[tuple[str, ...]] = [tuple(title for title, _ in columns)]
    truth: set[tuple[str, str]] = set()
    for _ in range(people):
        name, dob, ssn, found = _person(v)
        rows.append((name, dob, ssn))
        truth |= found
    for index, cells in enumerate(rows):
        top, left = margin + index * row_height, margin
        if index == 0:
            draw.rectangle((margin, top, width - margin, top + row_height), fill=225)
        for cell, (_, inches) in zip(cells, columns, strict=True):
            draw.rectangle((left, top, left + round(inches * dpi), top + row_height), outline=150)
            draw.text((left + dpi // 12, top + row_height // 5), cell, fill=0, font=face)
            left += round(inches * dpi)
    return image, frozenset(truth)


# -- degradations ----------------------------------------------------------------------------


def rotated(image: Image.Image, rng: random.Random) -> Image.Image:
    angle = rng.choice((-1, 1)) * rng.uniform(1.0, 3.0)
    return image.rotate(angle, Image.Resampling.BICUBIC, expand=True, fillcolor=255)


def jpeg(image: Image.Image, quality: int = 50) -> Image.Image:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return Image.open(io.BytesIO(out.getvalue())).convert("L")


def fax(image: Image.Image, rng: random.Random) -> Image.Image:
    """A fax: slightly smeared, then 1-bit with Floyd-Steinberg dithering."""
    smeared = image.filter(ImageFilter.GaussianBlur(0.6))
    noisy = Image.eval(smeared, lambda p: min(255, max(0, p + rng.randint(-25, 25))))
    return noisy.convert("1").convert("L")


def phone_photo(image: Image.Image, rng: random.Random) -> Image.Image:
    """A phone photo of the page: perspective (corners pulled in up to 4 %), blur, grey paper."""
    width, height = image.size
    pull = [rng.uniform(0.0, 0.04) for _ in range(8)]
    corners = [
        (pull[0] * width, pull[1] * height),
        (width - pull[2] * width, pull[3] * height),
        (width - pull[4] * width, height - pull[5] * height),
        (pull[6] * width, height - pull[7] * height),
    ]
    target = [(0, 0), (width, 0), (width, height), (0, height)]
    coefficients = _perspective(target, corners)
    warped = image.transform(
        image.size,
        Image.Transform.PERSPECTIVE,
        coefficients,
        Image.Resampling.BICUBIC,
        fillcolor=90,
    )
    paper = Image.eval(warped, lambda p: 40 + p * 175 // 255)
    return paper.filter(ImageFilter.GaussianBlur(rng.uniform(0.8, 1.3)))


def _perspective(
    target: list[tuple[float, float]], source: list[tuple[float, float]]
) -> tuple[float, ...]:
    """Pillow's eight coefficients mapping ``target`` corners to ``source`` corners."""
    import numpy as np

    matrix, vector = [], []
    for (x, y), (u, w) in zip(target, source, strict=True):
        matrix.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        matrix.append([0, 0, 0, x, y, 1, -w * x, -w * y])
        vector += [u, w]
    solved = np.linalg.solve(np.array(matrix, float), np.array(vector, float))
    return tuple(float(c) for c in solved)


DEGRADATIONS: dict[str, Callable[[Image.Image, random.Random], Image.Image]] = {
    "clean": lambda image, rng: image,
    "rotated": rotated,
    "jpeg50": lambda image, rng: jpeg(image),
    "fax": fax,
    "phone": phone_photo,
}


def scans(seed: int = 16, per_cell: int = 2, people: int = 3) -> Iterator[Scan]:
    """For each dpi and degradation, ``per_cell`` forms and one spreadsheet screenshot."""
    v = Values(random.Random(seed))
    for dpi in DPIS:
        for degradation, degrade in DEGRADATIONS.items():
            for number in range(per_cell):
                lines, truth = form_lines(v, people)
                page = render_lines(lines, dpi, FONTS[number % len(FONTS)])
                yield Scan(f"form-{dpi}-{degradation}-{number}", dpi, degrade(page, v.rng), truth)
            sheet, truth = render_sheet(v, people + 2, dpi)
            yield Scan(f"sheet-{dpi}-{degradation}", dpi, degrade(sheet, v.rng), truth)


# -- the precision set: images with no PII --------------------------------------------------


def logo(rng: random.Random) -> Image.Image:
    image = Image.new("RGB", (420, 140), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    colour = (rng.randint(0, 120), rng.randint(40, 160), rng.randint(100, 220))
    draw.ellipse((15, 15, 125, 125), fill=colour)
    draw.text((145, 40), "Northwind Field Office", fill=colour, font=font(150, FONTS[0], 14))
    draw.text((145, 85), "Serving since 1998", fill=(90, 90, 90), font=font(150, FONTS[1], 9))
    return image


def chart(rng: random.Random) -> Image.Image:
    """A bar chart of yearly counts, axis labels and a title."""
    image = Image.new("RGB", (900, 600), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    face = font(150, FONTS[0], 9)
    draw.text((250, 20), "Cases closed per fiscal year", fill=(0, 0, 0), font=face)
    draw.line((100, 520, 860, 520), fill=(0, 0, 0), width=2)
    draw.line((100, 80, 100, 520), fill=(0, 0, 0), width=2)
    for tick in range(0, 5):
        y = 520 - tick * 100
        draw.text((30, y - 12), f"{tick * 250:,}", fill=(0, 0, 0), font=face)
    for index, year in enumerate(range(2019, 2026)):
        height = rng.randint(60, 420)
        left = 130 + index * 105
        draw.rectangle((left, 520 - height, left + 70, 520), fill=(60, 110, 180))
        draw.text((left + 2, 535), str(year), fill=(0, 0, 0), font=face)
    return image


def mail_screenshot(v: Values) -> Image.Image:
    """A screenshot of ordinary business mail (no PII) in a mail client's reading pane."""
    body = ""
    while len(body) < 900:
        text, truth = business_mail(v)
        if not truth:
            body += text + "\n\n"
    header = ["From: Operations Desk <ops@dhs.gov>", "To: Field Staff", "Subject: Weekly update"]
    lines = [*header, "", *[line[:95] for line in body.splitlines()][:30]]
    return render_lines(lines, 110).convert("RGB")


def photo(rng: random.Random) -> Image.Image:
    """A photo-like image: smooth colour gradients with blurred shapes and noise, no text."""
    width, height = 800, 600
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        shade = int(120 + 80 * math.sin(y / 90))
        draw.line((0, y, width, y), fill=(shade // 2, shade, 200 - shade // 3))
    for _ in range(12):
        x, y, r = rng.randint(0, width), rng.randint(0, height), rng.randint(20, 120)
        colour = (rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    noise = Image.effect_noise((width, height), 30).convert("RGB")
    return Image.blend(image.filter(ImageFilter.GaussianBlur(6)), noise, 0.15)


def precision_set(seed: int = 61, each: int = 2) -> Iterator[tuple[str, Image.Image]]:
    v = Values(random.Random(seed))
    for number in range(each):
        yield f"logo-{number}", logo(v.rng)
        yield f"chart-{number}", chart(v.rng)
        yield f"screenshot-{number}", mail_screenshot(v)
        yield f"photo-{number}", photo(v.rng)


# -- files ------------------------------------------------------------------------------------


def encoded(image: Image.Image, fmt: str, dpi: int = 200) -> bytes:
    out = io.BytesIO()
    options: dict[str, object] = {"dpi": (dpi, dpi)}
    if fmt == "JPEG":
        options["quality"] = 85
    image.save(out, fmt, **options)
    return out.getvalue()


def multipage(images: list[Image.Image], fmt: str, dpi: int = 200) -> bytes:
    """A multi-page TIFF (``fmt="TIFF"``, fax compression when 1-bit) or image-only PDF."""
    out = io.BytesIO()
    first, *rest = images
    options: dict[str, object] = {"save_all": True, "append_images": rest}
    if fmt == "PDF":
        options["resolution"] = float(dpi)
    elif first.mode == "1":
        options["compression"] = "group4"
    first.save(out, fmt, **options)
    return out.getvalue()


def docx_with_image(image: Image.Image, text: str = "Please see the scanned form below.") -> bytes:
    """A Word document with ``text`` and the image pasted under it."""
    import docx
    from docx.shared import Inches

    document = docx.Document()
    document.add_paragraph(text)
    document.add_picture(io.BytesIO(encoded(image, "PNG")), width=Inches(6))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
