"""OCR noise correction: look-alike letters in digit context and OCR's separators."""

from __future__ import annotations

import pytest

from piigate.extract.ocr_text import corrected


@pytest.mark.parametrize(
    ("read", "meant"),
    [
        ("SSN: l23-4S-67B9", "SSN: 123-45-6789"),
        ("SSN: I23-45-678O", "SSN: 123-45-6780"),
        ("SSN |23-45-6789", "SSN 123-45-6789"),
        ("SSN 123.45.6789", "SSN 123-45-6789"),
        ("SSN 123,45,6789", "SSN 123-45-6789"),
        ("SSN 123 \u2014 45 \u2014 6789", "SSN 123-45-6789"),
        ("SSN 123~45~6789", "SSN 123-45-6789"),
        ("DOB O3 / 04 /197O", "DOB 03/04/1970"),
        ("Room 1O1", "Room 101"),
    ],
)
def test_digit_lookalikes_and_separators_are_made_plain(read: str, meant: str) -> None:
    """Letters that OCR confuses with digits become digits inside a word holding a digit, and
    OCR's dots, commas, tildes and long dashes between SSN-shaped groups become dashes."""
    assert corrected(read) == meant


@pytest.mark.parametrize(
    "typed",
    [
        "SSN pending, Bldg B, Suite IBM",
        "Rooms 101, 12, 2024 are booked",
        "Order SO-1234 ships in Q3",
        "phone 555.123.4567",
        "version 1.2.3 of the IOS build",
    ],
)
def test_words_and_numbers_without_lookalike_noise_are_left_alone(typed: str) -> None:
    """Words without digits, words mixing digits with other letters, and number lists with
    spaces after their commas are not rewritten (no SSN is invented from them)."""
    assert corrected(typed) == typed
