"""What the sender is told teaches the real fault: a stated purpose must be one of the
configured routine uses, and a sender who encrypted an archive but put its password in the
same message is told to take the password out, not to encrypt."""

from __future__ import annotations

import random

from piigate.decide import Policy
from piigate.model import Action
from piigate.pipeline import Screener
from piigate.receive import replies
from tests.formats import aes_zip
from tests.integration.test_policy_rules import DISCLAIMER
from tests.synthetic import message, ssn
from tests.unit.test_policy import _rules, verdict

USES = ("background investigation", "law enforcement")


def with_routine_uses(policy: Policy, uses: tuple[str, ...]) -> Policy:
    settings = policy.settings.model_copy(update={"routine_uses": uses})
    return Policy(policy.rules, policy.domains, settings, policy.history)


def test_a_purpose_outside_the_routine_uses_is_refused(screener: Screener) -> None:
    """With routine uses configured, ``[PURPOSE: x]`` is refused with the list of uses; a
    listed use (any case) passes; with none configured any purpose passes, as before."""
    policy = with_routine_uses(screener.policy, USES)
    body = f"SSN {ssn(random.Random(2))}\n{DISCLAIMER}\n"
    wrong = verdict(
        screener, policy, message(subject="[ENCRYPT] [PURPOSE: x]", body=body), "a@fbi.gov"
    )
    assert "purpose-not-a-routine-use" in _rules(wrong) and wrong.action is Action.REJECT
    sentence = next(v.message for v in wrong.violations if v.rule == "purpose-not-a-routine-use")
    assert "background investigation; law enforcement" in sentence
    right = message(subject="[ENCRYPT] [PURPOSE: Law Enforcement]", body=body)
    assert "purpose-not-a-routine-use" not in _rules(verdict(screener, policy, right, "a@fbi.gov"))
    anything = message(subject="[ENCRYPT] [PURPOSE: x]", body=body)
    assert "purpose-not-a-routine-use" not in _rules(
        verdict(screener, screener.policy, anything, "a@fbi.gov")
    )


def test_a_password_in_the_message_is_the_fault_named_first(screener: Screener) -> None:
    """An AES-256 zip whose password is in the body: the reply leads with "remove the
    password" and never tells the sender to put it in an AES-256 zip (they did)."""
    rows = f"name,ssn\nPat Example,{ssn(random.Random(8))}\n".encode()
    raw = message(
        subject="[PURPOSE: routine use 12] list",
        body=f"The password is Synthetic-Pass-42\n{DISCLAIMER}\n",
        attachments=(
            ("list.zip", aes_zip({"list.csv": rows}, "Synthetic-Pass-42"), "application/zip"),
        ),
    )
    result = verdict(screener, screener.policy, raw, "x@fbi.gov")
    assert "unencrypted-sensitive-pii" not in _rules(result)
    reply = replies.refusal(result.violations)
    assert reply.startswith("550-5.7.1 password-in-same-message:") or reply.startswith(
        "550 5.7.1 password-in-same-message:"
    )
    assert "put it in an AES-256 encrypted zip" not in reply
