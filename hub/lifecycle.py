"""Device lifecycle actions that reach past the database: the broker's ACL and the CRL.

Every action is recorded in the audit log (:mod:`hub.store.device_sql`).  After each
one the broker's ACL is written afresh from the registry (:mod:`shekara.acl`) and the
broker is told to reread it and the CRL (``broker_reload_command``).  A revoked device
is out of the ACL, its client certificate is in the CRL when the hub holds the PKI
folder, and the ingest pipeline dead-letters whatever it still manages to send
(:mod:`hub.registry`).
"""

from __future__ import annotations

import logging
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from hub.config import HubSettings
from hub.store import Device, Store
from hub.store.device_sql import DeviceTables, Revocation
from shekara import acl, pki
from shekara.errors import ConfigError
from shekara.wire import Address, utc_timestamp

log = logging.getLogger(__name__)


def hub_identity(settings: HubSettings) -> str:
    """The hub's broker user name: its certificate's CN, else its MQTT client id."""
    if settings.mqtt_tls_cert_file is not None:
        return pki.common_name(pki.load_cert(settings.mqtt_tls_cert_file))
    return settings.mqtt_client_id


class DeviceAdmin:
    """Add, revoke and publish the broker's view of the devices."""

    def __init__(self, store: Store, settings: HubSettings | None = None) -> None:
        self.store = store
        self.settings = settings
        self.tables = DeviceTables(store)

    def acl_text(self) -> str:
        """The ACL for every registered, unrevoked device and this hub."""
        revoked = self.tables.revocations()
        devices = [
            Address(d.checkpoint, d.lane, d.device_id)
            for d in self.store.list_devices()
            if d.device_id not in revoked
        ]
        hubs = [(hub_identity(self.settings), self.settings.checkpoint)] if self.settings else []
        return acl.render(hubs, devices)

    def added(self, device: Device, actor: str) -> None:
        """Audit a registration and let the broker admit the device."""
        self.tables.audit(actor, "device.add", device.device_id,
                          {"checkpoint": device.checkpoint, "lane": device.lane,
                           "key_id": device.key_id}, _now())  # fmt: skip
        self.publish_acl()

    def revoke(self, device_id: str, reason: str, actor: str) -> Revocation:
        """Revoke for good: audit, CRL (when the PKI is here), ACL, broker reload."""
        if not reason.strip():
            raise ConfigError("a revocation needs a reason")
        revocation = self.tables.revoke(device_id, reason.strip(), actor, _now())
        self._revoke_certificate(device_id, reason)
        self.publish_acl()
        log.warning("device %s revoked by %s: %s", device_id, actor, reason)
        return revocation

    def _revoke_certificate(self, device_id: str, reason: str) -> None:
        folder = self.settings.pki_dir if self.settings else None
        cert_file = folder / "clients" / f"{device_id}.crt" if folder else None
        if folder is None or cert_file is None or not cert_file.exists():
            return
        pki.revoke(folder, pki.load_cert(cert_file), reason)

    def publish_acl(self) -> Path | None:
        """Write the ACL file (atomically) and reload the broker; None when not configured."""
        target = self.settings.broker_acl_file if self.settings else None
        if self.settings is None or target is None:
            return None
        partial = target.with_name(f".{target.name}.tmp")
        partial.write_text(self.acl_text(), encoding="utf-8")
        os.replace(partial, target)  # the broker never reads half a file
        if command := self.settings.broker_reload_command:
            done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
            if done.returncode != 0:
                raise ConfigError(
                    f"the ACL is written but {' '.join(command)!r} failed "
                    f"({done.returncode}): {done.stderr.strip()[:300]}"
                )
        return target


def _now() -> str:
    return utc_timestamp(datetime.now(UTC))
