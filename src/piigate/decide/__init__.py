"""decide: findings + envelope → Verdict, by the rules in ``rules/``. Pure: no I/O here."""

from __future__ import annotations

from piigate.decide.policy import NoHistory, Policy
from piigate.decide.rules import Rule, RuleSet, load_rules

__all__ = ["NoHistory", "Policy", "Rule", "RuleSet", "load_rules"]
