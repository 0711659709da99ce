"""Rule files: validated on load, with one-line errors that point at the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from piigate.decide import load_rules
from piigate.errors import ConfigError

GOOD = """rules:
  - id: unencrypted-sensitive-pii
    when: sensitive-pii-in-plaintext
    scope: {external: true}
    action: reject
    message: Found {summary}; encrypt it.
"""


def write_rules(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir(exist_ok=True)
    (folder / "r.yaml").write_text(text)
    return folder


def test_good_rules_load(tmp_path: Path) -> None:
    rules = load_rules(write_rules(tmp_path, GOOD)).rules
    assert [r.id for r in rules] == ["unencrypted-sensitive-pii"]
    assert rules[0].action.value == "reject"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("action: reject", "action: bounce", ":5: rules.0.action:"),
        (
            "when: sensitive-pii-in-plaintext",
            "when: sunspots",
            ":3: rules.0.when: Value error, unknown condition",
        ),
        (
            "message: Found {summary}; encrypt it.",
            "message: Found {ssn}",
            ":6: rules.0.message: Value error, unknown placeholder {ssn}",
        ),
        ("id: unencrypted-sensitive-pii", "id: Bad Id", ":2: rules.0.id:"),
        ("scope: {external: true}", "scope: {externa: true}", ":4: rules.0.scope.externa:"),
    ],
)
def test_invalid_rules_name_file_line_and_key(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    folder = write_rules(tmp_path, GOOD.replace(old, new))
    with pytest.raises(ConfigError) as info:
        load_rules(folder)
    assert str(info.value).startswith(str(folder / "r.yaml"))
    assert expected in str(info.value)


def test_duplicate_ids_across_files_are_refused(tmp_path: Path) -> None:
    folder = write_rules(tmp_path, GOOD)
    (folder / "s.yaml").write_text(GOOD)
    with pytest.raises(ConfigError, match=r"s\.yaml:2: rules\.0\.id: duplicate rule id"):
        load_rules(folder)


def test_missing_or_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="rules folder not found"):
        load_rules(tmp_path / "none")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="no rule files"):
        load_rules(tmp_path / "empty")
