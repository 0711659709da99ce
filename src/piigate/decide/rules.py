"""Rule files: every ``*.yaml`` directly in the rules folder, validated into one ``RuleSet``.

A file may hold any of three sections; the folder's files are merged:

    rules:
      - id: too-many-recipients            # unique; shown to the sender
        when: too-many-recipients          # a check from decide/checks.py
        params: {max: 10}                  # the check's parameters, validated per check
        scope: {external: true, sensitive: true, sender_groups: [investigators]}
        action: quarantine                 # deliver | encrypt | quarantine | reject
        encrypt_on_request: false          # [ENCRYPT] in the subject turns it into encrypt
        audit: false                       # compute and log only; deliver the mail
        enabled: true
        message: "..."                     # what is wrong and how to fix it; {placeholders}
    cases:
      - id: OPR-2012-0042
        approved: [usdoj.gov, fbi.gov]     # organisations (registered domains) or addresses
        max_individuals: 5000
    groups:
      investigators: [alice@dhs.gov, "@opr.dhs.gov"]   # addresses, or "@domain" for all

Sub-folders (``rules/tests/``) are not rule files. An invalid file is a ``ConfigError`` naming
the file, the line and the key.
"""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from piigate.decide.checks import CHECKS
from piigate.errors import ConfigError
from piigate.model import Action
from piigate.yamlfile import YamlDocument

_RULE_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Scope(_Frozen):
    external: bool | None = None
    """True: only messages with a recipient outside the agency; False: internal-only mail."""
    sensitive: bool | None = None
    """True: only messages that carry sensitive PII or an encrypted attachment."""
    senders: tuple[str, ...] = ()
    sender_groups: tuple[str, ...] = ()
    recipient_domains: tuple[str, ...] = ()
    """Only when a recipient is in one of these domains (or their subdomains)."""


class Rule(_Frozen):
    id: str
    when: str
    params: dict[str, Any] = Field(default_factory=dict)
    action: Action
    message: str = Field(min_length=1)
    scope: Scope = Scope()
    encrypt_on_request: bool = False
    audit: bool = False
    enabled: bool = True

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not _RULE_ID.match(value):
            raise ValueError("rule ids are lower-case words joined by hyphens")
        return value

    @field_validator("when")
    @classmethod
    def _known_check(cls, value: str) -> str:
        if value not in CHECKS:
            raise ValueError(f"unknown condition {value!r}; known: {', '.join(sorted(CHECKS))}")
        return value

    @field_validator("params")
    @classmethod
    def _check_params(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        check = CHECKS.get(info.data.get("when", ""))
        if check is None:
            return value
        parsed = check.params.model_validate(value)  # errors name rules.N.params
        return parsed.model_dump()

    @field_validator("message")
    @classmethod
    def _known_placeholders(cls, value: str, info: ValidationInfo) -> str:
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
        except ValueError as exc:
            raise ValueError(f"bad placeholder: {exc}") from None
        check = CHECKS.get(info.data.get("when", ""))
        known = check.placeholders if check else frozenset()
        unknown = names - known
        if unknown:
            raise ValueError(
                f"unknown placeholder {{{sorted(unknown)[0]}}}; known: "
                + ", ".join(f"{{{p}}}" for p in sorted(known))
            )
        return " ".join(value.split())


class Case(_Frozen):
    id: str = Field(min_length=1)
    approved: tuple[str, ...] = ()
    max_individuals: int | None = Field(default=None, ge=0)
    description: str = ""


class RuleFile(_Frozen):
    rules: tuple[Rule, ...] = ()
    cases: tuple[Case, ...] = ()
    groups: dict[str, tuple[str, ...]] = Field(default_factory=dict)


class RuleSet(_Frozen):
    rules: tuple[Rule, ...]
    cases: dict[str, Case] = Field(default_factory=dict)
    groups: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    source: str = ""


def load_rules(directory: Path) -> RuleSet:
    if not directory.is_dir():
        raise ConfigError(f"{directory}: rules folder not found")
    files = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
    if not files:
        raise ConfigError(f"{directory}: no rule files (*.yaml) in the rules folder")
    rules: list[Rule] = []
    origins: list[str] = []  # "file:line" of each rule's scope, for reference errors
    cases: dict[str, Case] = {}
    groups: dict[str, tuple[str, ...]] = {}
    seen: dict[str, str] = {}
    for path in files:
        doc = YamlDocument.load(path)
        parsed = doc.validate(RuleFile, doc.data if doc.data is not None else {})
        for section, ids in (
            ("rules", [r.id for r in parsed.rules]),
            ("cases", [c.id for c in parsed.cases]),
            ("groups", list(parsed.groups)),
        ):
            for index, name in enumerate(ids):
                key = f"{section}:{name}"
                if key in seen:
                    loc = (section, name) if section == "groups" else (section, index, "id")
                    dotted = ".".join(str(part) for part in loc)
                    raise ConfigError(
                        f"{path}:{doc.line_of(loc)}: {dotted}: duplicate {section[:-1]} id "
                        f"{name!r} (first in {seen[key]})"
                    )
                seen[key] = path.name
        rules.extend(parsed.rules)
        origins.extend(
            f"{path}:{doc.line_of(('rules', i, 'scope', 'sender_groups'))}"
            for i in range(len(parsed.rules))
        )
        cases.update({c.id: c for c in parsed.cases})
        groups.update(parsed.groups)
    for rule, origin in zip(rules, origins, strict=True):
        for group in rule.scope.sender_groups:
            if group not in groups:
                raise ConfigError(
                    f"{origin}: rule {rule.id!r}: scope.sender_groups: unknown group {group!r}"
                )
    return RuleSet(rules=tuple(rules), cases=cases, groups=groups, source=str(directory))
