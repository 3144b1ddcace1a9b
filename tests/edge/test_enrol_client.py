"""``shekara-edge enrol`` against a hub served over HTTP: approved, rejected, still
pending, a CA the device already trusts, and configs that cannot enrol."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from live_hub import live_hub

from edge import enrol_client
from edge.config import DeviceConfig, load_config
from hub.config import HubSettings
from hub.enrolment import EnrolmentDesk
from shekara import pki
from shekara.errors import ConfigError
from shekara.pki_cli import main as pki_main


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[tuple[str, FastAPI]]:
    pki_main(["ca", "--dir", str(tmp_path / "pki")])
    settings = HubSettings(db_path=tmp_path / "hub.db", checkpoint="temirbaba",
                           pki_dir=tmp_path / "pki")  # fmt: skip
    with live_hub(settings, lambda: datetime.now(UTC)) as served:
        yield served


def device_config(tmp_path: Path, tls: bool = True) -> DeviceConfig:
    path = tmp_path / "device" / "device.toml"
    path.parent.mkdir(exist_ok=True)
    files = 'tls_ca_file = "tls/ca.crt"\ntls_cert_file = "tls/d.crt"\ntls_key_file = "tls/d.key"\n'
    path.write_text(
        'device_id = "tmb-entry-5"\ncheckpoint = "temirbaba"\nlane = "entry-1"\n'
        'role = "entry_lane"\nkey_file = "device.key"\n'
        f"[mqtt]\n{files if tls else ''}"
        '[camera]\nsource = "0"\n[outbox]\npath = "outbox.db"\n'
    )
    return load_config(path)


def operator(app: FastAPI, decide: Callable[[EnrolmentDesk, str], object]) -> Callable[[str], None]:
    """A ``say`` that acts as the operator once the request is at the hub."""
    lines: list[str] = []

    def say(line: str) -> None:
        lines.append(line)
        if line.startswith("waiting for the operator") and len(lines) == 3:
            code = lines[0].removeprefix("enrolment code: ")
            runtime = app.state.hub
            decide(EnrolmentDesk(runtime.store, runtime.settings), code)

    say.lines = lines  # type: ignore[attr-defined]
    return say


def test_approved_the_certificate_and_ca_are_written(
    hub: tuple[str, FastAPI], tmp_path: Path
) -> None:
    url, app = hub
    config = device_config(tmp_path)
    say = operator(app, lambda desk, code: desk.approve(code, "test:ops"))
    status = enrol_client.run(config, enrol_client.HubClient(url), wait_s=30, poll_s=0.05, say=say)
    assert status == enrol_client.APPROVED, say.lines  # type: ignore[attr-defined]
    cert = pki.load_cert(tmp_path / "device" / "tls" / "d.crt")
    cert.verify_directly_issued_by(pki.load_cert(tmp_path / "pki" / "ca.crt"))
    assert pki.common_name(cert) == "tmb-entry-5"
    assert (tmp_path / "device" / "tls" / "ca.crt").read_bytes() == (
        tmp_path / "pki" / "ca.crt"
    ).read_bytes()
    assert (tmp_path / "device" / "device.key").stat().st_mode & 0o077 == 0
    printed = "\n".join(say.lines)  # type: ignore[attr-defined]
    assert pki.fingerprint(cert) in printed and "enrolled as tmb-entry-5" in printed


def test_rejected_the_reason_is_printed(hub: tuple[str, FastAPI], tmp_path: Path) -> None:
    url, app = hub
    say = operator(app, lambda desk, code: desk.reject(code, "test:ops", "not on our list"))
    status = enrol_client.run(device_config(tmp_path), enrol_client.HubClient(url), wait_s=30,
                              poll_s=0.05, say=say)  # fmt: skip
    assert status == enrol_client.REJECTED
    assert say.lines[-1] == "rejected by the hub: not on our list"  # type: ignore[attr-defined]


def test_still_pending_after_the_wait_and_the_same_code_next_time(
    hub: tuple[str, FastAPI], tmp_path: Path
) -> None:
    url, _ = hub
    config, said = device_config(tmp_path), list[str]()
    client = enrol_client.HubClient(url)
    assert enrol_client.run(config, client, wait_s=0.2, poll_s=0.05, say=said.append) == 3
    assert "run the same command again" in said[-1]
    again = list[str]()
    enrol_client.run(config, client, wait_s=0.1, poll_s=0.05, say=again.append)
    assert again[0] == said[0]


def test_a_ca_already_on_the_device_must_have_issued_the_certificate(
    hub: tuple[str, FastAPI], tmp_path: Path
) -> None:
    url, app = hub
    pki_main(["ca", "--dir", str(tmp_path / "other")])
    (tmp_path / "device" / "tls").mkdir(parents=True)
    (tmp_path / "device" / "tls" / "ca.crt").write_bytes(
        (tmp_path / "other" / "ca.crt").read_bytes()
    )
    say = operator(app, lambda desk, code: desk.approve(code, "test:ops"))
    with pytest.raises(ConfigError, match="not issued by the CA"):
        enrol_client.run(device_config(tmp_path), enrol_client.HubClient(url), wait_s=30,
                         poll_s=0.05, say=say)  # fmt: skip
    assert not (tmp_path / "device" / "tls" / "d.crt").exists()


def test_a_hub_for_another_checkpoint_says_so(hub: tuple[str, FastAPI], tmp_path: Path) -> None:
    url, _ = hub
    config = device_config(tmp_path)
    config.checkpoint = "garabogaz"
    with pytest.raises(enrol_client.HubRefused, match="serves checkpoint 'temirbaba'"):
        enrol_client.run(config, enrol_client.HubClient(url), wait_s=5, say=lambda _: None)


def test_configs_and_urls_that_cannot_enrol(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"needs mqtt\.tls_ca_file"):
        enrol_client.build_request(device_config(tmp_path, tls=False))
    with pytest.raises(ConfigError, match="must start with http"):
        enrol_client.HubClient("file:///etc/passwd")
