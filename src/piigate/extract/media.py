"""Pictures inside Office and OpenDocument files, handed back to the walker as members.

A scan pasted into a Word file, a screenshot on a slide, a photo of a form in a workbook:
each raster image in the package's media folder becomes a child Blob (``report.docx/word/
media/image1.png``), read by the image reader (OCR) under the same limits and depth as any
archive member. Vector drawings (EMF, WMF, SVG) are not pictures of text and are left out.
"""

from __future__ import annotations

import zipfile
from pathlib import PurePosixPath

from piigate.extract.content import Blob
from piigate.extract.limits import Budget

MEDIA_FOLDERS = ("word/media/", "xl/media/", "ppt/media/", "Pictures/")
RASTER_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".jpe", ".gif", ".bmp", ".tif", ".tiff", ".webp"}
)


def media_images(blob: Blob, archive: zipfile.ZipFile, budget: Budget) -> list[Blob]:
    """Every raster image in the package's media folders, as members to read next (the
    package's members were already held to the limits by ``check_zip``)."""
    children = []
    for info in archive.infolist():
        name = info.filename
        if not name.startswith(MEDIA_FOLDERS) or info.is_dir():
            continue
        if PurePosixPath(name).suffix.lower() not in RASTER_SUFFIXES:
            continue
        budget.check_time()
        budget.take_member()
        children.append(blob.child(name, archive.read(info)))
    return children
