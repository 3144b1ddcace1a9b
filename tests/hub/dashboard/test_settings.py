"""The alert settings: the webhook must be http(s), and https in production unless allowed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hub.config import load_settings
from shekara.errors import ConfigError


def production(tmp_path: Path) -> dict[str, Any]:
    """Everything else a production hub needs."""
    return {"env": "production", "mqtt_tls_ca_file": tmp_path / "ca.crt",
            "mqtt_tls_cert_file": tmp_path / "hub.crt", "mqtt_tls_key_file": tmp_path / "hub.key",
            "log_key_file": tmp_path / "log.key", "journal_key": "j" * 32,
            "form_secret": "f" * 32}  # fmt: skip


def test_the_webhook_is_an_http_url() -> None:
    with pytest.raises(ConfigError, match="alert_webhook_url: must be an http"):
        load_settings(alert_webhook_url="ftp://alerts.example/x")
    assert load_settings(alert_webhook_url="http://127.0.0.1:9000/x").alert_webhook_url


def test_production_posts_alerts_over_https_only(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="alert_webhook_url is not https"):
        load_settings(alert_webhook_url="http://10.1.1.5/hook", **production(tmp_path))
    # With another problem, one error names both.
    with pytest.raises(ConfigError, match=r"log_key_file is not set.*alert_webhook_url is not"):
        load_settings(alert_webhook_url="http://10.1.1.5/hook",
                      **{**production(tmp_path), "log_key_file": None})  # fmt: skip
    allowed = load_settings(alert_webhook_url="http://127.0.0.1:9000/hook",
                            alert_webhook_allow_http=True, **production(tmp_path))  # fmt: skip
    assert allowed.production_problems() == []
    fine = load_settings(alert_webhook_url="https://alerts.example/hook", **production(tmp_path))
    assert fine.production_problems() == []


def test_the_secret_comes_from_the_environment_and_is_never_printed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "hub.toml"
    path.write_text('alert_webhook_url = "https://alerts.example/hook"\nalert_wait_minutes = 90\n')
    monkeypatch.setenv("SHEKARA_HUB_ALERT_WEBHOOK_SECRET", "s3cr3t-webhook-key-of-32-chars!!")
    settings = load_settings(path)
    assert settings.alert_webhook_secret is not None
    assert settings.alert_webhook_secret.get_secret_value().startswith("s3cr3t")
    assert "s3cr3t" not in repr(settings) and settings.alert_wait_minutes == 90
    path.write_text("alert_outbox_reports = 1\n")
    with pytest.raises(ConfigError, match="alert_outbox_reports"):
        load_settings(path)
