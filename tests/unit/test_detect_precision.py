"""Precision of the number recognizers: cards only as cards are printed, bank numbers only
with a bank word; runs of numbers, SKUs and UPCs in business text stay quiet."""

from __future__ import annotations

import pytest

from piigate.config import DetectionSettings
from piigate.detect import Detector
from piigate.detect.financial import luhn_ok
from piigate.model import Segment


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(DetectionSettings(spacy_model=None))


def _card(prefix: str, length: int) -> str:
    """A synthetic Luhn-valid number: ``prefix``, then 1 2 3 … and a check digit."""
    body = prefix + "".join(str((i * 7 + 3) % 10) for i in range(length - len(prefix) - 1))
    return next(body + str(d) for d in range(10) if luhn_ok(body + str(d)))


VISA = _card("45", 16)
AMEX = _card("37", 15)
DINERS = _card("36", 14)


def _types(detector: Detector, text: str) -> list[tuple[str, str]]:
    findings = detector.detect([Segment("body", text)]).findings
    return [(f.entity_type, f.key) for f in findings]


@pytest.mark.parametrize(
    "written",
    [
        " ".join(VISA[i : i + 4] for i in range(0, 16, 4)),
        "-".join(VISA[i : i + 4] for i in range(0, 16, 4)),
        VISA,
        f"{AMEX[:4]} {AMEX[4:10]} {AMEX[10:]}",
        f"{DINERS[:4]}-{DINERS[4:10]}-{DINERS[10:]}",
    ],
)
def test_cards_as_printed_are_found(detector: Detector, written: str) -> None:
    """4-4-4-4, 4-6-5, 4-6-4 and unbroken card numbers are found with no context word."""
    number = written.replace(" ", "").replace("-", "")
    assert _types(detector, f"Please use {written} for this.") == [("PAYMENT_CARD", number)]


@pytest.mark.parametrize(
    "written",
    [
        f"{VISA[:3]} {VISA[3:6]} {VISA[6:9]} {VISA[9:12]} {VISA[12:]}",  # 3-3-3-3-4
        f"{VISA[:4]} {VISA[4:8]}-{VISA[8:12]} {VISA[12:]}",  # separators mixed
        f"{VISA[:6]} {VISA[6:]}",  # 6-10
        "1234 " + " ".join(VISA[i : i + 4] for i in range(0, 16, 4)),  # a longer run
        " ".join(VISA[i : i + 4] for i in range(0, 16, 4)) + " 5678 9012",
        f"{VISA} 77",
    ],
)
def test_runs_of_numbers_are_not_cards(detector: Detector, written: str) -> None:
    """Space-separated numbers that happen to join into a Luhn-valid number are not a card
    unless grouped as cards are printed, and a card-shaped piece of a longer run is not one."""
    assert _types(detector, f"Totals: {written} units") == []


def test_an_expiry_date_may_follow_a_card(detector: Detector) -> None:
    """'card 4xxx xxxx xxxx xxxx 12/27' is still a card: an expiry is not another group."""
    written = " ".join(VISA[i : i + 4] for i in range(0, 16, 4))
    assert _types(detector, f"card {written} 12/27") == [("PAYMENT_CARD", VISA)]


@pytest.mark.parametrize(
    "text",
    [
        "SKU 021000021 036000291452 widget, blue",
        "021000021 | 036000291452 | 12 | 4.50",
        "Item 021000021, UPC 036000291452",
    ],
)
def test_an_aba_valid_sku_beside_a_upc_is_not_a_bank_account(detector: Detector, text: str) -> None:
    """Two numbers side by side with no bank or routing word are not routing + account."""
    assert _types(detector, text) == []


@pytest.mark.parametrize(
    "text",
    [
        "Direct deposit: 021000021 4455667788",
        "bank account 021000021 / 4455667788",
        "routing 021000021 account 4455667788",
    ],
)
def test_routing_and_account_with_a_bank_word_are_found(detector: Detector, text: str) -> None:
    """With a bank or routing word before the pair the account is found, and the routing
    number is not reported as an account."""
    assert _types(detector, text) == [("US_BANK_ACCOUNT", "4455667788")]
