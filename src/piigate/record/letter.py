"""The accounting an individual is owed (5 U.S.C. 552a(c)(3)): for one person, every
disclosure of their records with its date, nature and purpose and the name and address of
each recipient, as a printable, self-contained HTML letter (Jinja2, autoescaped); and, for a
correction (552a(c)(4)), the recipients to inform.

Nothing about anyone else is in it: no counts of individuals or of PII in the message, no
Message-ID, no file names; the nature of a disclosure says which of *this person's*
identifiers it carried.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from jinja2 import Environment, PackageLoader, select_autoescape

from piigate.inert import for_terminal
from piigate.model import DisclosureRecord

KINDS = {
    "ssn": "Social Security number",
    "name-dob": "name and date of birth",
    "a-number": "alien registration number",
    "passport": "passport number",
    "dl": "driver's license number",
}


@dataclass(frozen=True, slots=True)
class LetterEntry:
    date: str
    nature: str
    purpose: str
    authority: str
    recipients: tuple[str, ...]
    reconstructed: bool = False
    """Found afterwards in archived mail by ``piigate sweep``, not recorded when sent."""


def entries(found: list[tuple[DisclosureRecord, tuple[str, ...]]]) -> list[LetterEntry]:
    """One entry per disclosure, in date order, holding only what concerns this person."""
    out = []
    for record, keys in found:
        carried = ", ".join(
            dict.fromkeys(KINDS.get(k.partition(":")[0], "identifier") for k in keys)
        )
        nature = f"email from {record.sender} that included your {carried}"
        if record.unconfirmed:
            nature += " (delivery not confirmed: the gate stopped while sending it)"
        authority = record.sharing_agreement or "none recorded"
        out.append(
            LetterEntry(
                date=record.recorded_at[:10],
                nature=for_terminal(nature),
                purpose=for_terminal(record.purpose or "none stated by the sender"),
                authority=for_terminal(f"sharing agreement: {authority}"),
                recipients=tuple(
                    _recipient(r.agency, r.organization, r.address) for r in record.recipients
                ),
                reconstructed=record.reconstructed_from is not None,
            )
        )
    return out


def _recipient(agency: str | None, organization: str, address: str) -> str:
    return for_terminal(f"{agency or organization}, {address}")


def letter_html(found: list[LetterEntry], agency: str, today: date) -> str:
    env = Environment(
        loader=PackageLoader("piigate.record", "templates"),
        autoescape=select_autoescape(["html", "j2"], default=True),
    )
    template = env.get_template("accounting_letter.html.j2")
    return template.render(
        entries=[e for e in found if not e.reconstructed],
        reconstructed=[e for e in found if e.reconstructed],
        agency=agency or "the agency",
        today=today.isoformat(),
    )


def correction_recipients(found: list[LetterEntry]) -> list[str]:
    """Each recipient once (552a(c)(4): whom to inform of a correction)."""
    return list(dict.fromkeys(r for e in found for r in e.recipients))
