"""A labelled detection test set, generated from a seed.

Every case is text, a table or an HTML body, with the set of findings a perfect detector
reports: (entity type, key) where the key is the finding's normalised value (``Finding.key``:
nine SSN digits, ``name|YYYY-MM-DD`` for a name with a DOB…). Values are random and valid;
the phrasings are fixed templates written before the detector was tuned, several per type,
with names drawn from common US names and from names the Census lexicon does not hold.
Near-misses (phones, ZIP+4, meeting dates, order numbers…) carry no findings. The business
mail set is ordinary office mail, a few messages of which carry one real item.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from piigate.detect.financial import aba_ok, luhn_ok
from piigate.detect.names import normalize_name
from piigate.detect.ssn import is_valid_ssn
from piigate.extract import extract
from piigate.model import Segment, Table
from piigate.parse import parse_message
from tests.synthetic import message

Truth = frozenset[tuple[str, str]]

COMMON_FIRST = (
    "James John Robert Michael William David Richard Joseph Thomas Charles Mary Patricia "
    "Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Daniel Nancy Lisa Betty "
    "Matthew Sandra Anthony Ashley Donald Kimberly Steven Donna Paul Emily Andrew Michelle "
    "Joshua Carol Kenneth Amanda Kevin Melissa Brian Deborah George Stephanie Timothy Rebecca"
).split()
COMMON_LAST = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez "
    "Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson "
    "White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott "
    "Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter"
).split()
RARE_FIRST = (
    "Xiomara Oluwaseun Thandiwe Wojciech Siobhan Anneliese Ngozi Bartholomew Priyanka "
    "Tadeusz Ifeoma Leocadia Kwabena Svetlana Mirela Dagny Eilidh Fionnuala Yevgeny Zainab"
).split()
RARE_LAST = (
    "Quispe Adeyemi Okonkwo Kowalczyk Raghunathan Szczepanski Nakagawa Oyelaran "
    "Villavicencio Abernathy Thorvaldsen Papadopoulos Wojcik Achterberg Iwuchukwu Mbeki"
).split()


@dataclass(frozen=True)
class Case:
    kind: str
    """prose, table, html, near-miss or business."""
    label: str
    segments: tuple[Segment, ...] = field(repr=False)
    truth: Truth = frozenset()


class Values:
    """Random valid values, one generator per seed."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def ssn(self) -> str:
        while True:
            digits = f"{self.rng.randint(1, 899):03d}{self.rng.randint(1, 99):02d}"
            digits += f"{self.rng.randint(1, 9999):04d}"
            if is_valid_ssn(digits):
                return digits

    def ssn_text(self, digits: str) -> str:
        shape = self.rng.choice(("dashed", "dashed", "spaced"))
        sep = "-" if shape == "dashed" else " "
        return f"{digits[:3]}{sep}{digits[3:5]}{sep}{digits[5:]}"

    def name(self) -> tuple[str, str]:
        """(as written, normalised key)."""
        rare = self.rng.random() < 0.3
        first = self.rng.choice(RARE_FIRST if rare else COMMON_FIRST)
        last = self.rng.choice(RARE_LAST if rare else COMMON_LAST)
        style = self.rng.random()
        if style < 0.15:
            written = f"{last}, {first}"
        elif style < 0.3:
            written = f"{first} {self.rng.choice('ABCDEFGHJKLMNPRSTW')}. {last}"
        elif style < 0.38:
            written = f"{first} {last}".upper()
        else:
            written = f"{first} {last}"
        return written, normalize_name(f"{first} {last}")

    def dob(self) -> tuple[str, str]:
        day = dt.date(1935, 1, 1) + dt.timedelta(days=self.rng.randint(0, 365 * 70))
        fmt = self.rng.choice(
            ("%m/%d/%Y", "%Y-%m-%d", "%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%m-%d-%Y", "%-m/%-d/%Y")
        )
        return day.strftime(fmt), day.isoformat()

    def card(self) -> str:
        prefix, length = self.rng.choice(
            (("4", 16), ("51", 16), ("55", 16), ("2223", 16), ("37", 15), ("6011", 16))
        )
        while True:
            body = prefix + "".join(
                str(self.rng.randint(0, 9)) for _ in range(length - len(prefix) - 1)
            )
            for check in range(10):
                if luhn_ok(body + str(check)):
                    return body + str(check)

    def card_text(self, number: str) -> str:
        if len(number) == 15:
            return f"{number[:4]} {number[4:10]} {number[10:]}"
        style = self.rng.choice(("space", "dash", "plain"))
        if style == "plain":
            return number
        sep = " " if style == "space" else "-"
        return sep.join(number[i : i + 4] for i in range(0, 16, 4))

    def passport(self) -> str:
        if self.rng.random() < 0.5:
            return self.rng.choice("ACEFGHJKLMNPRSTUVWXZ") + self.digits(8)
        return str(self.rng.randint(1, 9)) + self.digits(8)

    def a_number(self) -> tuple[str, str]:
        digits = str(self.rng.randint(1, 2)) + self.digits(8)
        shape = self.rng.choice(("A{}", "A-{}-{}-{}", "A{}{}{}", "A# {}"))
        if shape.count("{}") == 3:
            return shape.format(digits[:3], digits[3:6], digits[6:]), digits
        return shape.format(digits), digits

    def license(self) -> str:
        shape = self.rng.choice(("L7", "L8", "D9", "L12", "D8"))
        letters = "".join(
            self.rng.choice("ABCDFGHKLMSTW") for _ in range(1 if shape[0] == "L" else 0)
        )
        return letters + str(self.rng.randint(1, 9)) + self.digits(int(shape[1:]) - 1)

    def account(self) -> str:
        return str(self.rng.randint(1, 9)) + self.digits(self.rng.randint(7, 11))

    def routing(self) -> str:
        while True:
            number = self.rng.choice(("0", "1", "2", "3")) + self.digits(8)
            if aba_ok(number):
                return number

    def digits(self, n: int) -> str:
        return "".join(str(self.rng.randint(0, 9)) for _ in range(n))


