"""Financial account numbers: payment cards and bank accounts.

A payment card number is 12 to 19 digits written the way cards are printed — unbroken, or
grouped 4-4-4-4 (and 4-4-4-4-3), 4-6-5 or 4-6-4 with one separator (space or dash) used
throughout — and not part of a longer run of digit groups (``1234 4111 1111 1111 1111 5678``
is a run of numbers, not a card). It must pass the Luhn check and fall in a known issuer
(IIN) range for its length; well-known test numbers are not cards, nor are numbers after
order, invoice, tracking or reference words.

A bank account number is 6 to 17 digits after a bank context word (bank account, checking,
savings, DDA, acct…) or right next to an ABA routing number (nine digits passing the ABA
checksum, after "routing"/"ABA"/"RTN", or separated from the account by a slash or spaces
with a bank or routing word shortly before the pair: two numbers side by side in a list of
SKUs and UPCs are not a bank account). Customer, vendor, member and policy "account numbers"
are not bank accounts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise
from typing import ClassVar

from piigate.detect.recognizer import Match, PiiRecognizer, digits, word_pattern

CARD = "PAYMENT_CARD"
BANK_ACCOUNT = "US_BANK_ACCOUNT"

TEST_CARDS = frozenset(
    {
        "4111111111111111",
        "4242424242424242",
        "4012888888881881",
        "4000056655665556",
        "4222222222222",
        "5555555555554444",
        "5105105105105100",
        "5200828282828210",
        "2223003122003222",
        "378282246310005",
        "371449635398431",
        "378734493671000",
        "6011111111111117",
        "6011000990139424",
        "3056930009020004",
        "36227206271667",
        "3566002020360505",
        "6200000000000005",
    }
)

# (first digits low, high, allowed lengths)
_IIN: tuple[tuple[int, int, frozenset[int]], ...] = (
    (4, 4, frozenset({13, 16, 19})),  # Visa
    (51, 55, frozenset({16})),  # Mastercard
    (2221, 2720, frozenset({16})),  # Mastercard 2-series
    (34, 34, frozenset({15})),  # American Express
    (37, 37, frozenset({15})),
    (6011, 6011, frozenset({16, 17, 18, 19})),  # Discover
    (644, 649, frozenset({16, 17, 18, 19})),
    (65, 65, frozenset({16, 17, 18, 19})),
    (62, 62, frozenset({16, 17, 18, 19})),  # UnionPay (and Discover 622126-622925)
    (300, 305, frozenset({14, 15, 16, 17, 18, 19})),  # Diners Club
    (36, 36, frozenset({14, 15, 16, 17, 18, 19})),
    (38, 39, frozenset({14, 15, 16, 17, 18, 19})),
    (3528, 3589, frozenset({16, 17, 18, 19})),  # JCB
    (5018, 5018, frozenset(range(12, 20))),  # Maestro
    (5020, 5020, frozenset(range(12, 20))),
    (5038, 5038, frozenset(range(12, 20))),
    (5893, 5893, frozenset(range(12, 20))),
    (6304, 6304, frozenset(range(12, 20))),
    (6759, 6759, frozenset(range(12, 20))),
    (6761, 6763, frozenset(range(12, 20))),
)

_NOT_A_CARD_BEFORE = word_pattern(
    (
        "order",
        "order #",
        "order no",
        "invoice",
        "inv",
        "tracking",
        "track",
        "confirmation",
        "reference",
        "ref",
        "ticket",
        "case",
        "claim",
        "po",
        "purchase order",
        "shipment",
        "serial",
        "isbn",
        "imei",
        "transaction id",
        "receipt",
        "fedex",
        "ups",
        "usps",
    )
)
_CARD_SHAPE = re.compile(
    # four digits first (a fast scan), then what may not come before them
    r"\d{4}(?<![\w\-.#/]\d{4})(?<!\d[ -]\d{4})(?:"
    r"(?P<four>[ -])\d{4}(?P=four)\d{4}(?P=four)\d{4}(?:(?P=four)\d{3})?"  # 4-4-4-4(-3)
    r"|(?P<amex>[ -])\d{6}(?P=amex)\d{4,5}"  # 4-6-5 (Amex), 4-6-4 (Diners)
    r"|\d{8,15}"  # unbroken, 12 to 19 digits
    r")(?![\w\-]|\.\d|[ -]\d+(?![\d/]))"
)
"""A card as printed; not followed by another digit group (``12/27``, an expiry, may follow)."""


def luhn_ok(number: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(number)):
        value = ord(char) - 48
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def issuer_ok(number: str) -> bool:
    length = len(number)
    for low, high, lengths in _IIN:
        width = len(str(low))
        if low <= int(number[:width]) <= high and length in lengths:
            return True
    return False


def is_card(number: str) -> bool:
    return (
        12 <= len(number) <= 19
        and number not in TEST_CARDS
        and len(set(number[1:])) > 2
        and issuer_ok(number)
        and luhn_ok(number)
    )


def mask_card(number: str) -> str:
    return f"****-{number[-4:]}"


class PaymentCardRecognizer(PiiRecognizer):
    ENTITY = CARD
    NAME = "PaymentCardRecognizer"
    CONTEXT: ClassVar[tuple[str, ...]] = (
        "card",
        "credit card",
        "debit card",
        "card number",
        "card no",
        "cc",
        "cc#",
        "visa",
        "mastercard",
        "amex",
        "american express",
        "discover",
        "pan",
    )

    def matches(self, text: str) -> Iterator[Match]:
        for m in _CARD_SHAPE.finditer(text):
            number = digits(m.group())
            if not is_card(number):
                continue
            before = text[max(0, m.start() - 30) : m.start()]
            if _NOT_A_CARD_BEFORE.search(before):
                continue
            score = 1.0 if self.has_context(text, m.start()) else 0.85
            yield Match(m.start(), m.end(), number, score)

    def cell(self, value: str) -> str | None:
        value = value.strip()
        if not _CARD_SHAPE.fullmatch(value):
            return None
        number = digits(value)
        return number if is_card(number) else None


def aba_ok(number: str) -> bool:
    if len(number) != 9 or not number.isdigit() or len(set(number)) == 1:
        return False
    prefix = int(number[:2])
    if not (prefix <= 12 or 21 <= prefix <= 32 or 61 <= prefix <= 72 or prefix == 80):
        return False
    d = [int(c) for c in number]
    return (3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + d[2] + d[5] + d[8]) % 10 == 0


# Digits first (the edge before the number checked after its first digit), as ``ssn``: the
# same matches, and prose is scanned digit to digit rather than tried at every character.
_ACCOUNT = re.compile(r"\d(?<![\w\-./$]\d)\d{5,16}(?![\w\-/]|[.,]\d)")
_ROUTING_WORDS = word_pattern(("routing", "routing number", "aba", "rtn", "transit", "routing no"))
_NOT_BANK_BEFORE = word_pattern(
    (
        "customer",
        "client",
        "vendor",
        "supplier",
        "member",
        "membership",
        "policy",
        "loyalty",
        "billing",
        "invoice",
        "order",
        "utility",
        "service",
        "user",
    )
)
_ADJACENT = re.compile(r"^[\s:/|,-]{1,3}$")
PAIR_CONTEXT_WINDOW = 60
"""How far before a routing/account pair with no routing word a bank word is looked for."""


class BankAccountRecognizer(PiiRecognizer):
    ENTITY = BANK_ACCOUNT
    NAME = "BankAccountRecognizer"
    CONTEXT: ClassVar[tuple[str, ...]] = (
        "bank account",
        "bank acct",
        "checking",
        "checking account",
        "savings",
        "savings account",
        "account number",
        "account no",
        "account #",
        "acct",
        "acct no",
        "acct #",
        "acct#",
        "a/c",
        "dda",
        "deposit account",
        "direct deposit",
    )
    HEADER_CONTEXT: ClassVar[tuple[str, ...]] = ("account",)
    CONTEXT_WINDOW = 40

    def matches(self, text: str) -> Iterator[Match]:
        numbers = list(_ACCOUNT.finditer(text))
        if not numbers:
            return
        routing = {m.start() for m in numbers if self._is_routing(text, m)}
        routing |= self._leading_routing(text, numbers)
        for index, m in enumerate(numbers):
            if m.start() in routing:
                continue
            number = m.group()
            if len(set(number)) == 1:
                continue
            floor = numbers[index - 1].end() if index else 0
            window = text[max(floor, m.start() - self.CONTEXT_WINDOW) : m.start()]
            context = bool(self.context_words.search(window)) and not _NOT_BANK_BEFORE.search(
                window
            )
            if context or self._next_to_routing(text, numbers, index, routing):
                yield Match(m.start(), m.end(), number, 0.85)

    def _leading_routing(self, text: str, numbers: list[re.Match[str]]) -> set[int]:
        """ABA-valid numbers right before another number, after a bank word ("direct deposit
        021000021 4455667788"): the routing number of the pair, not an account."""
        found = set()
        for first, second in pairwise(numbers):
            if (
                aba_ok(first.group())
                and _ADJACENT.match(text[first.end() : second.start()])
                and self._bank_words_before(text, first.start())
            ):
                found.add(first.start())
        return found

    def _bank_words_before(self, text: str, start: int) -> bool:
        """A bank or routing word (and no customer/vendor/… word) shortly before ``start``."""
        window = text[max(0, start - PAIR_CONTEXT_WINDOW) : start]
        words = bool(self.context_words.search(window) or _ROUTING_WORDS.search(window))
        return words and not _NOT_BANK_BEFORE.search(window)

    @staticmethod
    def _is_routing(text: str, m: re.Match[str]) -> bool:
        if not aba_ok(m.group()):
            return False
        return bool(_ROUTING_WORDS.search(text[max(0, m.start() - 30) : m.start()]))

    def _next_to_routing(
        self, text: str, numbers: list[re.Match[str]], index: int, routing: set[int]
    ) -> bool:
        for other in (index - 1, index + 1):
            if not 0 <= other < len(numbers):
                continue
            neighbour = numbers[other]
            if not aba_ok(neighbour.group()):
                continue
            low, high = sorted((neighbour, numbers[index]), key=lambda m: m.start())
            between = text[low.end() : high.start()]
            if neighbour.start() in routing and len(between) <= 40:
                return True
            if _ADJACENT.match(between) and self._bank_words_before(text, low.start()):
                return True
        return False

    def cell(self, value: str) -> str | None:
        value = value.strip().replace("-", "").replace(" ", "")
        if value.isdigit() and 4 <= len(value) <= 17 and len(set(value)) > 1:
            return value
        return None
