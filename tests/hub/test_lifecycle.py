"""Device revocation end to end inside the hub: audit, ACL file, reload, CRL, dead letters."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hub_support import SimDevice, register

from hub.config import HubSettings
from hub.ingest import Ingestor
from hub.lifecycle import DeviceAdmin
from hub.outcome import Kind
from hub.store import Store
from hub.store.device_sql import DeviceTables
from shekara import pki, wire
from shekara.errors import ConfigError
from shekara.pki_cli import main as pki_main
from shekara.wire import encode


def settings(tmp_path: Path, **more: object) -> HubSettings:
    return HubSettings(db_path=tmp_path / "hub.db", checkpoint="cp1",
                       broker_acl_file=tmp_path / "broker.acl", **more)  # type: ignore[arg-type]  # fmt: skip


def test_revocation_rewrites_the_acl_reloads_and_audits(
    store: Store, device: SimDevice, tmp_path: Path
) -> None:
    other = register(store, Ed25519PrivateKey.generate(), wire.Address("cp1", "lane2", "cam2"))
    marker = tmp_path / "reloaded"
    admin = DeviceAdmin(store, settings(tmp_path, broker_reload_command=["touch", str(marker)]))
    admin.publish_acl()
    assert "user cam1\n" in (tmp_path / "broker.acl").read_text()
    marker.unlink()
    admin.revoke("cam1", "camera stolen", "ops")
    acl = (tmp_path / "broker.acl").read_text()
    assert "user cam1\n" not in acl and f"user {other.device_id}\n" in acl
    assert "user shekara-hub-cp1\n" in acl
    assert marker.exists()
    assert [e.action for e in DeviceTables(store).audit_log()] == ["device.revoke"]


def test_a_failing_reload_is_reported_not_hidden(
    store: Store, device: SimDevice, tmp_path: Path
) -> None:
    admin = DeviceAdmin(store, settings(tmp_path, broker_reload_command=["false"]))
    with pytest.raises(ConfigError, match="the ACL is written but 'false' failed"):
        admin.revoke("cam1", "stolen", "ops")
    assert "cam1" in DeviceTables(store).revocations()  # the revocation itself stands


def test_revocation_puts_the_certificate_in_the_crl(
    store: Store, device: SimDevice, tmp_path: Path
) -> None:
    folder = tmp_path / "pki"
    pki_main(["ca", "--dir", str(folder)])
    pki_main(["device", "cam1", "--dir", str(folder)])
    DeviceAdmin(store, settings(tmp_path, pki_dir=folder)).revoke("cam1", "stolen", "ops")
    crl = x509.load_pem_x509_crl((folder / "crl.pem").read_bytes())
    serial = pki.load_cert(folder / "clients" / "cam1.crt").serial_number
    assert crl.get_revoked_certificate_by_serial_number(serial) is not None


def test_a_revocation_needs_a_reason(store: Store, device: SimDevice, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="needs a reason"):
        DeviceAdmin(store, settings(tmp_path)).revoke("cam1", "  ", "ops")


def test_events_of_a_revoked_device_go_to_dead_letter_with_the_reason(
    store: Store, device: SimDevice, ingestor: Ingestor
) -> None:
    assert ingestor.process(device.topic(), encode(device.next())).kind is Kind.STORED
    DeviceAdmin(store).revoke("cam1", "camera stolen", "ops")
    ingestor.devices.reread_revocations()  # a revocation by another process: within 2 s
    outcome = ingestor.process(device.topic(), encode(device.next()))
    assert (outcome.kind, outcome.reason) == (Kind.DEAD_LETTER, "device_revoked")
    assert "by ops: camera stolen" in (outcome.detail or "")
    [dead] = store.list_dead_letters()
    assert dead.reason == "device_revoked"