Maker = Callable[[Values], tuple[str, Truth]]


# -- prose templates: (text, truth) ---------------------------------------------------------


def _ssn_prose(v: Values) -> tuple[str, Truth]:
    digits = v.ssn()
    shown = v.ssn_text(digits)
    template = v.rng.choice(
        (
            "Per our call, the claimant's SSN is {s}; please update the file.",
            "Can you verify {s} against the SSA record before Friday?",
            "Social Security Number: {b}\nPlease keep this confidential.",
            "His SS# {b} was entered twice in the system.",
            "Employee record updated (soc sec {s}).",
            "The applicant listed {s} on the form, which matches our data.",
        )
    )
    return template.format(s=shown, b=digits), frozenset({("US_SSN", digits)})


def _dob_prose(v: Values) -> tuple[str, Truth]:
    written, key = v.name()
    shown, iso = v.dob()
    template = v.rng.choice(
        (
            "Please update the record for {n}, DOB {d}, who called yesterday.",
            "{n} (date of birth: {d}) has been approved for the program.",
            "Name: {n}\nDOB: {d}\nStatus: pending review",
            "Our client {n} was born on {d} in Texas.",
            "- {n}, born {d}, transferred to the Houston office",
            "Subject is {n}; birth date {d}.",
            "Re: {n}\nDate of Birth: {d}\nPlease confirm the spelling.",
        )
    )
    return template.format(n=written, d=shown), frozenset({("DATE_OF_BIRTH", f"{key}|{iso}")})


def _card_prose(v: Values) -> tuple[str, Truth]:
    number = v.card()
    template = v.rng.choice(
        (
            "Please charge card {c}, exp 09/28, for the registration fee.",
            "The travel card number is {c} if the hotel asks.",
            "Visa {c} was declined at checkout.",
            "Refund to the original payment method ({c}).",
        )
    )
    return template.format(c=v.card_text(number)), frozenset({("PAYMENT_CARD", number)})


def _passport_prose(v: Values) -> tuple[str, Truth]:
    number = v.passport()
    template = v.rng.choice(
        (
            "Passport No. {p}, issued 2019, expires 2029.",
            "Her passport number is {p}.",
            "Travel documents: passport {p} (U.S.)",
        )
    )
    return template.format(p=number), frozenset({("US_PASSPORT", number)})


def _license_prose(v: Values) -> tuple[str, Truth]:
    number = v.license()
    template = v.rng.choice(
        (
            "Driver's license: {d} (Virginia)",
            "DL# {d} was checked at the gate.",
            "He showed a driver license number {d} at the desk.",
        )
    )
    return template.format(d=number), frozenset({("US_DRIVER_LICENSE", number)})


