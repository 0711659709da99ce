"""Business mail written with the MIME tricks of ``mime_corpus`` and no PII: every message is
delivered with no finding (calendar invites, flowed mail, headers full of order numbers, a
long HTML line folded at 998, UTF-16 text)."""

from __future__ import annotations

from tests.redteam.mime_corpus import _HELLO, _attachment, _b64, _body, _folded_at_998, _multipart

_INVITE = (
    "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:20261201T150000Z-4471@dhs.gov\r\n"
    "DTSTART:20261203T150000Z\r\nDTEND:20261203T160000Z\r\nSUMMARY:Quarterly budget review\r\n"
    "DESCRIPTION:Join by phone: +1 202-555-0147\\, meeting ID 845 2291 7730\\, pass\r\n"
    " code 482913. Agenda: FY2027 line items 4400-4470\\, PO 2026-118734.\r\n"
    "LOCATION:Room 4B-112\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)

PRECISION: dict[str, bytes] = {
    "calendar-invite": _body("Content-Type: text/calendar; method=REQUEST\n", _INVITE),
    "flowed-business-mail": _body(
        "Content-Type: text/plain; format=flowed; delsp=yes\n",
        "Hi Bob, order 2026-118734 shipped on 12/01/2026 \nvia tracking 1Z999AA10123456784. "
        "Call 202-555-0147 \nwith questions about invoice INV-4471-22.\n",
    ),
    "headers-with-order-numbers": _body(
        "Message-ID: <20261201111316.4471.118734@mail.dhs.gov>\n"
        "References: <CAF2026-118734-4471@dhs.gov> <20261130.99812@fbi.gov>\n"
        "X-Order: PO 2026-118734, line 4400-4470\nKeywords: FY2027, budget, 4B-112\n"
        "Content-Type: multipart/mixed; boundary=BOUND\n",
        _multipart(
            "This is a multi-part message in MIME format.",
            [
                _HELLO,
                _attachment(
                    'Content-Disposition: attachment; filename="invoice_2026-12-01_4471.pdf"',
                    extra="Content-Description: Invoice 4471 for PO 2026-118734\n",
                ),
            ],
        ),
    ),
    "long-html-line-folded": _body(
        "Content-Type: text/html\n",
        "<html><body>" + _folded_at_998("call 202-555-0147 today") + "</body></html>\r\n",
    ),
    "utf16-report": _body(
        "Content-Type: text/plain; charset=utf-16\nContent-Transfer-Encoding: base64\n",
        _b64("Shipment 2026-118734 left the depot on 2026-12-01.\n".encode("utf-16")),
    ),
}
"""Business mail using the same tricks, with no PII: delivered with no finding."""
