"""An Outlook .msg file as the MIME message the pipeline reads, converted by extract-msg
(its own ``asEmailMessage``: the transport headers when stored, else headers built from the
MAPI properties; the bodies and attachments as MIME parts)."""

from __future__ import annotations

from email.policy import SMTP
from pathlib import Path

import extract_msg
import extract_msg.exceptions

MSG_ERRORS = (extract_msg.exceptions.ExMsgBaseException, OSError, KeyError, TypeError)


def msg_as_mime(path: Path) -> bytes:
    """The message in wire form; ``ValueError`` naming the reader's error when it cannot."""
    try:
        message = extract_msg.openMsg(str(path))
    except MSG_ERRORS as exc:
        raise ValueError(f"broken Outlook message ({type(exc).__name__})") from exc
    try:
        if not isinstance(message, extract_msg.Message):
            raise ValueError(f"not an Outlook e-mail ({type(message).__name__})")
        return message.asEmailMessage().as_bytes(policy=SMTP)
    except MSG_ERRORS as exc:
        raise ValueError(f"Outlook message not convertible ({type(exc).__name__})") from exc
    finally:
        message.close()
