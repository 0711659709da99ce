"""Messages inside messages: attached .eml files (the stdlib parser, as for the outer message),
Outlook .msg files (extract-msg) and TNEF ``winmail.dat`` (tnefparse).

Each becomes the text of its body plus its attachments as members, read in turn.
"""

from __future__ import annotations

import codecs

import extract_msg
import extract_msg.attachments
import extract_msg.exceptions
import olefile
import tnefparse
from compressed_rtf import decompress as decompress_rtf

from piigate.errors import ExtractionError
from piigate.extract.content import Blob, Content
from piigate.extract.embedded import add_member
from piigate.extract.html import html_to_text
from piigate.extract.limits import Budget
from piigate.extract.markup import rtf_text
from piigate.extract.text import decode_text
from piigate.model import Defect
from piigate.parse import parse_message


def read_email(blob: Blob, budget: Budget) -> Content:
    """An attached message: its bodies are read as this attachment, its attachments as members."""
    message = parse_message(blob.data, budget.settings)
    content = Content(
        defects=[Defect(f"{blob.where} {d.where}", d.reason, d.blocking) for d in message.defects]
    )
    lines = [f"Subject: {message.subject}"] if message.subject else []
    content.text = "\n".join([*lines, *(text for _, text in message.names)])
    for part in message.parts:
        if part.is_attachment:
            child = blob.child(part.filename or f"part-{part.index}", part.payload)
            content.children.append(
                Blob(child.name, part.payload, part.content_type, part.charset, child.depth)
            )
        else:
            content.children.append(
                Blob("", part.payload, part.content_type, part.charset, blob.depth + 1, blob.grade,
                     where_label=blob.where)
            )  # fmt: skip
    return content


def read_msg(blob: Blob, budget: Budget) -> Content:
    try:
        message = extract_msg.openMsg(blob.data)
    except (extract_msg.exceptions.ExMsgBaseException, OSError, ValueError, KeyError) as exc:
        raise ExtractionError(f"broken Outlook message ({type(exc).__name__})") from exc
    try:
        return _msg_content(blob, message, budget)
    finally:
        message.close()


def _msg_content(blob: Blob, message: extract_msg.MSGFile, budget: Budget) -> Content:
    lines = [_msg_property(message, "subject")]
    body = _msg_property(message, "body")
    html = None if body else _msg_value(message, "htmlBody")
    rtf = None if body or html else _msg_value(message, "rtfBody")
    if body:
        lines.append(body)
    elif isinstance(html, bytes):
        lines.append(html_to_text(decode_text(html, None)))
    elif isinstance(rtf, bytes):
        lines.append(rtf_text(decode_text(rtf, None)))
    for label, key in (("From", "sender"), ("To", "to"), ("Cc", "cc"), ("Bcc", "bcc")):
        value = _msg_property(message, key)
        if value:
            lines.append(f"{label}: {value}")
    content = Content(text="\n".join(lines))
    for number, attachment in enumerate(getattr(message, "attachments", ()), start=1):
        name = _msg_attachment_name(attachment, number)
        data = getattr(attachment, "data", None)
        if isinstance(data, extract_msg.MSGFile):
            name = name if name.lower().endswith(".msg") else f"{name}.msg"
            try:
                data = _exported(data)
            except _MSG_ERRORS as exc:
                reason = f"attached message {name} unreadable ({type(exc).__name__})"
                content.defects.append(Defect(blob.where, reason))
                continue
        if isinstance(data, bytes):
            add_member(content, blob, budget, name, data)
        elif not isinstance(attachment, extract_msg.attachments.WebAttachment):
            content.defects.append(Defect(blob.where, f"attached item {name} has no content"))
    return content


_MSG_ERRORS = (extract_msg.exceptions.ExMsgBaseException, OSError, ValueError, KeyError)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _msg_property(message: extract_msg.MSGFile, key: str) -> str:
    value = _msg_value(message, key)
    return str(value or "").rstrip("\x00")


