"""Messages inside messages: attached .eml files (the stdlib parser, as for the outer message),
Outlook .msg files (extract-msg) and TNEF ``winmail.dat`` (tnefparse).

Each becomes the text of its body plus its attachments as members, read in turn.
"""

from __future__ import annotations

import extract_msg
import extract_msg.exceptions
import olefile
import tnefparse
from compressed_rtf import decompress as decompress_rtf

from piigate.errors import ExtractionError
from piigate.extract.content import Blob, Content
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
        return _msg_content(blob, message)
    finally:
        message.close()


def _msg_content(blob: Blob, message: extract_msg.MSGFile) -> Content:
    lines = [str(getattr(message, "subject", "") or "").rstrip("\x00")]
    body = getattr(message, "body", None)
    if body:
        lines.append(str(body))
    else:
        html = getattr(message, "htmlBody", None)
        if html:
            lines.append(html_to_text(decode_text(html, None)))
    content = Content(text="\n".join(lines))
    for number, attachment in enumerate(getattr(message, "attachments", ()), start=1):
        name = attachment.longFilename or attachment.shortFilename or f"attachment-{number}"
        name = name.rstrip("\x00")
        data = attachment.data
        if isinstance(data, extract_msg.MSGFile):
            data = data.exportBytes()
            name = name if name.lower().endswith(".msg") else f"{name}.msg"
        if isinstance(data, bytes):
            content.children.append(blob.child(name, data))
    return content


def read_tnef(blob: Blob, budget: Budget) -> Content:
    try:
        tnef = tnefparse.TNEF(blob.data, do_checksum=False)
    except (ValueError, KeyError, IndexError, TypeError, olefile.OleFileError) as exc:
        raise ExtractionError(f"broken TNEF (winmail.dat) ({type(exc).__name__})") from exc
    lines = []
    for body in (tnef.body, tnef.htmlbody):
        if body:
            text = body if isinstance(body, str) else decode_text(body, None)
            lines.append(html_to_text(text) if body is tnef.htmlbody else text)
    if not lines and tnef._rtfbody:
        lines.append(rtf_text(decode_text(decompress_rtf(tnef._rtfbody), None)))
    content = Content(text="\n".join(lines))
    for number, attachment in enumerate(tnef.attachments, start=1):
        name = attachment.long_filename() or attachment.name or f"attachment-{number}"
        content.children.append(blob.child(str(name), bytes(attachment.data)))
    return content
