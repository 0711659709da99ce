"""Files a reader finds inside a file, handed back to the walker as Blobs of their own.

An embedded file (a PDF's attached file, an RTF object, a message attached to a message) is a
member: named under its container (``form.pdf/data.xlsx``), one level deeper, held to the
member limits, read by whichever reader its bytes call for. (A place inside a document that
is not a file, a PDF's form fields, is a ``Passage`` of the document's Content.)
"""

from __future__ import annotations

from pathlib import PureWindowsPath

from piigate.errors import LimitExceeded
from piigate.extract.content import Blob, Content
from piigate.extract.limits import Budget, MessageLimitExceeded
from piigate.model import Defect


def add_member(content: Content, blob: Blob, budget: Budget, name: str, data: bytes) -> None:
    """Add ``data``, found inside ``blob`` as a file called ``name``, to ``content`` as a
    member, named by the last component of ``name`` (an embedded file often keeps the path
    it was attached from). A member past a member limit is a blocking Defect of its own and
    the rest is read; a limit on the whole message stops the reading (it propagates)."""
    base = PureWindowsPath(name.replace("\x00", "").strip()).name
    child = blob.child(base or "embedded", data)
    try:
        budget.take_member()
        budget.check_member(len(data))
    except MessageLimitExceeded:
        raise
    except LimitExceeded as exc:
        content.defects.append(Defect(child.where, str(exc)))
        return
    content.children.append(child)