def _msg_value(message: extract_msg.MSGFile, key: str) -> object:
    """A property, or None when extract-msg cannot derive it: ``body`` and ``htmlBody`` are
    de-encapsulated from the RTF body when absent, and RTFDE raises on RTF that is not
    encapsulated (its parser's own errors too); the RTF is then read as RTF."""
    try:
        return getattr(message, key, None)
    except Exception:
        return None


def _msg_attachment_name(attachment: object, number: int) -> str:
    for key in ("longFilename", "shortFilename", "displayName"):
        value = getattr(attachment, key, None)
        if value:
            return str(value).rstrip("\x00")
    return f"attachment-{number}"


def _exported(message: extract_msg.MSGFile) -> bytes:
    """An attached message as a .msg file of its own (its attachments are read from there);
    one that breaks the standard is repaired as far as extract-msg can."""
    try:
        return message.exportBytes()
    except _MSG_ERRORS:
        return message.exportBytes(allowBadEmbed=True)


def read_tnef(blob: Blob, budget: Budget) -> Content:
    try:
        tnef = tnefparse.TNEF(blob.data, do_checksum=False)
    except (ValueError, KeyError, IndexError, TypeError, olefile.OleFileError) as exc:
        raise ExtractionError(f"broken TNEF (winmail.dat) ({type(exc).__name__})") from exc
    codepage = _codepage(tnef)
    lines = []
    for body in (tnef.body, tnef.htmlbody):
        if body:
            text = body if isinstance(body, str) else decode_text(body, codepage)
            lines.append(html_to_text(text) if body is tnef.htmlbody else text)
    if not lines and tnef._rtfbody:
        lines.append(rtf_text(decode_text(_tnef_rtf(tnef), codepage)))
    content = Content(text="\n".join(lines))
    for number, attachment in enumerate(tnef.attachments, start=1):
        name = _tnef_attachment_name(attachment, codepage) or f"attachment-{number}"
        add_member(content, blob, budget, name, _tnef_attachment_data(attachment))
    return content


def _tnef_attachment_data(attachment: tnefparse.tnef.TNEFAttachment) -> bytes:
    """The attachment's bytes. An attachment held as an object (PR_ATTACH_DATA_OBJ, type
    PtypObject: an attached message, an OLE object) starts with the 16-byte interface
    identifier of that object (MS-OXTNEF 2.1.3.4.1), which tnefparse keeps: without it the
    data is the compound file itself, padded back to whole sectors (tnefparse strips the
    trailing NULs of a binary property, and a compound file's last sector often ends in
    them)."""
    data = bytes(attachment.data)
    if data[16:24] != _OLE_MAGIC:
        return data
    data = data[16:]
    sector = 4096 if data[30:32] == b"\x0c\x00" else 512  # the header's sector shift
    return data + bytes(-len(data) % sector)


def _codepage(tnef: tnefparse.TNEF) -> str:
    """The TNEF's own code page (attOemCodepage), Windows-1252 when it names none or an
    unknown one: the 8-bit text in it (body, attachment titles) is in that code page."""
    name = str(tnef.codepage or "cp1252")
    try:
        codecs.lookup(name)
    except LookupError:
        return "cp1252"
    return name


def _tnef_rtf(tnef: tnefparse.TNEF) -> bytes:
    """The decompressed RTF body. tnefparse strips trailing NULs from binary properties, and a
    compressed stream often ends in one (its end marker): the stream is padded back to the
    size its header declares before it is decompressed."""
    data = bytes(tnef._rtfbody)
    declared = int.from_bytes(data[:4], "little") + 4 if len(data) >= 4 else 0
    missing = declared - len(data)
    if 0 < missing <= 4:
        data += bytes(missing)
    return bytes(decompress_rtf(data))


def _tnef_attachment_name(attachment: tnefparse.tnef.TNEFAttachment, codepage: str) -> str:
    long_names = [
        a.data
        for a in attachment.mapi_attrs
        if a.name == tnefparse.tnef.Attribute.MAPI_ATTACH_LONG_FILENAME
    ]
    raw = long_names[0] if long_names else attachment._name
    name = raw.decode(codepage, errors="replace") if isinstance(raw, bytes) else str(raw)
    return name.strip("\x00").strip()
