"""Hub settings: one pydantic-settings class, from the environment and a TOML file.

Precedence, highest first: keyword arguments, ``SHEKARA_HUB_*`` environment variables,
the TOML file given to :func:`load_settings`, the defaults below.  The file is flat
(``mqtt_port = 1883``); a key it does not know is an error naming the key and the file.
"""

from __future__ import annotations

import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from hub.cert import note
from hub.cert.errors import LogError
from shekara import wire
from shekara.errors import ConfigError

# Passwords that ship in examples and tutorials; production must not run with them.
INSECURE_PASSWORDS = frozenset({"", "changeme", "change-me", "password", "secret", "shekara"})

# The file values reach settings_customise_sources (a classmethod) through a context
# variable so environment variables can still override them.
_FILE_VALUES: ContextVar[dict[str, Any]] = ContextVar("_FILE_VALUES", default={})  # noqa: B039


class HubSettings(BaseSettings):
    """Everything the hub process needs; see docs/hub.md."""

    model_config = SettingsConfigDict(env_prefix="SHEKARA_HUB_", extra="forbid")

    env: Literal["development", "production"] = Field(
        "development", description="'production' refuses insecure defaults"
    )
    checkpoint: str | None = Field(
        None,
        pattern=wire.SEGMENT_PATTERN,
        description="Serve only this checkpoint's topics; every checkpoint when unset",
    )
    db_path: Path = Field(Path("hub.db"), description="SQLite database file (WAL mode)")
    sqlite_synchronous: Literal["NORMAL", "FULL"] = Field(
        "NORMAL",
        description="NORMAL survives a hub crash; FULL also survives power loss (fsync per batch)",
    )
    mqtt_host: str = Field("127.0.0.1", description="MQTT broker host")
    mqtt_port: int = Field(1883, ge=1, le=65535, description="MQTT broker port")
    mqtt_client_id: str = Field(
        "",
        description="Fixed MQTT client id of the persistent session; "
        "default shekara-hub-<checkpoint or 'main'>",
    )
    mqtt_keepalive: int = Field(30, ge=5, le=3600, description="MQTT keepalive, seconds")
    mqtt_username: str | None = Field(None, description="MQTT user name")
    mqtt_password: SecretStr | None = Field(None, description="MQTT password")
    mqtt_tls_ca_file: Path | None = Field(
        None, description="CA certificate of the broker; setting it turns TLS on"
    )
    mqtt_tls_cert_file: Path | None = Field(
        None, description="The hub's client certificate (its CN is the broker's user name)"
    )
    mqtt_tls_key_file: Path | None = Field(None, description="The client certificate's key")
    broker_acl_file: Path | None = Field(
        None,
        description="Mosquitto ACL file the hub rewrites from its device registry on every "
        "revocation (and `shekara-hub broker acl` writes); unset: the hub leaves it alone",
    )
    pki_dir: Path | None = Field(
        None,
        description="The checkpoint PKI folder (shekara-pki); when set, approving an "
        "enrolment issues the device's client certificate from its ca.key, and revoking a "
        "device revokes that certificate in crl.pem",
    )
    broker_reload_command: list[str] = Field(
        default_factory=list,
        description="Run after the ACL file changes so the broker rereads it and the CRL, "
        'e.g. ["systemctl", "reload", "mosquitto"]',
    )
    http_host: str = Field("127.0.0.1", description="Address the HTTP API listens on")
    http_port: int = Field(8080, ge=0, le=65535, description="HTTP API port")
    # Above the contract's limit would change nothing: wire.decode_json refuses those.
    max_payload_bytes: int = Field(
        wire.MAX_PAYLOAD_BYTES,
        ge=1024,
        le=wire.MAX_PAYLOAD_BYTES,
        description="Larger MQTT payloads are dead-lettered (at most the contract's limit)",
    )
    gap_resend_after_s: float = Field(
        30.0, gt=0, description="Ask a device to resend a gap open this long, then as often"
    )
    batch_max: int = Field(500, ge=1, le=10_000, description="Messages per SQLite transaction")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Log level of the serve command"
    )
    log_format: Literal["text", "json"] = Field(
        "text",
        description="Log lines of the serve command: text for people, json (one object per "
        "line) for journald and log shippers (docs/observability.md)",
    )
    metrics_token: SecretStr | None = Field(
        None,
        description="Bearer token Prometheus must send to GET /metrics (16+ characters); "
        "unset: /metrics is open in development and not served in production",
    )

    @field_validator("metrics_token")
    @classmethod
    def _metrics_token_long(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().strip()) < 16:
            raise ValueError("must be 16 characters or more (it guards /metrics)")
        return value

    queue_config: Path | None = Field(
        None,
        description="TOML file of the checkpoint's queue (lanes, capacity, rules); "
        "Temirbaba's defaults when unset",
    )
    journal_key: SecretStr | None = Field(
        None,
        description="Key of the queue journal's hashes of plates and phones (32+ characters); "
        "development makes one per database",
    )
    session_hours: float = Field(12, gt=0, le=24 * 7, description="Officer login lifetime")
    notify_deadline_hours: float = Field(
        2, ge=0, le=72,
        description="A notification must arrive this long before its ETA window (EAEU: 2 h)",
    )  # fmt: skip
    log_origin: str = Field(
        "",
        pattern=r"^[^\s+]*$",
        description="Origin line of the certificate log's checkpoints and its key name; "
        "default shekara.<checkpoint or 'main'>/log",
    )
    log_key_file: Path | None = Field(
        None,
        description="Ed25519 private key (PKCS#8 PEM) signing the log's checkpoints; "
        "development makes <db_path>.log-key",
    )
    witness_key_file: Path | None = Field(
        None,
        description="Ed25519 private key cosigning the neighbour's checkpoints; "
        "development makes <db_path>.witness-key",
    )
    witness_name: str = Field(
        "",
        pattern=r"^[^\s+]*$",
        description="Key name of this hub's witness; default <log_origin>/witness",
    )
    witness_for: list[str] = Field(
        default_factory=list,
        description="Verifier keys (name+id+key) of the neighbours' logs this hub cosigns",
    )
    witnesses: list[str] = Field(
        default_factory=list,
        description="Witnesses asked to cosign this hub's checkpoints: "
        "'<cosignature verifier key> <URL prefix>' each",
    )
    checkpoint_interval_s: float = Field(
        1.0, gt=0, le=3600, description="Sign a checkpoint this often when the log has grown"
    )
    public_url: str = Field(
        "",
        description="Base URL of the hub's public pages, printed in certificate QR codes; "
        "default http://<http_host>:<http_port>",
    )

    # web hardening (docs/hub.md "Web hardening").  Its production check is defined before
    # _defaults_and_production, so it runs first and its error names every problem.
    form_secret: SecretStr | None = Field(
        None,
        description="HMAC key (32+ characters) of the CSRF tokens of the forms without a "
        "login (booking, sign-in, verify); development keeps one in the database",
    )
    session_idle_minutes: float = Field(
        30, gt=0, le=24 * 60, description="A login unused this long is closed (shared terminals)"
    )
    login_rate_per_minute: int = Field(
        10, ge=1, le=10_000, description="Login attempts (API and forms) per client address"
    )

    # operators' alerts and their webhook (docs/dashboard.md)
    alert_interval_s: float = Field(
        30, ge=1, le=3600, description="How often the hub evaluates the alert rules, seconds"
    )
    alert_offline_minutes: float = Field(
        10, gt=0, le=7 * 24 * 60,
        description="Alert when a device has been offline (or, registered, never seen) this long",
    )  # fmt: skip
    alert_outbox_reports: int = Field(
        5, ge=2, le=100,
        description="Alert when a device's outbox depth rose over this many status reports...",
    )  # fmt: skip
    alert_outbox_floor: int = Field(
        100, ge=0, description="...and the latest depth is at least this many events"
    )
    alert_wait_minutes: float = Field(
        240, gt=0, description="Alert when the longest current wait of a direction exceeds this"
    )
    alert_dead_letters: int = Field(
        20, ge=0,
        description="Alert when more than this many messages were dead-lettered in the window",
    )  # fmt: skip
    alert_dead_letter_minutes: float = Field(
        10, gt=0, le=24 * 60, description="The dead-letter window, minutes"
    )
    alert_webhook_url: str | None = Field(
        None,
        description="POST every alert raised or cleared here as JSON; production wants https",
    )
    alert_webhook_secret: SecretStr | None = Field(
        None,
        description="HMAC-SHA256 key of the X-Shekara-Signature header of the webhook's posts",
    )
    alert_webhook_allow_http: bool = Field(
        False, description="Let production post alerts over plain http (a receiver on the host)"
    )
    alert_webhook_timeout_s: float = Field(
        5, gt=0, le=60, description="How long one webhook post may take, seconds"
    )
    alert_webhook_backoff_s: float = Field(
        5, gt=0, le=3600,
        description="Pause after a failed post; it doubles per failure, up to 10 minutes",
    )  # fmt: skip
    alert_webhook_max_attempts: int = Field(
        50, ge=1, le=10_000, description="Posts of one alert before its delivery is marked failed"
    )

    @field_validator("alert_webhook_url")
    @classmethod
    def _webhook_is_http(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value

    def web_problems(self) -> list[str]:
        """The web secrets left at an insecure default (empty when fit for production)."""
        secret = self.form_secret.get_secret_value() if self.form_secret else ""
        if len(secret) < 32 or secret.strip().lower() in INSECURE_PASSWORDS:
            return ["form_secret is unset or shorter than 32 characters"]
        return []

    @model_validator(mode="after")
    def _web_secrets_in_production(self) -> HubSettings:
        if self.env == "production" and self.web_problems():
            problems = self.production_problems() + self.web_problems()
            raise ValueError("refusing to start in production: " + "; ".join(problems))
        return self

    @field_validator("witness_for", "witnesses")
    @classmethod
    def _keys_parse(cls, values: list[str]) -> list[str]:
        for value in values:
            key, _, url = value.strip().partition(" ")
            try:
                note.parse_verifier_key(key)
            except LogError as exc:
                raise ValueError(str(exc)) from None
            if url and not url.strip().startswith(("http://", "https://")):
                raise ValueError(f"{value!r}: the witness URL is not http(s)")
        return values

    @model_validator(mode="after")
    def _defaults_and_production(self) -> HubSettings:
        if not self.mqtt_client_id:
            self.mqtt_client_id = f"shekara-hub-{self.checkpoint or 'main'}"
        if not self.log_origin:
            self.log_origin = f"shekara.{self.checkpoint or 'main'}/log"
        if not self.witness_name:
            self.witness_name = f"{self.log_origin}/witness"
        if not self.public_url:
            self.public_url = f"http://{self.http_host}:{self.http_port}"
        if self.env == "production":
            problems = self.production_problems()
            if problems:
                raise ValueError("refusing to start in production: " + "; ".join(problems))
        return self

    def production_problems(self) -> list[str]:
        """What is left at an insecure default (empty when fit for production)."""
        problems = []
        tls = (self.mqtt_tls_ca_file, self.mqtt_tls_cert_file, self.mqtt_tls_key_file)
        if not all(tls):
            problems.append(
                "mqtt_tls_ca_file, mqtt_tls_cert_file and mqtt_tls_key_file are not all set "
                "(the broker must see the hub's certificate)"
            )
        password = self.mqtt_password.get_secret_value() if self.mqtt_password else None
        if password is not None and password.strip().lower() in INSECURE_PASSWORDS:
            problems.append("mqtt_password is empty or a well-known default")
        key = self.journal_key.get_secret_value() if self.journal_key else ""
        if len(key) < 32 or key.strip().lower() in INSECURE_PASSWORDS:
            problems.append("journal_key is unset or shorter than 32 characters")
        if self.log_key_file is None:
            problems.append("log_key_file is not set (development would generate a log key)")
        if self.witness_for and self.witness_key_file is None:
            problems.append("witness_key_file is not set while witness_for names logs")
        # Alerts name devices, places and times: not in clear text off the host by default.
        if (self.alert_webhook_url or "").startswith("http://") and not (
            self.alert_webhook_allow_http
        ):
            problems.append("alert_webhook_url is not https (alert_webhook_allow_http allows it)")
        return problems

    def key_file(self, which: Literal["log", "witness"]) -> Path:
        """The log's or the witness's private key file (a development default if unset)."""
        given = self.log_key_file if which == "log" else self.witness_key_file
        return given or self.db_path.with_name(f"{self.db_path.name}.{which}-key")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        file_settings = InitSettingsSource(settings_cls, _FILE_VALUES.get())
        return (init_settings, env_settings, file_settings)


def load_settings(path: Path | None = None, **overrides: Any) -> HubSettings:
    """Settings from ``path`` (TOML), the environment and ``overrides``.

    Raises :class:`ConfigError` with one line naming the file and the problem.
    """
    values: dict[str, Any] = {}
    where = "environment"
    if path is not None:
        where = str(path)
        values = read_toml(path)
    token = _FILE_VALUES.set(values)
    try:
        return HubSettings(**overrides)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        message = str(err["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{where}: {field + ': ' if field else ''}{message}") from None
    finally:
        _FILE_VALUES.reset(token)


def read_toml(path: Path) -> dict[str, Any]:
    """The flat key/value table of ``path``; unknown keys raise :class:`ConfigError`."""
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    known = set(HubSettings.model_fields)
    for key in data:
        if key not in known:
            raise ConfigError(
                f"{path}: unknown key {key!r} (known keys: {', '.join(sorted(known))})"
            )
    return data
