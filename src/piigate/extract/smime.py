"""S/MIME opaque-signed content: a CMS SignedData (RFC 5652 section 5) whose encapsulated
content (eContent) is the signed MIME entity (RFC 8551 section 3.5.3), as Outlook and
Thunderbird unwrap and show it. The content is not encrypted: it is read as an attached
message is (``read_email``), its parts and attachments under the same limits and depth.

The signature is not verified: screening reads what the recipient will read, signed well or
not. A blob that does not parse as SignedData, or whose content is detached (absent) or not
``id-data``, is unreadable: a blocking defect, never clean.
"""

from __future__ import annotations

from dataclasses import replace

from asn1crypto import cms

from piigate.errors import ExtractionError
from piigate.extract.content import Blob, Content
from piigate.extract.limits import Budget
from piigate.extract.mail import read_email


def read_signed(blob: Blob, budget: Budget) -> Content:
    """The signed message in place of its signature: named and placed as the signed part."""
    return read_email(replace(blob, data=signed_content(blob.data)), budget)


def signed_content(data: bytes) -> bytes:
    """The encapsulated content of a DER/BER CMS SignedData, parsed by asn1crypto."""
    try:
        info = cms.ContentInfo.load(data)
        if info["content_type"].native != "signed_data":
            raise ExtractionError("S/MIME: not signed-data")
        encapsulated = info["content"]["encap_content_info"]
        if encapsulated["content_type"].native != "data":
            raise ExtractionError("S/MIME signed-data: content is not data")
        content = encapsulated["content"]
        if content.native is None:
            raise ExtractionError("S/MIME signed-data: content is detached")
        return bytes(content)
    except (ValueError, TypeError, KeyError) as exc:
        raise ExtractionError(f"broken S/MIME signed-data ({type(exc).__name__})") from exc