def _a_number_prose(v: Values) -> tuple[str, Truth]:
    written, digits = v.a_number()
    template = v.rng.choice(
        (
            "A-Number: {a}",
            "The alien registration number is {a}.",
            "USCIS # {a} appears on the notice.",
            "File {a} (A-number) was transferred to the field office.",
        )
    )
    return template.format(a=written), frozenset({("US_A_NUMBER", digits.zfill(9))})


def _bank_prose(v: Values) -> tuple[str, Truth]:
    account = v.account()
    template = v.rng.choice(
        (
            "Direct deposit: routing {r}, account {a}.",
            "Please wire the refund to checking account {a}.",
            "Bank account number: {a}",
            "ABA {r} / {a}",
        )
    )
    return template.format(a=account, r=v.routing()), frozenset({("US_BANK_ACCOUNT", account)})


def _last4_prose(v: Values) -> tuple[str, Truth]:
    written, key = v.name()
    four = v.digits(4)
    template = v.rng.choice(
        (
            "{n}, last 4 of SSN {f}, asked about the claim.",
            "Caller verified as {n} (SSN ending in {f}).",
            "{n} - SSN xxx-xx-{f}",
        )
    )
    return template.format(n=written, f=four), frozenset({("SSN_LAST4", f"{key}|{four}")})


def _maiden_prose(v: Values) -> tuple[str, Truth]:
    written, key = v.name()
    maiden = v.rng.choice(COMMON_LAST + RARE_LAST)
    template = v.rng.choice(
        (
            "{n} gave her mother's maiden name as {m} to verify the account.",
            "Name: {n}\nMother's maiden name: {m}",
        )
    )
    truth = frozenset({("MOTHERS_MAIDEN_NAME", f"{key}|{maiden.lower()}")})
    return template.format(n=written, m=maiden), truth


def _citizenship_prose(v: Values) -> tuple[str, Truth]:
    written, key = v.name()
    status = v.rng.choice(("lawful permanent resident", "asylee", "naturalized citizen", "LPR"))
    template = v.rng.choice(
        (
            "{n} is a {s} and may apply next year.",
            "Name: {n}\nImmigration status: {s}",
            "{n} (citizenship: {s}) was interviewed on site.",
        )
    )
    truth = frozenset({("CITIZENSHIP_STATUS", f"{key}|{status.lower()}")})
    return template.format(n=written, s=status), truth


def _criminal_prose(v: Values) -> tuple[str, Truth]:
    written, key = v.name()
    template = v.rng.choice(
        (
            "{n} was convicted of wire fraud in 2012.",
            "{n} has a criminal record in two states.",
            "Background: {n} was arrested for DUI last spring.",
            "{n} - criminal history: burglary (2009), assault (2014)",
        )
    )
    return template.format(n=written), frozenset({("CRIMINAL_HISTORY", f"{key}|criminal-history")})


PROSE: dict[str, Maker] = {
    "US_SSN": _ssn_prose,
    "DATE_OF_BIRTH": _dob_prose,
    "PAYMENT_CARD": _card_prose,
    "US_PASSPORT": _passport_prose,
    "US_DRIVER_LICENSE": _license_prose,
    "US_A_NUMBER": _a_number_prose,
    "US_BANK_ACCOUNT": _bank_prose,
    "SSN_LAST4": _last4_prose,
    "MOTHERS_MAIDEN_NAME": _maiden_prose,
    "CITIZENSHIP_STATUS": _citizenship_prose,
    "CRIMINAL_HISTORY": _criminal_prose,
}

# -- near-misses: text with nothing sensitive -----------------------------------------------

