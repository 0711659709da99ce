"""Each shipped rule, violated and complied with, through real SMTP into a real sink.

Messages that carry plaintext PII to the outside are refused with a 550 whose lines name
every rule the message breaks, so each test reads the rule ids from the reply."""

from __future__ import annotations

import random
import re

import pytest

from tests.conftest import RunningGate, Sink, send
from tests.synthetic import message, ssn

DISCLAIMER = (
    "This information shall not be distributed beyond the original addressees without "
    "prior authorization of the originator."
)
PURPOSE = "[PURPOSE: routine use 12, background investigation]"
_RULE_LINE = re.compile(r"^5\.7\.1 ([a-z0-9-]+): ", re.MULTILINE)


def rules_in(reply: str) -> set[str]:
    return set(_RULE_LINE.findall(reply))


@pytest.fixture
def rng() -> random.Random:
    return random.Random(1125)


def pii_body(rng: random.Random, people: int = 1, disclaimer: str = DISCLAIMER) -> str:
    rows = "".join(f"Person {i}: SSN {ssn(rng)}\n" for i in range(people))
    return f"Records follow.\n{rows}\n{disclaimer}\n"


async def refused_rules(
    gate: RunningGate, raw: bytes, rcpts: tuple[str, ...] = ("bob@fbi.gov",)
) -> set[str]:
    code, reply = await send(gate.address, raw, rcpt_tos=rcpts)
    assert code == 550, reply
    return rules_in(reply)


async def test_missing_disclaimer(gate: RunningGate, rng: random.Random) -> None:
    """Without the third-agency disclaimer the rule fires; with it — even folded across lines,
    quoted with '>' and in other case — it does not."""
    bare = message(subject=PURPOSE, body=pii_body(rng, disclaimer=""))
    assert "missing-disclaimer" in await refused_rules(gate, bare)
    quoted = (
        "> this information shall NOT be distributed\n>  beyond the original addressees\n"
        "> without prior authorization of the originator."
    )
    ok = message(subject=PURPOSE, body=pii_body(rng, disclaimer=quoted))
    assert "missing-disclaimer" not in await refused_rules(gate, ok)


async def test_disclaimer_in_html_markup_counts(gate: RunningGate, rng: random.Random) -> None:
    html = (
        "<p>This information shall <b>not</b> be distributed beyond the original "
        "addressees<br>without prior authorization of the originator.</p>"
    )
    raw = message(subject=PURPOSE, body=pii_body(rng, disclaimer=""), html=html)
    assert "missing-disclaimer" not in await refused_rules(gate, raw)


async def test_disclaimer_in_hidden_html_text_does_not_count(
    gate: RunningGate, rng: random.Random
) -> None:
    """A disclaimer the recipient is not shown (an HTML comment, a display:none block) is no
    disclaimer: the rule still fires."""
    text = (
        "This information shall not be distributed beyond the original addressees without "
        "prior authorization of the originator."
    )
    for html in (f"<p>Hi</p><!-- {text} -->", f'<p>Hi</p><div style="display:none">{text}</div>'):
        raw = message(subject=PURPOSE, body=pii_body(rng, disclaimer=""), html=html)
        assert "missing-disclaimer" in await refused_rules(gate, raw)


async def test_no_stated_purpose(gate: RunningGate, rng: random.Random) -> None:
    assert "no-stated-purpose" in await refused_rules(gate, message(body=pii_body(rng)))
    tagged = message(subject=f"Records {PURPOSE}", body=pii_body(rng))
    assert "no-stated-purpose" not in await refused_rules(gate, tagged)


async def test_purpose_header_counts(gate: RunningGate, rng: random.Random) -> None:
    raw = message(body=pii_body(rng)).replace(
        b"Subject:", b"X-Disclosure-Purpose: routine use 12\nSubject:", 1
    )
    assert "no-stated-purpose" not in await refused_rules(gate, raw)


async def test_no_sharing_agreement(gate: RunningGate, rng: random.Random) -> None:
    raw = message(subject=PURPOSE, body=pii_body(rng))
    assert "no-sharing-agreement" in await refused_rules(gate, raw, ("x@example.com",))
    assert "no-sharing-agreement" not in await refused_rules(gate, raw, ("x@mail.fbi.gov",))


