"""Content a reader finds inside a file, handed back to the walker as Blobs of their own.

An embedded file (a PDF's attached file, an RTF object, a message attached to a message) is a
member: named under its container (``form.pdf/data.xlsx``), one level deeper, held to the
member limits. A place inside a document that is not a file (a PDF's form fields, its
annotations) is a section: its text is read in the document's name with the place added
(``attachment form.pdf form fields``), so a finding says where it was put.
"""

from __future__ import annotations

from piigate.extract.content import Blob
from piigate.extract.limits import Budget


def member(blob: Blob, budget: Budget, name: str, data: bytes) -> Blob:
    """``data`` found inside ``blob`` as a file called ``name``, after the member limits."""
    budget.take_member()
    budget.check_member(len(data))
    return blob.child(name.replace("\x00", "").strip() or "embedded", data)


def section(blob: Blob, place: str, text: str, content_type: str = "text/plain") -> Blob:
    """Text read from ``place`` in ``blob`` (not a file of its own: no attachment record)."""
    return Blob(
        "",
        text.encode("utf-8"),
        content_type,
        "utf-8",
        blob.depth + 1,
        blob.grade,
        where_label=f"{blob.where} {place}",
    )
