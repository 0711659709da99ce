"""Objects embedded in RTF (``\\object ... {\\*\\objdata <hex>}``), read with oletools' rtfobj.

Each object's ``\\objdata`` is hex-encoded OLE1 data ([MS-OLEDS] 2.2.4). An OLE Package (a
file dropped into a document) yields that file under its own name; any other embedded
object (an embedded workbook or document) yields its native data, an OLE2 compound file
whose kind the walker sniffs. Both go back to the walker as members of the RTF file. A
linked object carries no data (only a path) and is not read; ``\\objdata`` that is not OLE1
at all is a blocking defect, never silently skipped.
"""

from __future__ import annotations

from oletools.rtfobj import RtfObjParser

from piigate.extract.content import Blob, Content
from piigate.extract.embedded import add_member
from piigate.extract.limits import Budget
from piigate.model import Defect

_OLE1_LINKED = 1


def read_objects(blob: Blob, budget: Budget) -> Content:
    """The objects of an RTF document as its members (and defects, for ones not read)."""
    found = Content()
    if b"\\objdata" not in blob.data:
        return found
    parser = RtfObjParser(blob.data)
    parser.parse()
    for number, obj in enumerate(parser.objects, start=1):
        budget.check_time()
        if obj.is_package:
            name = obj.filename or f"object-{number}"
            add_member(found, blob, budget, name, bytes(obj.olepkgdata))
        elif obj.is_ole and obj.oledata:
            kind = _ascii(obj.class_name) or "object"
            add_member(found, blob, budget, f"object-{number}-{kind}", bytes(obj.oledata))
        elif obj.is_ole and obj.format_id == _OLE1_LINKED:
            continue
        else:
            reason = f"embedded object {number} unreadable (not OLE1 data)"
            found.defects.append(Defect(blob.where, reason))
    return found


def _ascii(value: bytes | str | None) -> str:
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    return "".join(c for c in (value or "").rstrip("\x00") if c.isalnum() or c in "._-")
