"""piigate.inert: what came from mail is shown on a terminal and in a spreadsheet as text,
never as an escape sequence, a reordering of the line, or a formula."""

from __future__ import annotations

import pytest

from piigate.inert import for_spreadsheet, for_terminal


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain name.pdf", "plain name.pdf"),
        ("\x1b]8;;http://x.test/\x07a.zip", "\\x1b]8;;http://x.test/\\x07a.zip"),  # OSC 8 link
        ("\x1b[2J", "\\x1b[2J"),  # clear screen
        ("a\x9b31mb", "a\\x9b31mb"),  # C1 CSI, one byte
        ("invoice\u202efdp.exe", "invoice\\u202efdp.exe"),  # right-to-left override
        ("two\nlines\tand\rcr", "two\\x0alines\\x09and\\x0dcr"),  # no forged lines or columns
        ("José Müller", "José Müller"),  # letters stay letters
    ],
)
def test_for_terminal_escapes_controls_and_bidi_overrides(raw: str, shown: str) -> None:
    """Each control or bidi-override character becomes a visible escape; the rest is kept."""
    assert for_terminal(raw) == shown


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://x.test")', '\'=HYPERLINK("http://x.test")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("  =1+1", "'  =1+1"),  # leading spaces do not hide a formula
        ("\tx", "'\\x09x"),
        ("a=b", "a=b"),
        (42, 42),  # numbers stay numbers
    ],
)
def test_for_spreadsheet_quotes_formulas(cell: object, written: object) -> None:
    """A cell a spreadsheet would run is prefixed with a quote (and made inert too)."""
    assert for_spreadsheet(cell) == written
