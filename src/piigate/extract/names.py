"""Headers and the names of parts, screened as one segment of text (one line each) so they
cost one pass of the analyzer; each finding is then placed on the header or name it is in
(``header Message-ID``, ``file name of attachment #2``)."""

from __future__ import annotations

from dataclasses import replace

from piigate.labels import mask_label
from piigate.model import Detection, Extraction, ParsedMessage, Segment

NAMES_WHERE = "headers and names"
"""The place of the combined segment, until each finding is placed on its own line's name."""


def with_names(extraction: Extraction, message: ParsedMessage) -> Extraction:
    """``extraction`` with the message's headers and part names as a segment to screen."""
    if not message.names:
        return extraction
    text = "\n".join(text for _, text in message.names)
    return replace(extraction, segments=(Segment(NAMES_WHERE, text), *extraction.segments))


def place_names(detection: Detection, message: ParsedMessage) -> Detection:
    """Each finding in the combined segment moved to the header or name it was found in."""
    if not any(f.where == NAMES_WHERE for f in detection.findings):
        return detection
    places = [place for place, _ in message.names]
    findings = tuple(
        replace(f, where=places[min(f.line, len(places)) - 1], line=1)
        if f.where == NAMES_WHERE
        else f
        for f in detection.findings
    )
    # Beyond ``KEEP_PER_PLACE`` of a type among the names (never in real headers), the
    # rest are counted under the first name's place: the counts stay exact.
    omitted = tuple(
        replace(c, where=places[0]) if c.where == NAMES_WHERE else c for c in detection.omitted
    )
    return replace(detection, findings=findings, omitted=omitted)


def masked_identifiers(message: ParsedMessage, detection: Detection) -> ParsedMessage:
    """``message`` with its Message-ID masked when PII was found in it: the gate writes the
    Message-ID to logs, the ledger, the quarantine index and notices. Its numbers are masked;
    when PII is found in it without a number long enough to mask, it is withheld whole."""
    if not any(f.where == MESSAGE_ID_PLACE for f in detection.findings):
        return message
    masked = mask_label(message.message_id)
    return replace(message, message_id=masked if masked != message.message_id else WITHHELD)


MESSAGE_ID_PLACE = "header Message-ID"
WITHHELD = "<withheld: contains PII>"