async def test_too_many_recipients(gate: RunningGate, rng: random.Random) -> None:
    raw = message(subject=PURPOSE, body=pii_body(rng))
    eleven = tuple(f"agent{i}@fbi.gov" for i in range(11))
    assert "too-many-recipients" in await refused_rules(gate, raw, eleven)
    assert "too-many-recipients" not in await refused_rules(gate, raw, eleven[:10])


async def test_too_many_organizations(gate: RunningGate, rng: random.Random) -> None:
    raw = message(subject=PURPOSE, body=pii_body(rng))
    four = ("a@fbi.gov", "b@usdoj.gov", "c@dia.mil", "d@opm.gov")
    assert "too-many-organizations" in await refused_rules(gate, raw, four)
    # Subdomains fold to their registered domain: still three organisations.
    three = ("a@fbi.gov", "b@usdoj.gov", "c@dia.mil", "e@field.fbi.gov")
    assert "too-many-organizations" not in await refused_rules(gate, raw, three)


async def test_too_many_individuals(gate: RunningGate, rng: random.Random) -> None:
    many = message(subject=PURPOSE, body=pii_body(rng, people=101))
    assert "too-many-individuals" in await refused_rules(gate, many)
    enough = message(subject=PURPOSE, body=pii_body(rng, people=100))
    assert "too-many-individuals" not in await refused_rules(gate, enough)


async def test_case_allows_more_individuals(gate: RunningGate, rng: random.Random) -> None:
    raw = message(subject=f"{PURPOSE} [CASE: OPR-2012-0042]", body=pii_body(rng, people=150))
    rules = await refused_rules(gate, raw)
    assert "too-many-individuals" not in rules
    assert "outside-approved-distribution" not in rules


async def test_outside_approved_distribution(gate: RunningGate, rng: random.Random) -> None:
    raw = message(subject=f"{PURPOSE} [CASE: OPR-2012-0042]", body=pii_body(rng))
    assert "outside-approved-distribution" in await refused_rules(gate, raw, ("x@opm.gov",))
    assert "outside-approved-distribution" not in await refused_rules(gate, raw, ("x@usdoj.gov",))
    unknown = message(subject=f"{PURPOSE} [CASE: NO-SUCH-CASE]", body=pii_body(rng))
    assert "outside-approved-distribution" in await refused_rules(gate, unknown)


async def test_every_violation_is_reported_and_strongest_wins(
    gate: RunningGate, rng: random.Random
) -> None:
    raw = message(body=pii_body(rng, people=101, disclaimer=""))
    code, reply = await send(gate.address, raw, rcpt_tos=("x@example.com",))
    assert code == 550  # reject beats quarantine
    assert rules_in(reply) == {
        "unencrypted-sensitive-pii",
        "missing-disclaimer",
        "no-stated-purpose",
        "no-sharing-agreement",
        "too-many-individuals",
    }
    assert all(len(line) <= 510 for line in reply.splitlines())


async def test_quarantine_rules_alone_hold_the_message(
    gate: RunningGate, sink: Sink, rng: random.Random, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the plaintext rule in audit mode (an admin trying rules out), a message whose
    only enforced violation is a quarantine rule is held: 250, and the sender is told."""
    policy = gate.gate.screener.policy
    relaxed = policy.rules.model_copy(
        update={
            "rules": tuple(
                r.model_copy(update={"audit": True}) if r.id == "unencrypted-sensitive-pii" else r
                for r in policy.rules.rules
            )
        }
    )
    monkeypatch.setattr(gate.gate.screener, "policy", policy.with_rules(relaxed))
    raw = message(subject=PURPOSE, body=pii_body(rng))
    code, reply = await send(gate.address, raw, rcpt_tos=("x@example.com",))
    assert code == 250 and "Held for privacy review" in reply
    assert [m.rcpt_tos for m in sink.messages] == [["alice@dhs.gov"]]
    notice = sink.messages[0].content.decode()
    assert "no-sharing-agreement" in notice