NEAR_MISSES: tuple[Callable[[Values], str], ...] = (
    lambda v: f"Call me at 202-555-{v.digits(4)} or (703) 555-{v.digits(4)}.",
    lambda v: f"Mail it to Washington, DC 20528-{v.digits(4)}.",
    lambda v: f"Order {v.ssn()} shipped today.",
    lambda v: f"Invoice INV-{v.ssn_text(v.ssn())} is overdue.",
    lambda v: f"Ticket {v.ssn_text(v.ssn()).replace(' ', '-')}-A was closed.",
    lambda v: "Use the sample SSN 123-45-6789 or 078-05-1120 in the training slides.",
    lambda v: f"Meeting with {v.name()[0]} on {v.dob()[0]} at 10am.",
    lambda v: f"{v.name()[0]} joined the agency on {v.dob()[0]}.",
    lambda v: f"Invoice date {v.dob()[0]}; due in 30 days. Tracking {v.digits(16)}.",
    lambda v: "Test with card 4111 1111 1111 1111 in the sandbox.",
    lambda v: f"Order #{v.card()} confirmed.",
    lambda v: f"Customer account {v.account()} was credited.",
    lambda v: f"Part number A{v.digits(8)} is back-ordered.",
    lambda v: f"{v.name()[0]} ran the criminal history checks for the new contractors.",
    lambda v: f"{v.name()[0]} said applicants must be U.S. citizens.",
    lambda v: f"Card ending in {v.digits(4)} was charged for {v.name()[0]}'s trip.",
    lambda v: f"Room {v.digits(3)}-{v.digits(2)}-{v.digits(3)} is booked for {v.name()[0]}.",
    lambda v: f"Our fiscal year runs {v.dob()[0]} to the end of September.",
    lambda v: f"Reference number {v.digits(9)}; please quote it when you call.",
    lambda v: f"The maiden voyage of the new ferry is on {v.dob()[0]}.",
)

# -- tables ---------------------------------------------------------------------------------

_HEADERS = {
    "name": ("Name", "Full Name", "Employee", "NAME", "name"),
    "ssn": ("SSN", "Social Security Number", "ssn", "SSN#", "Soc Sec No"),
    "dob": ("DOB", "Date of Birth", "date_of_birth", "Birth Date", "BirthDate"),
    "card": ("Card Number", "Credit Card", "card_no"),
    "passport": ("Passport No", "Passport Number"),
}


def table_case(v: Values, rows: int) -> tuple[Table, Truth]:
    """A customer list: names, SSNs (some bare), DOBs, and sometimes cards or passports."""
    extra = v.rng.choice(("", "", "card", "passport"))
    split_names = v.rng.random() < 0.3
    header = ["First Name", "Last Name"] if split_names else [v.rng.choice(_HEADERS["name"])]
    header += [v.rng.choice(_HEADERS["ssn"]), v.rng.choice(_HEADERS["dob"]), "City"]
    if extra:
        header.append(v.rng.choice(_HEADERS[extra]))
    body = []
    truth: set[tuple[str, str]] = set()
    for _ in range(rows):
        first = v.rng.choice(COMMON_FIRST + RARE_FIRST)
        last = v.rng.choice(COMMON_LAST + RARE_LAST)
        key = normalize_name(f"{first} {last}")
        ssn = v.ssn()
        shown, iso = v.dob()
        row = [first, last] if split_names else [f"{first} {last}"]
        row += [v.ssn_text(ssn) if v.rng.random() < 0.8 else ssn, shown, "Arlington"]
        truth |= {("US_SSN", ssn), ("DATE_OF_BIRTH", f"{key}|{iso}")}
        if extra == "card":
            card = v.card()
            row.append(card)
            truth.add(("PAYMENT_CARD", card))
        elif extra == "passport":
            number = v.passport()
            row.append(number)
            truth.add(("US_PASSPORT", number))
        body.append(tuple(row))
    return Table("", (tuple(header), *body)), frozenset(truth)


# -- HTML -----------------------------------------------------------------------------------


def html_case(v: Values, kind: str) -> tuple[tuple[Segment, ...], Truth]:
    """A prose case wrapped in HTML markup, read by the real parse and extract stages."""
    text, truth = PROSE[kind](v)
    lines = text.split("\n")
    wrap = v.rng.choice(("p", "li", "div"))
    items = "".join(f"<{wrap}>{_bold_label(line)}</{wrap}>" for line in lines)
    if wrap == "li":
        items = f"<ul>{items}</ul>"
    html = f"<html><body><p>Hello,</p>{items}<p>Thanks,<br>Pat</p></body></html>"
    raw = message(body="See the HTML part.", html=html)
    return extract(parse_message(raw)).segments, truth


def _bold_label(line: str) -> str:
    label, sep, rest = line.partition(": ")
    return f"<b>{label}:</b> {rest}" if sep and len(label) < 30 else line


# -- business mail --------------------------------------------------------------------------

