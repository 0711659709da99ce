"""Settings: the file, the environment over it, and one-line errors naming file, line, key."""

from __future__ import annotations

from pathlib import Path

import pytest

from piigate.config import HostPort, agency_names, load_settings, shipped_dir
from piigate.decide import load_rules
from piigate.errors import ConfigError

SHIPPED = shipped_dir() / "config" / "piigate.yaml"


def test_shipped_config_loads_with_its_rules() -> None:
    settings = load_settings(SHIPPED)
    assert settings.listen == HostPort("127.0.0.1", 10025)
    assert settings.upstream == HostPort("127.0.0.1", 10026)
    assert settings.internal_domains == ("dhs.gov",)
    rules = load_rules(settings.rules_dir)
    assert {r.id for r in rules.rules} >= {"unencrypted-sensitive-pii", "unscannable-content"}


def test_environment_overrides_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIIGATE_LISTEN", "0.0.0.0:2525")
    monkeypatch.setenv("PIIGATE_LEDGER__URL", "sqlite:////tmp/x.db")
    monkeypatch.setenv("PIIGATE_INTERNAL_DOMAINS", '["dhs.gov", "cbp.gov"]')
    settings = load_settings(SHIPPED)
    assert settings.listen == HostPort("0.0.0.0", 2525)
    assert settings.ledger.url == "sqlite:////tmp/x.db"
    assert settings.internal_domains == ("dhs.gov", "cbp.gov")
    assert settings.smtp.hostname == "piigate.localhost"  # untouched siblings stay


def test_command_line_overrides_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIIGATE_LISTEN", "0.0.0.0:2525")
    assert load_settings(SHIPPED, listen="127.0.0.1:9").listen == HostPort("127.0.0.1", 9)
    with pytest.raises(ConfigError, match=r"^--listen: "):
        load_settings(SHIPPED, listen="nowhere")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("listen: 127.0.0.1\n", ":1: listen: "),
        (
            "internal_domains: [dhs.gov]\nsmtp:\n  max_message_size: -1\n",
            ":3: smtp.max_message_size:",
        ),
        ("smtp:\n  hostnme: x\n", ":2: smtp.hostnme: Extra inputs are not permitted"),
        ("log:\n  level: loud\n", ":2: log.level:"),
        ("ledger:\n  url: [\n", ":3: invalid YAML"),
        ("quarantine:\n  key: 00ff\n", ":2: quarantine.key: secrets may not be written"),
        ("- a list\n", ":1: expected a mapping"),
    ],
)
def test_invalid_files_name_file_line_and_key(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "piigate.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    message = str(info.value)
    assert message.startswith(str(path)), message
    assert expected in message
    assert "\n" not in message


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(tmp_path / "absent.yaml")


def test_rules_dir_is_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    path = tmp_path / "conf" / "p.yaml"
    path.write_text("rules_dir: ../myrules\n")
    assert load_settings(path).rules_dir == tmp_path / "conf" / "../myrules"


AGREEMENT = (
    "policy:\n  sharing_agreements:\n    - {domain: fbi.gov, agency: %s, agreement: MOU-1}\n"
)


def test_agency_names_are_configured_once(tmp_path: Path) -> None:
    """ledger.agencies names each agency; a sharing agreement's old ``agency`` that agrees, or
    names a domain ledger.agencies leaves out, is accepted (the latter is used); one that
    disagrees is refused naming the file, the line and the key."""
    path = tmp_path / "piigate.yaml"
    path.write_text(
        "ledger:\n  agencies:\n    FBI.gov: Federal Bureau of Investigation\n"
        + AGREEMENT % "Federal Bureau of Investigation"
        + "    - {domain: opm.gov, agency: Office of Personnel Management}\n"
    )
    assert agency_names(load_settings(path)) == {
        "fbi.gov": "Federal Bureau of Investigation",
        "opm.gov": "Office of Personnel Management",
    }
    path.write_text(
        "ledger:\n  agencies:\n    fbi.gov: Federal Bureau of Investigation\n"
        + AGREEMENT % "F.B.I."
    )
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert str(info.value).startswith(f"{path}:6: policy.sharing_agreements.0.agency: 'F.B.I.'")
    assert "disagrees with ledger.agencies for fbi.gov" in str(info.value)


def test_shipped_config_names_every_agreement_agency_once() -> None:
    """The shipped file names its agencies in ledger.agencies only, agreements included."""
    settings = load_settings(SHIPPED)
    assert all(not a.agency for a in settings.policy.sharing_agreements)
    assert {a.domain for a in settings.policy.sharing_agreements} <= set(agency_names(settings))
