"""The checks a rule can name in ``when:``. Each looks at the Facts of one message (and the
rule's validated parameters) and returns a Hold — the masked, counted details that make it
true, for the sender's sentence — or None.

Every check declares its parameters (a pydantic model, validated when the rules load) and the
placeholders its Hold fills (``{summary}`` always).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from piigate.config import PolicySettings, SharingAgreement
from piigate.decide.summary import count_phrase, describe_findings
from piigate.model import (
    Detection,
    Envelope,
    ExposureHistory,
    Extraction,
    Grade,
    ParsedMessage,
)


@dataclass(frozen=True, slots=True)
class CaseFacts:
    id: str
    known: bool
    approved: tuple[str, ...] = ()
    max_individuals: int | None = None


@dataclass(frozen=True, slots=True)
class Facts:
    envelope: Envelope
    message: ParsedMessage
    extraction: Extraction
    detection: Detection
    external_recipients: tuple[str, ...]
    organizations: tuple[str, ...]
    """Distinct organisations (registered domains) of the external recipients, in order."""
    organization_of: dict[str, str]
    sensitive: bool
    purpose: str | None
    case: CaseFacts | None
    settings: PolicySettings
    agreements: dict[str, SharingAgreement]
    history: ExposureHistory

    @property
    def external(self) -> bool:
        return bool(self.external_recipients)


@dataclass(frozen=True, slots=True)
class Hold:
    summary: str
    fields: dict[str, str] = field(default_factory=dict)


class NoParams(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MaxParams(NoParams):
    max: int = Field(ge=0)


@dataclass(frozen=True, slots=True)
class Check:
    evaluate: Callable[[Facts, Any], Hold | None]
    params: type[BaseModel] = NoParams
    placeholders: frozenset[str] = frozenset({"summary"})


def sensitive_pii_in_plaintext(facts: Facts, _: NoParams) -> Hold | None:
    """PII in clear; not counting what an archive held that its sender did encrypt but gave
    the password in the same message (``password-in-same-message`` names that fault: telling
    them to encrypt, which they did, would teach the wrong thing)."""
    opened = [f"attachment {a.name}" for a in facts.extraction.attachments if a.password_in_message]

    def counts(where: str, grade: Grade) -> bool:
        return grade is Grade.PLAINTEXT and not any(
            where == o or where.startswith(o + "/") for o in opened
        )

    plain = [f for f in facts.detection.findings if counts(f.where, f.grade)]
    if not plain:
        return None
    more = [c for c in facts.detection.omitted if counts(c.where, c.grade)]
    parts = ", ".join(dict.fromkeys(f.where for f in plain))
    return Hold(describe_findings(plain, more), {"parts": parts})


def password_in_same_message(facts: Facts, _: NoParams) -> Hold | None:
    opened = [a.name for a in facts.extraction.attachments if a.password_in_message]
    if not opened:
        return None
    names = ", ".join(opened)
    return Hold(
        f"attachment {names} opens with a password written in this message", {"attachments": names}
    )


def weak_encryption(facts: Facts, _: NoParams) -> Hold | None:
    weak = [a.name for a in facts.extraction.attachments if a.grade is Grade.ENCRYPTED_WEAK]
    if not weak:
        return None
    names = ", ".join(weak)
    return Hold(f"attachment {names} uses weak, breakable encryption", {"attachments": names})


def encrypted_not_inspected(facts: Facts, _: NoParams) -> Hold | None:
    closed = [
        a.name
        for a in facts.extraction.attachments
        if a.grade in (Grade.ENCRYPTED_STRONG, Grade.ENCRYPTED_WEAK) and not a.inspected
    ]
    if not closed:
        return None
    names = ", ".join(closed)
    return Hold(f"the gate could not look inside {names}", {"attachments": names})


_QUOTE_MARKS = re.compile(r"(?m)^[ \t]*(?:>[ \t]*)+")
_SPACE = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """Lower case, quoting marks removed, all white space folded to one space."""
    return _SPACE.sub(" ", _QUOTE_MARKS.sub("", text)).strip().lower()


def carries_disclaimer(extraction: Extraction, disclaimer: str) -> bool:
    """Whether visible text of the message holds ``disclaimer`` (normalised); True when no
    disclaimer is configured."""
    wanted = normalize_text(disclaimer)
    return not wanted or any(
        not segment.hidden and wanted in normalize_text(segment.text)
        for segment in extraction.segments
    )


def missing_disclaimer(facts: Facts, _: NoParams) -> Hold | None:
    if carries_disclaimer(facts.extraction, facts.settings.disclaimer):
        return None
    return Hold("the third-agency disclaimer is missing", {"disclaimer": facts.settings.disclaimer})


def no_stated_purpose(facts: Facts, _: NoParams) -> Hold | None:
    if facts.purpose:
        return None
    s = facts.settings
    return Hold(
        "no purpose or routine use is stated",
        {"tag": f"[{s.purpose_tag}: ...]", "header": s.purpose_header},
    )


def purpose_not_a_routine_use(facts: Facts, _: NoParams) -> Hold | None:
    """A stated purpose that is not one of ``policy.routine_uses`` (when the config lists
    them). The stated text is not echoed back (the sender wrote it; it may say anything)."""
    uses = facts.settings.routine_uses
    if not uses or not facts.purpose:
        return None
    if facts.purpose.strip().lower() in {u.strip().lower() for u in uses}:
        return None
    return Hold(
        "the stated purpose is not one of the configured routine uses",
        {"uses": "; ".join(uses), "tag": f"[{facts.settings.purpose_tag}: ...]"},
    )


def no_sharing_agreement(facts: Facts, _: NoParams) -> Hold | None:
    missing = [org for org in facts.organizations if org not in facts.agreements]
    if not missing:
        return None
    orgs = ", ".join(missing)
    return Hold(f"no sharing agreement with {orgs}", {"organizations": orgs})


def too_many_recipients(facts: Facts, params: MaxParams) -> Hold | None:
    count = len(facts.external_recipients)
    if count <= params.max:
        return None
    return Hold(
        f"{count} external recipients (at most {params.max})",
        {"count": str(count), "max": str(params.max)},
    )


def too_many_organizations(facts: Facts, params: MaxParams) -> Hold | None:
    count = len(facts.organizations)
    if count <= params.max:
        return None
    return Hold(
        f"{count} external organisations: {', '.join(facts.organizations)} (at most {params.max})",
        {"count": str(count), "max": str(params.max)},
    )


def too_many_individuals(facts: Facts, params: MaxParams) -> Hold | None:
    limit = params.max
    if facts.case is not None and facts.case.max_individuals is not None:
        limit = max(limit, facts.case.max_individuals)
    count = facts.detection.individual_count
    if count <= limit:
        return None
    return Hold(
        f"{count_phrase(count, 'individual')} (at most {limit:,} without a case that allows more)",
        {"count": f"{count:,}", "max": f"{limit:,}"},
    )


def outside_approved_distribution(facts: Facts, _: NoParams) -> Hold | None:
    case = facts.case
    if case is None:
        return None
    if not case.known:
        return Hold(f"case {case.id} is not a known case", {"case": case.id, "recipients": ""})
    approved = {a.lower() for a in case.approved}
    outside = [
        r
        for r in facts.external_recipients
        if r.lower() not in approved and facts.organization_of[r] not in approved
    ]
    if not outside:
        return None
    names = ", ".join(outside)
    return Hold(
        f"{names} not on the approved distribution of case {case.id}",
        {"case": case.id, "recipients": names},
    )


class ExposureParams(NoParams):
    max_organizations: int = Field(ge=1)


def cumulative_exposure(facts: Facts, params: ExposureParams) -> Hold | None:
    individuals = facts.detection.individuals
    if not individuals or not facts.organizations:
        return None
    # The only read of the history, and only with individuals: Policy.reads_history says so.
    earlier = facts.history.organizations_for(individuals)
    now = set(facts.organizations)
    over = sum(
        1
        for key in individuals
        if len(earlier.get(key, frozenset()) | now) > params.max_organizations
    )
    if not over:
        return None
    return Hold(
        f"{count_phrase(over, 'individual')} would have their sensitive PII held by more than "
        f"{params.max_organizations} outside organisations in all",
        {"count": f"{over:,}", "max": str(params.max_organizations)},
    )


def unscannable_content(facts: Facts, _: NoParams) -> Hold | None:
    blocking = facts.extraction.unscannable
    if not blocking:
        return None
    parts = ", ".join(dict.fromkeys(d.where for d in blocking))
    reasons = "; ".join(dict.fromkeys(f"{d.where}: {d.reason}" for d in blocking))
    return Hold(reasons, {"parts": parts})


def _check(
    fn: Callable[..., Hold | None], params: type[BaseModel] = NoParams, *placeholders: str
) -> Check:
    return Check(fn, params, frozenset({"summary", *placeholders}))


CHECKS: dict[str, Check] = {
    "sensitive-pii-in-plaintext": _check(sensitive_pii_in_plaintext, NoParams, "parts"),
    "password-in-same-message": _check(password_in_same_message, NoParams, "attachments"),
    "weak-encryption": _check(weak_encryption, NoParams, "attachments"),
    "encrypted-not-inspected": _check(encrypted_not_inspected, NoParams, "attachments"),
    "missing-disclaimer": _check(missing_disclaimer, NoParams, "disclaimer"),
    "no-stated-purpose": _check(no_stated_purpose, NoParams, "tag", "header"),
    "purpose-not-a-routine-use": _check(purpose_not_a_routine_use, NoParams, "uses", "tag"),
    "no-sharing-agreement": _check(no_sharing_agreement, NoParams, "organizations"),
    "too-many-recipients": _check(too_many_recipients, MaxParams, "count", "max"),
    "too-many-organizations": _check(too_many_organizations, MaxParams, "count", "max"),
    "too-many-individuals": _check(too_many_individuals, MaxParams, "count", "max"),
    "outside-approved-distribution": _check(
        outside_approved_distribution, NoParams, "case", "recipients"
    ),
    "cumulative-exposure": _check(cumulative_exposure, ExposureParams, "count", "max"),
    "unscannable-content": _check(unscannable_content, NoParams, "parts"),
}
