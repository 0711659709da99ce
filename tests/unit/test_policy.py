"""Policy decisions on real parsed messages: scopes, cumulative exposure, audit, tags."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from piigate.config import Settings
from piigate.decide import Policy, load_rules
from piigate.model import Action, Envelope, Verdict
from piigate.pipeline import Screener
from tests.synthetic import message, ssn

PURPOSE = "[ENCRYPT] [PURPOSE: routine use 12]"


class LedgerHistory:
    """What a ledger would answer: organisations that already hold each individual's PII."""

    def __init__(self, holdings: dict[str, frozenset[str]]) -> None:
        self.holdings = holdings

    def organizations_for(self, individuals: frozenset[str]) -> dict[str, frozenset[str]]:
        return {k: v for k, v in self.holdings.items() if k in individuals}


def verdict(
    screener: Screener, policy: Policy, raw: bytes, *rcpts: str, sender: str = "alice@dhs.gov"
) -> Verdict:
    screening = Screener(screener.detector, policy).screen(Envelope(sender, rcpts), raw)
    return screening.verdict


@pytest.fixture
def policy(screener: Screener) -> Policy:
    return screener.policy


def test_cumulative_exposure_counts_earlier_disclosures(screener: Screener, policy: Policy) -> None:
    value = ssn(random.Random(5))
    raw = message(subject=PURPOSE, body=f"SSN {value}\n")
    key = "ssn:" + value.replace("-", "")
    five = frozenset({"fbi.gov", "usdoj.gov", "dia.mil", "opm.gov", "cia.gov"})
    held = Policy(policy.rules, policy.domains, policy.settings, LedgerHistory({key: five}))
    assert "cumulative-exposure" not in _rules(verdict(screener, held, raw, "x@fbi.gov"))
    four = frozenset({"usdoj.gov", "dia.mil", "opm.gov", "cia.gov", "nsa.gov"})
    over = Policy(policy.rules, policy.domains, policy.settings, LedgerHistory({key: four}))
    result = verdict(screener, over, raw, "x@fbi.gov")
    assert "cumulative-exposure" in _rules(result)
    assert result.action is Action.QUARANTINE
    sentence = next(v.message for v in result.violations if v.rule == "cumulative-exposure")
    assert "1 individual" in sentence and value not in sentence


def _rules(result: Verdict) -> set[str]:
    return {v.rule for v in result.violations}


def _with_rule(policy: Policy, tmp_path: Path, extra: str) -> Policy:
    folder = tmp_path / "rules"
    folder.mkdir(exist_ok=True)
    (folder / "extra.yaml").write_text(extra)
    return policy.with_rules(load_rules(folder))


def test_scopes_by_sender_group_and_recipient_domain(
    screener: Screener, policy: Policy, tmp_path: Path
) -> None:
    scoped = _with_rule(
        policy,
        tmp_path,
        """
groups:
  interns: [intern@dhs.gov, "@training.dhs.gov"]
rules:
  - id: interns-never-send-pii-to-dia
    when: sensitive-pii-in-plaintext
    scope: {sender_groups: [interns], recipient_domains: [dia.mil]}
    action: quarantine
    message: Interns may not send PII to DIA ({summary}).
""",
    )
    raw = message(body=f"SSN {ssn(random.Random(6))}\n")
    assert (
        verdict(screener, scoped, raw, "x@dia.mil", sender="intern@dhs.gov").action
        is Action.QUARANTINE
    )
    assert (
        verdict(screener, scoped, raw, "x@hq.dia.mil", sender="a@x.training.dhs.gov").action
        is Action.QUARANTINE
    )
    assert (
        verdict(screener, scoped, raw, "x@fbi.gov", sender="intern@dhs.gov").action
        is Action.DELIVER
    )
    assert (
        verdict(screener, scoped, raw, "x@dia.mil", sender="boss@dhs.gov").action is Action.DELIVER
    )


def test_audit_rules_are_reported_but_not_enforced(
    screener: Screener, policy: Policy, tmp_path: Path
) -> None:
    audited = _with_rule(
        policy,
        tmp_path,
        """
rules:
  - id: new-rule-on-trial
    when: sensitive-pii-in-plaintext
    scope: {external: true}
    action: reject
    audit: true
    message: Would refuse ({summary}).
""",
    )
    result = verdict(screener, audited, message(body=f"SSN {ssn(random.Random(7))}\n"), "b@fbi.gov")
    assert result.action is Action.DELIVER
    assert [v.rule for v in result.audit_violations] == ["new-rule-on-trial"]


def test_unknown_sender_group_is_a_load_error(tmp_path: Path) -> None:
    from piigate.errors import ConfigError

    folder = tmp_path / "r"
    folder.mkdir()
    (folder / "a.yaml").write_text(
        "rules:\n  - id: a\n    when: weak-encryption\n    scope: {sender_groups: [ghosts]}\n"
        "    action: reject\n    message: not allowed\n"
    )
    with pytest.raises(ConfigError, match=r"a\.yaml:4: rule 'a': .*unknown group 'ghosts'"):
        load_rules(folder)


def test_purpose_case_and_authority_reach_the_verdict(screener: Screener, policy: Policy) -> None:
    raw = message(
        subject="[PURPOSE: routine use 12] [CASE: OPR-2012-0042] Records",
        body="Nothing sensitive.\n",
    )
    result = verdict(screener, policy, raw, "x@fbi.gov", "y@usdoj.gov", "carol@dhs.gov")
    assert result.purpose == "routine use 12"
    assert result.case_id == "OPR-2012-0042"
    assert result.sharing_agreement == "MOU-2003-03-04"
    assert result.internal_recipients == ("carol@dhs.gov",)


def test_settings_fixture_is_the_shipped_policy(shipped_settings: Settings) -> None:
    assert {a.domain for a in shipped_settings.policy.sharing_agreements} == {
        "fbi.gov",
        "usdoj.gov",
        "dia.mil",
        "opm.gov",
    }
