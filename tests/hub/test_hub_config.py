"""Settings: defaults, TOML file, environment precedence, unknown keys, production."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from hub.config import HubSettings, load_settings
from hub.config_example import EXAMPLE_TOML
from shekara import wire
from shekara.errors import ConfigError


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("SHEKARA_HUB_"):
            monkeypatch.delenv(name)


def test_defaults() -> None:
    s = load_settings()
    assert s.env == "development"
    assert s.mqtt_client_id == "shekara-hub-main"
    assert s.max_payload_bytes == wire.MAX_PAYLOAD_BYTES
    assert HubSettings(checkpoint="temirbaba").mqtt_client_id == "shekara-hub-temirbaba"


def test_file_then_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "hub.toml"
    path.write_text('db_path = "x.db"\nmqtt_port = 1999\nhttp_port = 9000\n')
    monkeypatch.setenv("SHEKARA_HUB_HTTP_PORT", "9100")
    s = load_settings(path)
    assert (s.db_path, s.mqtt_port, s.http_port) == (Path("x.db"), 1999, 9100)


def test_unknown_key_names_key_and_file(tmp_path: Path) -> None:
    path = tmp_path / "hub.toml"
    path.write_text("mqtt_prot = 1883\n")
    with pytest.raises(ConfigError, match=r"hub\.toml: unknown key 'mqtt_prot'"):
        load_settings(path)


def test_bad_value_and_bad_toml_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "hub.toml"
    path.write_text('mqtt_port = "many"\n')
    with pytest.raises(ConfigError, match="mqtt_port"):
        load_settings(path)
    path.write_text("mqtt_port = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(path)
    with pytest.raises(ConfigError, match="cannot read config"):
        load_settings(tmp_path / "absent.toml")


# The example verifier key of golang.org/x/mod/sumdb/note (note_test.go).
NEIGHBOUR = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"


def test_production_refuses_plain_mqtt_default_password_and_missing_keys(tmp_path: Path) -> None:
    path = tmp_path / "hub.toml"
    tls = {"mqtt_tls_ca_file": tmp_path / "ca.crt", "mqtt_tls_cert_file": tmp_path / "hub.crt",
           "mqtt_tls_key_file": tmp_path / "hub.key"}  # fmt: skip
    path.write_text('env = "production"\n')
    with pytest.raises(ConfigError, match="refusing to start in production: mqtt_tls_ca_file"):
        load_settings(path)
    with pytest.raises(ConfigError, match="not all set"):  # a CA without a client cert
        load_settings(path, mqtt_tls_ca_file=tmp_path / "ca.crt")
    path.write_text('env = "production"\nmqtt_username = "hub"\nmqtt_password = "changeme"\n')
    with pytest.raises(ConfigError, match="mqtt_password is empty or a well-known default"):
        load_settings(path, **tls)
    path.write_text('env = "production"\n')
    with pytest.raises(ConfigError, match="journal_key is unset"):
        load_settings(path, **tls)
    with pytest.raises(ConfigError, match="log_key_file is not set"):
        load_settings(path, journal_key="j" * 32, **tls)
    with pytest.raises(ConfigError, match="witness_key_file is not set"):
        load_settings(path, journal_key="j" * 32, log_key_file=tmp_path / "log.key",
                      witness_for=[NEIGHBOUR], **tls)  # fmt: skip
    with pytest.raises(ConfigError, match="form_secret is unset"):
        load_settings(path, journal_key="j" * 32, log_key_file=tmp_path / "log.key", **tls)
    s = load_settings(path, mqtt_password="k3-long-random", journal_key="j" * 32,
                      log_key_file=tmp_path / "log.key", form_secret="f" * 32, **tls)  # fmt: skip
    assert s.production_problems() == [] and s.web_problems() == []
    assert "k3-long" not in repr(s) and "jjjj" not in repr(s)  # secrets are not printed
    assert "ffff" not in repr(s)


@pytest.mark.parametrize("secret", [None, "changeme", "f" * 31])
def test_production_refuses_a_missing_short_or_default_form_secret(
    tmp_path: Path, secret: str | None
) -> None:
    fit = {"env": "production", "mqtt_tls_ca_file": tmp_path / "ca.crt",
           "mqtt_tls_cert_file": tmp_path / "hub.crt", "mqtt_tls_key_file": tmp_path / "hub.key",
           "log_key_file": tmp_path / "log.key"}  # fmt: skip
    with pytest.raises(ConfigError, match="form_secret is unset or shorter than 32") as refused:
        load_settings(journal_key="j" * 32, form_secret=secret, **fit)
    assert "journal_key" not in str(refused.value)  # only what is wrong
    # With another secret missing too, one error names both.
    with pytest.raises(ConfigError, match=r"journal_key is unset.*; form_secret is unset"):
        load_settings(form_secret=secret, **fit)
    assert load_settings(form_secret=secret).env == "development"  # development makes one


def test_example_config_loads_and_covers_every_documented_key(tmp_path: Path) -> None:
    path = tmp_path / "hub.toml"
    path.write_text(EXAMPLE_TOML)
    assert load_settings(path).http_port == 8080
    assert set(tomllib.loads(EXAMPLE_TOML)) <= set(HubSettings.model_fields)


def test_log_and_witness_defaults_follow_the_checkpoint(tmp_path: Path) -> None:
    s = load_settings(checkpoint="garabogaz", db_path=tmp_path / "tm.db", http_port=8090)
    assert s.log_origin == "shekara.garabogaz/log"
    assert s.witness_name == "shekara.garabogaz/log/witness"
    assert s.public_url == "http://127.0.0.1:8090"
    assert s.key_file("log") == tmp_path / "tm.db.log-key"
    assert s.key_file("witness") == tmp_path / "tm.db.witness-key"
    with pytest.raises(ConfigError, match="log_origin"):
        load_settings(log_origin="has space")


def test_a_mistyped_neighbour_key_or_witness_fails_loudly() -> None:
    with pytest.raises(ConfigError, match="witness_for: 'x\\+01020304\\+AQ'"):
        load_settings(witness_for=["x+01020304+AQ"])
    with pytest.raises(ConfigError, match="the witness URL is not http"):
        load_settings(witnesses=[NEIGHBOUR + " ftp://x"])