_BUSINESS = (
    "Hi {a},\n\nThanks for sending the Q{q} budget. I've reviewed the numbers and they look "
    "right. Can we meet on {date} at 2pm in room {room}? My cell is 202-555-{p}.\n\nBest,\n{b}",
    "Team,\n\nThe contract (PO {po}) was signed on {date}. Invoice INV-{inv} is due within 30 "
    "days. Ship to 245 Murray Lane SW, Washington, DC 20528-{zip4}.\n\n{b}\nProcurement",
    "Hello {a},\n\nYour order {order} has shipped; tracking number 1Z{track}. Delivery is "
    "expected by {date}. Questions? Call 1-800-555-{p}.\n\nCustomer Service",
    "{a},\n\n{b} will run the criminal history checks for the new contractors starting "
    "{date}. All applicants must be U.S. citizens. Please send the badge requests to "
    "room {room}.\n\nThanks",
    "Reminder: the all-hands meeting is on {date}. Agenda: FY{q} priorities, hiring, and the "
    "new travel policy. Dial-in: 1-888-555-{p}, access code {code}#.\n\n{b}",
    "Hi {a},\n\nAttached is the signed SOW, version {q}.{room}. Our vendor account number is "
    "{acct}; please reference it on payments. Reference {ref}.\n\nRegards,\n{b}",
    "{a} - quick note: the server migration finished at {time}. Ticket CHG-{ticket} is closed. "
    "Next window: {date}, 22:00-02:00. Build {build} is on staging.\n\n{b}",
)


def business_mail(v: Values) -> tuple[str, Truth]:
    """Ordinary office mail; one in ten carries one real SSN (an HR note) so that precision
    on this set is defined."""
    template = v.rng.choice(_BUSINESS)
    text = template.format(
        a=v.name()[0].split(",")[0],
        b=v.name()[0],
        q=v.rng.randint(1, 4),
        date=v.dob()[0].replace("19", "20", 1) if v.rng.random() < 0.5 else "June 3, 2026",
        room=v.digits(3),
        p=v.digits(4),
        po=v.digits(8),
        inv=f"{v.digits(3)}-{v.digits(2)}-{v.digits(4)}",
        zip4=v.digits(4),
        order=v.digits(9),
        track=v.digits(16),
        code=v.digits(7),
        acct=v.digits(8),
        ref=v.digits(9),
        time=f"{v.rng.randint(1, 12)}:{v.digits(2)}",
        ticket=v.digits(7),
        build=f"{v.digits(4)}.{v.digits(2)}",
    )
    truth: Truth = frozenset()
    if v.rng.random() < 0.1:
        ssn = v.ssn()
        text += f"\n\nP.S. HR needs the SSN for the new hire: {v.ssn_text(ssn)}."
        truth = frozenset({("US_SSN", ssn)})
    return text, truth


# -- the set --------------------------------------------------------------------------------


def labelled_set(seed: int = 4, per_type: int = 60) -> Iterator[Case]:
    v = Values(random.Random(seed))
    for kind, make in PROSE.items():
        for i in range(per_type):
            text, truth = make(v)
            intro = v.rng.choice(("Hi all,\n", "Hello,\n\n", "", "FYI -\n"))
            yield Case("prose", f"{kind}#{i}", (Segment("body", intro + text + "\nThanks"),), truth)
        for i in range(per_type // 3):
            segments, truth = html_case(v, kind)
            yield Case("html", f"{kind}#{i}", segments, truth)
    for i in range(per_type // 2):
        table, truth = table_case(v, rows=v.rng.randint(3, 40))
        yield Case(
            "table", f"table#{i}", (Segment("attachment list.csv", "", tables=(table,)),), truth
        )
    for i, make_miss in enumerate(NEAR_MISSES * max(1, per_type // 10)):
        yield Case("near-miss", f"near-miss#{i}", (Segment("body", make_miss(v)),))


def business_set(seed: int = 5, count: int = 300) -> Iterator[Case]:
    v = Values(random.Random(seed))
    for i in range(count):
        text, truth = business_mail(v)
        yield Case("business", f"business#{i}", (Segment("body", text),), truth)


def labelled_texts() -> list[str]:
    """Every text of the labelled and business sets, each table row as one line (cells
    joined by `` | ``, as detection reads untyped cells): for checking text-level rewrites."""
    found = []
    for case in [*labelled_set(), *business_set()]:
        for segment in case.segments:
            found.append(segment.text)
            found.extend(" | ".join(row) for table in segment.tables for row in table.rows)
    return found
