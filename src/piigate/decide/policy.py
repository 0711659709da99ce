"""The policy: apply every rule whose scope fits, report every violation, strongest action
wins (reject > quarantine > encrypt > deliver)."""

from __future__ import annotations

from piigate.decide.conditions import CONDITIONS, Facts, Hold
from piigate.decide.rules import Rule, RuleSet
from piigate.domains import Domains
from piigate.model import Action, Detection, Envelope, Extraction, Grade, Verdict, Violation


class Policy:
    def __init__(self, rules: RuleSet, domains: Domains) -> None:
        self.rules = rules
        self.domains = domains

    def decide(self, envelope: Envelope, extraction: Extraction, detection: Detection) -> Verdict:
        external_rcpts = tuple(r for r in envelope.rcpt_tos if not self.domains.is_internal(r))
        facts = Facts(envelope, extraction, detection, external=bool(external_rcpts))
        violations = []
        for rule in self.rules.rules:
            if not _in_scope(rule, facts):
                continue
            hold = CONDITIONS[rule.when](facts)
            if hold is not None:
                violations.append(Violation(rule.id, rule.action, _sentence(rule, hold)))
        action = max((v.action for v in violations), key=lambda a: a.strength, default=None)
        carries = bool(detection.findings) or any(
            a.grade in (Grade.ENCRYPTED_STRONG, Grade.ENCRYPTED_WEAK)
            for a in extraction.attachments
        )
        return Verdict(
            action=action or Action.DELIVER,
            external=facts.external,
            external_recipients=external_rcpts,
            violations=tuple(violations),
            disclosure=facts.external and carries,
        )


def _in_scope(rule: Rule, facts: Facts) -> bool:
    return rule.scope.external is None or rule.scope.external == facts.external


def _sentence(rule: Rule, hold: Hold) -> str:
    return rule.message.format(summary=hold.summary, parts=hold.parts)
