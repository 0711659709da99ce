"""The policy: apply every enabled rule whose scope fits, report every violation, and let the
strongest action win (reject > quarantine > encrypt > deliver). Pure: no I/O here — earlier
disclosures come in through an ExposureHistory.

Internal-only mail is delivered whatever it carries; the verdict's action is the one for the
external recipients (the act stage still delivers to internal recipients).
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet

from piigate.config import PolicySettings
from piigate.decide.checks import CHECKS, CaseFacts, Facts, Hold
from piigate.decide.rules import Rule, RuleSet
from piigate.domains import Domains, domain_of
from piigate.model import (
    Action,
    Detection,
    Envelope,
    ExposureHistory,
    Extraction,
    Grade,
    ParsedMessage,
    Verdict,
    Violation,
)


class NoHistory:
    """An empty history: no earlier disclosures are known."""

    def organizations_for(self, individuals: AbstractSet[str]) -> dict[str, frozenset[str]]:
        return {}


class Policy:
    def __init__(
        self,
        rules: RuleSet,
        domains: Domains,
        settings: PolicySettings,
        history: ExposureHistory | None = None,
    ) -> None:
        self.rules = rules
        self.domains = domains
        self.settings = settings
        self.history: ExposureHistory = history or NoHistory()
        self.agreements = {a.domain.lower(): a for a in settings.sharing_agreements}
        self._purpose = _tag_pattern(settings.purpose_tag)
        self._case = _tag_pattern(settings.case_tag)

    def with_rules(self, rules: RuleSet) -> Policy:
        return Policy(rules, self.domains, self.settings, self.history)

    def with_history(self, history: ExposureHistory) -> Policy:
        return Policy(self.rules, self.domains, self.settings, history)

    def reads_history(self, detection: Detection) -> bool:
        """Whether ``decide`` may query the history (the ledger: I/O) for this detection: only
        when individuals were found (``cumulative-exposure`` looks up nobody else)."""
        return bool(detection.individuals) and not isinstance(self.history, NoHistory)

    def decide(
        self,
        envelope: Envelope,
        message: ParsedMessage,
        extraction: Extraction,
        detection: Detection,
    ) -> Verdict:
        facts = self.facts(envelope, message, extraction, detection)
        encrypt_requested = self.encrypt_requested(message)
        enforced: list[Violation] = []
        audited: list[Violation] = []
        for rule in self.rules.rules:
            if not rule.enabled or not self._in_scope(rule, facts):
                continue
            check = CHECKS[rule.when]
            hold = check.evaluate(facts, check.params.model_validate(rule.params))
            if hold is None:
                continue
            action = (
                Action.ENCRYPT if rule.encrypt_on_request and encrypt_requested else rule.action
            )
            violation = Violation(rule.id, action, _sentence(rule, hold))
            (audited if rule.audit or self.settings.audit else enforced).append(violation)
        action = max((v.action for v in enforced), key=lambda a: a.strength, default=Action.DELIVER)
        return Verdict(
            action=action,
            external=facts.external,
            external_recipients=facts.external_recipients,
            violations=tuple(enforced),
            disclosure=facts.external and facts.sensitive,
            purpose=facts.purpose,
            case_id=facts.case.id if facts.case else None,
            internal_recipients=tuple(
                r for r in envelope.rcpt_tos if r not in facts.external_recipients
            ),
            audit_violations=tuple(audited),
            sharing_agreement=self._agreements_for(facts.organizations),
            encrypt_requested=encrypt_requested,
        )

    def facts(
        self,
        envelope: Envelope,
        message: ParsedMessage,
        extraction: Extraction,
        detection: Detection,
    ) -> Facts:
        external = tuple(r for r in envelope.rcpt_tos if not self.domains.is_internal(r))
        organization_of = {r: self.domains.organization(r) for r in external}
        encrypted = any(
            a.grade in (Grade.ENCRYPTED_STRONG, Grade.ENCRYPTED_WEAK)
            for a in extraction.attachments
        )
        return Facts(
            envelope=envelope,
            message=message,
            extraction=extraction,
            detection=detection,
            external_recipients=external,
            organizations=tuple(dict.fromkeys(organization_of.values())),
            organization_of=organization_of,
            sensitive=bool(detection.findings) or encrypted,
            purpose=self.purpose(message),
            case=self._case_facts(message),
            settings=self.settings,
            agreements=self.agreements,
            history=self.history,
        )

    def passwords(self, message: ParsedMessage) -> tuple[str, ...]:
        """Attachment passwords the sender gave the gate (never relayed: act strips them)."""
        value = message.header(self.settings.password_header)
        return (value,) if value else ()

    def purpose(self, message: ParsedMessage) -> str | None:
        return _tagged(message, self._purpose, self.settings.purpose_header)

    def case_id(self, message: ParsedMessage) -> str | None:
        return _tagged(message, self._case, self.settings.case_header)

    def encrypt_requested(self, message: ParsedMessage) -> bool:
        tag = self.settings.encrypt_tag.lower()
        return bool(tag) and tag in message.subject.lower()

    def _case_facts(self, message: ParsedMessage) -> CaseFacts | None:
        case_id = self.case_id(message)
        if case_id is None:
            return None
        case = self.rules.cases.get(case_id)
        if case is None:
            return CaseFacts(case_id, known=False)
        return CaseFacts(case_id, True, case.approved, case.max_individuals)

    def _agreements_for(self, organizations: tuple[str, ...]) -> str | None:
        ids = [self.agreements[o].agreement for o in organizations if o in self.agreements]
        return ", ".join(dict.fromkeys(i for i in ids if i)) or None

    def _in_scope(self, rule: Rule, facts: Facts) -> bool:
        scope = rule.scope
        if scope.external is not None and scope.external != facts.external:
            return False
        if scope.sensitive is not None and scope.sensitive != facts.sensitive:
            return False
        sender = facts.envelope.mail_from.lower()
        if scope.senders and sender not in {s.lower() for s in scope.senders}:
            return False
        if scope.sender_groups and not any(
            _member(sender, self.rules.groups[g]) for g in scope.sender_groups
        ):
            return False
        if scope.recipient_domains:
            domains = [domain_of(r) for r in facts.envelope.rcpt_tos]
            wanted = [d.lower().strip(".") for d in scope.recipient_domains]
            return any(d == w or d.endswith("." + w) for d in domains for w in wanted)
        return True


def _member(sender: str, members: tuple[str, ...]) -> bool:
    domain = domain_of(sender)
    for member in (m.lower() for m in members):
        if member.startswith("@"):
            if domain == member[1:] or domain.endswith("." + member[1:]):
                return True
        elif sender == member:
            return True
    return False


def _tag_pattern(tag: str) -> re.Pattern[str]:
    return re.compile(r"\[\s*" + re.escape(tag) + r"\s*:\s*([^\]]+?)\s*\]", re.IGNORECASE)


def _tagged(message: ParsedMessage, pattern: re.Pattern[str], header: str) -> str | None:
    match = pattern.search(message.subject)
    if match:
        return match.group(1)
    value = message.header(header)
    return value.strip() if value and value.strip() else None


def _sentence(rule: Rule, hold: Hold) -> str:
    return rule.message.format(summary=hold.summary, **hold.fields)
