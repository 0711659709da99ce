"""Mail inside mail: the attachments of a message attached to an Outlook .msg, and TNEF's
attachments, 8-bit text and compressed RTF body, each found at the place it was put."""

from __future__ import annotations

import random

import pytest

from piigate.detect import Detector
from tests import embedded_formats, formats
from tests.synthetic import ssn
from tests.unit.test_extract_formats import attach, masked, places, scan


@pytest.fixture
def ssns() -> list[str]:
    rng = random.Random(151)
    return [ssn(rng) for _ in range(4)]


def test_attachments_of_a_message_attached_to_a_msg(detector: Detector, ssns: list[str]) -> None:
    """A .msg carrying a forwarded message (attach method 5) whose own attachment holds an
    SSN: the forwarded message is a member named by its subject, its attachment a member
    of it (``fwd.msg/Inner.msg/list.csv``)."""
    inner = ("Inner", f"inner body {ssns[0]}", {"list.csv": f"SSN\n{ssns[1]}\n".encode()})
    data = embedded_formats.outlook_msg_in_msg("Outer", "see the forwarded item", inner)
    extraction, findings = scan(detector, attach("fwd.msg", data, "application/vnd.ms-outlook"))
    assert extraction.unscannable == ()
    assert places(findings) == {
        ("attachment fwd.msg/Inner.msg", 2, None, masked(ssns[0])),
        ("attachment fwd.msg/Inner.msg/list.csv", 2, "SSN", masked(ssns[1])),
    }
    assert [a.name for a in extraction.attachments] == [
        "fwd.msg",
        "fwd.msg/Inner.msg",
        "fwd.msg/Inner.msg/list.csv",
    ]


def test_tnef_latin1_body_and_attachment_name(detector: Detector, ssns: list[str]) -> None:
    """A TNEF body and attachment title in its Windows-1252 code page (accented letters) are
    decoded in that code page: the text reads right and the attachment is opened."""
    data = formats.tnef(
        f"Señor José Müller, SSN {ssns[0]}", {"Liste_é.csv": f"SSN\n{ssns[1]}\n".encode()}
    )
    extraction, findings = scan(detector, attach("winmail.dat", data, "application/ms-tnef"))
    assert extraction.unscannable == ()
    assert "Señor José Müller" in extraction.segments[1].text
    assert places(findings) == {
        ("attachment winmail.dat", 1, None, masked(ssns[0])),
        ("attachment winmail.dat/Liste_é.csv", 2, "SSN", masked(ssns[1])),
    }


@pytest.mark.parametrize("final_nul", [False, True])
def test_tnef_compressed_rtf_body_with_or_without_its_trailing_nul(
    detector: Detector, ssns: list[str], final_nul: bool
) -> None:
    """A TNEF whose only body is compressed RTF is read, also when the compressed stream ends
    in a NUL byte (which tnefparse strips from binary properties, leaving the stream one byte
    short of its declared size and its CRC wrong)."""
    rtf = embedded_formats.rtf_compressing_to_a_final_nul(f"Record of {ssns[0]}", final_nul)
    data = embedded_formats.tnef_with("", {}, rtf=rtf)
    extraction, findings = scan(detector, attach("winmail.dat", data, "application/ms-tnef"))
    assert extraction.unscannable == ()
    assert places(findings) == {("attachment winmail.dat", 1, None, masked(ssns[0]))}


def test_msg_rich_text_body_and_recipient_names(detector: Detector, ssns: list[str]) -> None:
    """A .msg whose only body is compressed RTF is read from the RTF, and its recipients'
    names are read too (a ``To:`` line)."""
    rtf = f"{{\\rtf1\\ansi Case of {ssns[0]}\\par}}".encode()
    data = embedded_formats.outlook_msg_rich("Rich", rtf, f'"Doe {ssns[1]}" <doe@fbi.gov>')
    extraction, findings = scan(detector, attach("rich.msg", data, "application/vnd.ms-outlook"))
    assert extraction.unscannable == ()
    assert {(f.where, f.masked) for f in findings} == {
        ("attachment rich.msg", masked(ssns[0])),
        ("attachment rich.msg", masked(ssns[1])),
    }
