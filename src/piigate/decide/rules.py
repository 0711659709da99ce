"""Rule files: every ``*.yaml`` in the rules folder, validated into ``RuleSet``.

    rules:
      - id: unencrypted-sensitive-pii      # unique, shown to the sender
        when: sensitive-pii-in-plaintext   # a condition from decide/conditions.py
        scope: {external: true}            # optional: which messages it applies to
        action: reject                     # deliver | encrypt | quarantine | reject
        message: "..."                     # the sentence the sender is shown

An invalid file is a ``ConfigError`` naming the file, the line and the key.
"""

from __future__ import annotations

import re
import string
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from piigate.decide.conditions import CONDITIONS
from piigate.errors import ConfigError
from piigate.model import Action
from piigate.yamlfile import YamlDocument

_RULE_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
PLACEHOLDERS = frozenset({"summary", "parts"})


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Scope(_Frozen):
    external: bool | None = None
    """True: only messages with an external recipient; False: only internal-only mail."""


class Rule(_Frozen):
    id: str
    when: str
    action: Action
    message: str = Field(min_length=1)
    scope: Scope = Scope()

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not _RULE_ID.match(value):
            raise ValueError("rule ids are lower-case words joined by hyphens")
        return value

    @field_validator("message")
    @classmethod
    def _known_placeholders(cls, value: str) -> str:
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
        except ValueError as exc:
            raise ValueError(f"bad placeholder: {exc}") from None
        unknown = names - PLACEHOLDERS
        if unknown:
            raise ValueError(
                f"unknown placeholder {{{sorted(unknown)[0]}}}; known: "
                + ", ".join(f"{{{p}}}" for p in sorted(PLACEHOLDERS))
            )
        return " ".join(value.split())

    @field_validator("when")
    @classmethod
    def _known_condition(cls, value: str) -> str:
        if value not in CONDITIONS:
            known = ", ".join(sorted(CONDITIONS))
            raise ValueError(f"unknown condition {value!r}; known: {known}")
        return value


class RuleFile(_Frozen):
    rules: tuple[Rule, ...] = ()


class RuleSet(_Frozen):
    rules: tuple[Rule, ...]


def load_rules(directory: Path) -> RuleSet:
    if not directory.is_dir():
        raise ConfigError(f"{directory}: rules folder not found")
    files = sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml"))
    if not files:
        raise ConfigError(f"{directory}: no rule files (*.yaml) in the rules folder")
    rules: list[Rule] = []
    seen: dict[str, Path] = {}
    for path in files:
        doc = YamlDocument.load(path)
        parsed = doc.validate(RuleFile, doc.data if doc.data is not None else {})
        for index, rule in enumerate(parsed.rules):
            if rule.id in seen:
                line = doc.line_of(("rules", index, "id"))
                raise ConfigError(
                    f"{path}:{line}: rules.{index}.id: duplicate rule id {rule.id!r} "
                    f"(first in {seen[rule.id]})"
                )
            seen[rule.id] = path
            rules.append(rule)
    return RuleSet(rules=tuple(rules))
