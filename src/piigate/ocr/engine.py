"""The OCR work itself, as it runs in a worker process: image bytes in, page texts out.

``read_pages`` is a top-level function of picklable values (bytes and a frozen ``PageLimits``)
returning plain data, so any process pool can run it. It opens the image with Pillow (its
own decompression-bomb guard set to our pixel limit), takes every frame of a multi-page TIFF
(the first of a GIF or other animation), turns each to grey, scales down what is larger than
``max_side`` on its longer side and up what is too small to read, and reads it with Tesseract
(tesserocr: the C++ API in the process, its English model loaded once per worker).
"""

from __future__ import annotations

import functools
import io
import itertools
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageFilter, ImageOps, ImageSequence

ENGINE = "tesseract"
MULTI_PAGE_FORMATS = frozenset({"TIFF", "MPO"})
"""Formats whose frames are pages; other animations (GIF, WebP, APNG) are read on frame one."""


@dataclass(frozen=True, slots=True)
class PageLimits:
    tessdata: str
    max_pixels: int
    """Pixels of one image, all its pages together; past it the image is not decoded."""
    max_pages: int
    max_side: int
    """Longer side, in pixels, a page is scaled down to before it is read."""
    min_side: int = 64


@dataclass(frozen=True, slots=True)
class PageText:
    number: int
    """1-based; 0 for an image that is a single page."""
    text: str


class ImageTooLarge(Exception):  # noqa: N818 (the worker's plain signal, translated by the reader)
    """The image's pixels are past the limit (a decompression bomb, or just too big)."""


def engine_missing(tessdata: str) -> str | None:
    """Why the OCR engine cannot run here, or None when it can (cheap: no model loaded)."""
    try:
        import tesserocr  # noqa: F401, PLC0415 (probing the optional native engine)
    except ImportError:
        return "tesserocr is not installed"
    if not (Path(tessdata) / "eng.traineddata").is_file():
        return f"no English model in {tessdata} (Debian package tesseract-ocr-eng)"
    return None


def read_pages(data: bytes, limits: PageLimits) -> tuple[PageText, ...]:
    """The text of each page of the image in ``data`` (runs in a worker process)."""
    Image.MAX_IMAGE_PIXELS = limits.max_pixels  # this worker's own guard; set per call
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return tuple(_read_frames(Image.open(io.BytesIO(data)), limits))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageTooLarge(str(exc)) from None


def _read_frames(image: Image.Image, limits: PageLimits) -> Iterator[PageText]:
    """Each page decoded, read and let go before the next (a long fax holds one page)."""
    api = _tesseract(limits.tessdata)
    many = image.format in MULTI_PAGE_FORMATS and getattr(image, "n_frames", 1) > 1
    pixels = 0
    for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
        pixels += frame.width * frame.height
        if pixels > limits.max_pixels:
            raise ImageTooLarge(f"more than {limits.max_pixels:,} pixels")
        api.SetImage(_prepared(frame, limits))
        api.Recognize()
        yield PageText(number if many else 0, laid_out(_words(api)))
        api.Clear()
        if not many or number >= limits.max_pages:
            break


def _prepared(frame: Image.Image, limits: PageLimits) -> Image.Image:
    """Grey, the transparent parts white, no larger than ``max_side`` and no smaller than
    needed to read a screenshot's small type."""
    if frame.mode in ("RGBA", "LA", "PA") or "transparency" in frame.info:
        rgba = frame.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        frame = Image.alpha_composite(paper, rgba)
    grey = ImageOps.exif_transpose(frame).convert("L")
    if grey.getcolors(2) is not None:
        # black and white only (a fax): its dithering is smoothed back to grey, for the
        # engine's own thresholding to find the strokes rather than the dots
        grey = grey.filter(ImageFilter.GaussianBlur(1))
    longer = max(grey.size)
    if longer > limits.max_side:
        scale = limits.max_side / longer
    elif longer < 1200:
        scale = 2.0  # screenshots: 96-dpi type is too small for the engine until scaled up
    else:
        return grey
    size = (max(1, round(grey.width * scale)), max(1, round(grey.height * scale)))
    return grey.resize(size, Image.Resampling.LANCZOS)


Word = tuple[int, int, int, int, str]
"""(left, top, right, bottom, text) of one recognised word."""
Line = list[Word]


def _words(api: Any) -> list[Line]:
    """The recognised words, line by line, their boxes turned level: a scan fed in a few
    degrees askew has its rows' words at a slant, which would split them across rows."""
    from tesserocr import RIL, iterate_level  # noqa: PLC0415 (imported in the worker only)

    lines: list[Line] = []
    slopes: list[float] = []
    for word in iterate_level(api.GetIterator(), RIL.WORD):
        text = _word_text(word, RIL.WORD)
        if not text:
            continue
        if word.IsAtBeginningOf(RIL.TEXTLINE) or not lines:
            lines.append([])
            baseline = word.Baseline(RIL.TEXTLINE)
            if baseline and baseline[1][0] - baseline[0][0] > 0:
                (x1, y1), (x2, y2) = baseline
                slopes.append((y2 - y1) / (x2 - x1))
        lines[-1].append((*word.BoundingBox(RIL.WORD), text))
    slope = sorted(slopes)[len(slopes) // 2] if slopes else 0.0
    return [[_level(word, slope) for word in line] for line in lines]


def _word_text(word: Any, level: int) -> str:
    """The word's text; "" where the engine found a box but no text in it (tesserocr raises
    RuntimeError "No text returned" there: a blank or text-free picture has no words)."""
    try:
        return str(word.GetUTF8Text(level) or "").strip()
    except RuntimeError:
        return ""


def _level(word: Word, slope: float) -> Word:
    left, top, right, bottom, text = word
    shift = round(slope * (left + right) / 2)
    return left, top - shift, right, bottom - shift, text


def laid_out(lines: list[Line]) -> str:
    """The page's text as a typist would have written it. Lines side by side on the page (the
    engine reads a table column by column) are joined into one row, left to right; a gap in
    a row wider than two line heights is a tab (a table's columns), a gap between rows taller
    than one and a half lines is a blank line, so the detector sees records and tables as in
    typed text."""
    heights = sorted(_bottom(line) - _top(line) for line in lines)
    if not heights:
        return ""
    height = max(heights[len(heights) // 2], 1)
    rows: list[Line] = []
    for line in sorted(lines, key=_middle):
        if rows and abs(_middle(line) - _middle(rows[-1])) < height / 2:
            rows[-1] = rows[-1] + line
        else:
            rows.append(line)
    out: list[str] = []
    for before, row in zip([None, *rows], rows, strict=False):
        if before is not None and _top(row) - _bottom(before) > 1.5 * height:
            out.append("")
        words = sorted(row)
        text = words[0][4]
        for left, word in itertools.pairwise(words):
            text += ("\t" if word[0] - left[2] > 2 * height else " ") + word[4]
        out.append(text)
    return "\n".join(out) + "\n"


def _top(line: Line) -> int:
    return min(word[1] for word in line)


def _bottom(line: Line) -> int:
    return max(word[3] for word in line)


def _middle(line: Line) -> float:
    return (_top(line) + _bottom(line)) / 2


@functools.cache
def _tesseract(tessdata: str) -> Any:
    """The worker's engine: built on its first page, reused for the worker's life."""
    import tesserocr  # noqa: PLC0415 (imported in the worker only)

    return tesserocr.PyTessBaseAPI(path=tessdata, lang="eng", psm=tesserocr.PSM.AUTO)
