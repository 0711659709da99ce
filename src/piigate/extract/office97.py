"""Word and PowerPoint 97-2003 (.doc, .ppt): read by maintained programs run in the worker.

.doc: catdoc writes the text of every story of the document (the body with tracked
insertions and deletions, footnotes and endnotes, headers and footers, comments, text boxes)
as one text, in ~10 ms; olefile reads the document properties (summary information). The
stories are not told apart: a finding in any of them is placed at the attachment itself.

.ppt: catppt reads only the text PowerPoint keeps beside its slide list, and nothing of the
slides LibreOffice writes, so a .ppt is converted by LibreOffice (headless) into .pptx and
read by the .pptx reader: every slide, grouped shape, table, note, comment, master and layout
is read and named as in a .pptx. That costs seconds per file (README "Extraction"); a
LibreOffice profile is made once per process and thread (``_profile``) and kept in the
temporary directory, since making one costs a third of a conversion.

Either format encrypted is graded as before (msoffcrypto-tool), never handed to a program.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import threading
from pathlib import Path

import olefile

from piigate.errors import ExtractionError
from piigate.extract.content import Blob, Content, Passage
from piigate.extract.legacy import encrypted
from piigate.extract.limits import Budget
from piigate.extract.powerpoint import read_pptx
from piigate.extract.programs import run_program

_WORD = "Word 97-2003 (.doc)"
_POWERPOINT = "PowerPoint 97-2003 (.ppt)"
_PROPERTIES = (
    "title", "subject", "author", "keywords", "comments", "last_saved_by", "company",
    "manager", "category",
)  # fmt: skip


def read_doc(blob: Blob, budget: Budget) -> Content:
    protected = encrypted(blob)
    if protected is not None:
        return protected
    with tempfile.TemporaryDirectory(prefix="piigate-doc-") as folder:
        path = Path(folder) / "document.doc"
        path.write_bytes(blob.data)
        text = run_program(
            ["catdoc", "-w", "-d", "utf-8", str(path)], budget, _WORD, stderr_is_failure=True
        )
    budget.take_bytes(len(text))
    content = Content(text=text.decode("utf-8", "replace"))
    content.passages.append(Passage("properties", _summary_properties(blob.data)))
    return content


def _summary_properties(data: bytes) -> str:
    """The text fields of the document's summary information (title, author, comments ...)."""
    try:
        with olefile.OleFileIO(data) as ole:
            meta = ole.get_metadata()
    except (OSError, ValueError, IndexError, KeyError, TypeError) as exc:
        raise ExtractionError(f"broken {_WORD} properties ({type(exc).__name__})") from exc
    lines = []
    for name in _PROPERTIES:
        value = getattr(meta, name, None)
        if isinstance(value, bytes):
            value = value.decode("cp1252", "replace")
        if value:
            lines.append(f"{name}: {value}")
    return "\n".join(lines)


def _profile() -> Path:
    """This process's and thread's LibreOffice profile: two conversions at once on one profile
    would hand the second document to the first instance."""
    name = f"piigate-libreoffice-{os.getuid()}-{os.getpid()}-{threading.get_ident()}"
    return Path(tempfile.gettempdir()) / name


def read_ppt(blob: Blob, budget: Budget) -> Content:
    protected = encrypted(blob)
    if protected is not None:
        return protected
    with tempfile.TemporaryDirectory(prefix="piigate-ppt-") as folder:
        work = Path(folder)
        (work / "slides.ppt").write_bytes(blob.data)
        argv = [
            "soffice", f"-env:UserInstallation={_profile().as_uri()}", "--headless",
            "--norestore", "--convert-to", "pptx", "--outdir", str(work / "out"),
            str(work / "slides.ppt"),
        ]  # fmt: skip
        run_program(argv, budget, _POWERPOINT)
        converted = work / "out" / "slides.pptx"
        if not converted.is_file():
            raise ExtractionError(f"{_POWERPOINT} cannot be read: LibreOffice cannot open it")
        pptx = converted.read_bytes()
    return read_pptx(dataclasses.replace(blob, data=pptx), budget)
