"""Each finding's masked context, made from the extracted segments when a message is held:
running text (an attachment's, OCR text) keeps its line with every value and name masked,
a table's row is built from its masked findings only, and a line whose value the detector
cannot find again on its own is never kept."""

from __future__ import annotations

import random

from piigate.detect import Detector
from piigate.detect.context import CONTEXT_CHARS, FindingContexts
from piigate.model import Finding, Segment, Table
from tests.synthetic import ssn


def contexts_of(detector: Detector, segments: list[Segment]) -> tuple[list[Finding], list[str]]:
    findings = list(detector.detect(segments).findings)
    return findings, FindingContexts(detector).of(segments, findings)


def test_attachment_text_finding_gets_its_masked_line(detector: Detector) -> None:
    """A finding in an attachment's text: its line with the SSN and DOB masked and the
    person's name reduced to initials; no value of the line survives."""
    value = ssn(random.Random(7))
    text = f"Notes\nEmployee John Smith, SSN {value}, born 03/14/1984, transferred.\nEnd\n"
    segment = Segment("attachment notes.docx", text)
    findings, contexts = contexts_of(detector, [segment])
    ssn_context = contexts[[f.entity_type for f in findings].index("US_SSN")]
    assert f"SSN ***-**-{value[-4:]}" in ssn_context
    assert "**/**/1984" in ssn_context
    assert "J*** S****" in ssn_context and "transferred" in ssn_context
    for context in contexts:
        assert value not in context and "03/14" not in context
        assert "John" not in context and "Smith" not in context


def test_ocr_text_context_is_trimmed_round_its_finding(detector: Detector) -> None:
    """A long OCR line is cut round the finding, with ellipses marking the cuts."""
    value = ssn(random.Random(8))
    line = "scanned form " * 20 + f"social security number {value} " + "illegible text " * 20
    findings, contexts = contexts_of(detector, [Segment("attachment scan.png (OCR)", line)])
    assert [f.entity_type for f in findings] == ["US_SSN"]
    assert contexts[0].startswith("… ") and contexts[0].endswith(" …")
    assert f"***-**-{value[-4:]}" in contexts[0]
    assert len(contexts[0]) <= CONTEXT_CHARS + 4


def test_table_finding_context_is_its_row_of_masked_cells(detector: Detector) -> None:
    """A spreadsheet finding's context names its row and shows the row's masked findings by
    column, never a cell's own text."""
    rng = random.Random(9)
    rows = [("Name", "SSN", "DOB")] + [
        (f"Person{i} Smith", ssn(rng), f"0{i}/1{i}/198{i}") for i in range(1, 4)
    ]
    table = Table("Staff", tuple(rows))
    findings, contexts = contexts_of(
        detector, [Segment("attachment staff.xlsx", "", tables=(table,))]
    )
    assert findings and all(f.where == "attachment staff.xlsx sheet Staff" for f in findings)
    second = [c for f, c in zip(findings, contexts, strict=True) if f.line == 3]
    assert second and all(c.startswith("row 3 · ") and "SSN: ***-**-" in c for c in second)
    for context in contexts:
        assert not any(cell in context for row in rows[1:] for cell in row)


def test_numbers_no_recognizer_took_for_a_value_are_starred(detector: Detector) -> None:
    """A long number the recognizers reject (an invalid SSN, an account number) is starred
    in the context like a value; short numbers stay readable."""
    value = ssn(random.Random(11))
    text = f"SSN {value}, old number 123-45-6789, account 88812345, room 12\n"
    findings, contexts = contexts_of(detector, [Segment("attachment a.txt", text)])
    assert findings and "***-**-****" in contexts[0] and "********" in contexts[0]
    assert "6789" not in contexts[0] and "88812345" not in contexts[0]
    assert "room 12" in contexts[0]


def test_a_line_whose_value_is_not_found_again_gives_the_mask_alone(detector: Detector) -> None:
    """When the line, read on its own, does not show the finding's mask, the context is the
    mask alone: an unmasked line is never kept."""
    value = ssn(random.Random(10))
    segment = Segment("body", f"reference {value}\n")
    planted = Finding("US_SSN", "body", 1, "***-**-0000", 1.0, "test")
    assert FindingContexts(detector).of([segment], [planted]) == ["… ***-**-0000 …"]
