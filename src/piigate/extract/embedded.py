"""Files a reader finds inside a file, handed back to the walker as Blobs of their own.

An embedded file (a PDF's attached file, an RTF object, a message attached to a message) is a
member: named under its container (``form.pdf/data.xlsx``), one level deeper, held to the
member limits, read by whichever reader its bytes call for. (A place inside a document that
is not a file, a PDF's form fields, is a ``Passage`` of the document's Content.)
"""

from __future__ import annotations

from pathlib import PureWindowsPath

from piigate.extract.content import Blob
from piigate.extract.limits import Budget


def member(blob: Blob, budget: Budget, name: str, data: bytes) -> Blob:
    """``data`` found inside ``blob`` as a file called ``name`` (its last path component: an
    embedded file often keeps the path it was attached from), after the member limits."""
    budget.take_member()
    budget.check_member(len(data))
    base = PureWindowsPath(name.replace("\x00", "").strip()).name
    return blob.child(base or "embedded", data)
