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

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

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

    @model_validator(mode="after")
    def _defaults_and_production(self) -> HubSettings:
        if not self.mqtt_client_id:
            self.mqtt_client_id = f"shekara-hub-{self.checkpoint or 'main'}"
        if self.env == "production":
            problems = self.production_problems()
            if problems:
                raise ValueError("refusing to start in production: " + "; ".join(problems))
        return self

    def production_problems(self) -> list[str]:
        """What is left at an insecure default (empty when fit for production)."""
        problems = []
        if not self.mqtt_username:
            problems.append("mqtt_username is not set")
        password = self.mqtt_password.get_secret_value() if self.mqtt_password else ""
        if password.strip().lower() in INSECURE_PASSWORDS:
            problems.append("mqtt_password is empty or a well-known default")
        key = self.journal_key.get_secret_value() if self.journal_key else ""
        if len(key) < 32 or key.strip().lower() in INSECURE_PASSWORDS:
            problems.append("journal_key is unset or shorter than 32 characters")
        return problems

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


EXAMPLE_TOML = """\
# Shekara hub configuration.  Every key can also be set as SHEKARA_HUB_<KEY>
# (environment variables win over this file).

env = "development"            # "production" refuses a missing or default MQTT password
# checkpoint = "temirbaba"     # serve one checkpoint only (also names the MQTT client id)
db_path = "hub.db"
sqlite_synchronous = "NORMAL"  # "FULL" to survive power loss, at some throughput cost

mqtt_host = "127.0.0.1"
mqtt_port = 1883
# mqtt_client_id = "shekara-hub-main"   # must stay fixed: the broker keeps its session
mqtt_keepalive = 30
# mqtt_username = "hub"
# mqtt_password = "..."        # better: SHEKARA_HUB_MQTT_PASSWORD in the environment

http_host = "127.0.0.1"
http_port = 8080

max_payload_bytes = 65536
gap_resend_after_s = 30.0
batch_max = 500
log_level = "INFO"

# queue_config = "queue.toml"  # the checkpoint's lanes, capacity and rules
# journal_key = "..."          # better: SHEKARA_HUB_JOURNAL_KEY; 32+ characters
session_hours = 12
notify_deadline_hours = 2       # pre-arrival notifications: hours before the ETA
"""
