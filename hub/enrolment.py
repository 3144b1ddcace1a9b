"""Device enrolment at the hub: requests in, an operator's approval, a certificate out.

A request (:mod:`shekara.enrol`) is checked (both proofs, the CSR's name, this hub's
checkpoint) and kept under its code.  Approving registers the device with its key,
checkpoint and lane, issues its TLS client certificate from ``pki_dir``'s CA when the
hub holds it (else the operator issues one with ``shekara-pki``), records the
certificate's fingerprint and an audit entry, and admits the device to the broker's
ACL.  The device fetches the certificate by its code.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from cryptography import x509

from hub.config import HubSettings
from hub.lifecycle import DeviceAdmin
from hub.store import Device, Store
from hub.store.enrol_sql import Enrolment, EnrolmentTables, UnknownEnrolment
from shekara import enrol, pki
from shekara.errors import InvalidEnvelope
from shekara.keys import key_id, public_key_from_b64
from shekara.wire import utc_timestamp

log = logging.getLogger(__name__)

# Undecided requests kept at once: enough for a checkpoint's worth of new devices,
# few enough that a flood of forged requests cannot bury the real one.
MAX_PENDING = 50


class EnrolmentDesk:
    """Takes, approves and rejects device enrolment requests."""

    def __init__(
        self,
        store: Store,
        settings: HubSettings | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings
        self.admin = DeviceAdmin(store, settings)
        self.tables = EnrolmentTables(store)
        self.store = store
        self._now = clock or (lambda: datetime.now(UTC))

    def submit(self, request: dict[str, Any], requested_from: str) -> Enrolment:
        """Check and keep a request (the same request again returns the kept one)."""
        parsed, _ = enrol.check(request)
        serves = self.settings.checkpoint if self.settings else None
        if serves is not None and parsed.checkpoint != serves:
            raise InvalidEnvelope(
                f"this hub serves checkpoint {serves!r}, not {parsed.checkpoint!r}"
            )
        kept = self.tables.submit(
            Enrolment(
                code=enrol.code_of(request), device_id=parsed.device_id,
                checkpoint=parsed.checkpoint, lane=parsed.lane,
                public_key_b64=parsed.public_key, csr_pem=parsed.csr,
                requested_at=utc_timestamp(self._now()), requested_from=requested_from[:200],
            ),
            MAX_PENDING,
        )  # fmt: skip
        log.info("enrolment %s: %s at %s/%s from %s", kept.code, kept.device_id,
                 kept.checkpoint, kept.lane, requested_from)  # fmt: skip
        return kept

    def get(self, code: str) -> Enrolment:
        """A request by code (:class:`UnknownEnrolment` if none)."""
        found = self.tables.get(code)
        if found is None:
            raise UnknownEnrolment(f"no enrolment request has the code {code!r}")
        return found

    def approve(self, code: str, actor: str) -> Enrolment:
        """Register the device, issue its certificate when the CA is here, admit it."""
        found = self.get(code)
        public = public_key_from_b64(found.public_key_b64)
        device = Device(found.device_id, found.public_key_b64, key_id(public),
                        found.checkpoint, found.lane, utc_timestamp(self._now()))  # fmt: skip
        cert = self._certificate(found)
        approved = self.tables.approve(
            code, device, actor, pki.pem(cert).decode("ascii") if cert else None,
            pki.fingerprint(cert) if cert else None,
        )  # fmt: skip
        if cert is not None and self.settings and self.settings.pki_dir:
            # Where revocation looks for it (hub.lifecycle); written once the device exists.
            (self.settings.pki_dir / "clients").mkdir(exist_ok=True)
            (self.settings.pki_dir / "clients" / f"{device.device_id}.crt").write_bytes(
                pki.pem(cert)
            )
        self.admin.publish_acl()
        log.warning("device %s enrolled at %s/%s by %s (code %s)", device.device_id,
                    device.checkpoint, device.lane, actor, code)  # fmt: skip
        return approved

    def reject(self, code: str, actor: str, reason: str) -> Enrolment:
        """Refuse a request; the device is told ``reason``."""
        if not reason.strip():
            raise InvalidEnvelope("a rejection needs a reason")
        return self.tables.reject(code, actor, reason.strip(), utc_timestamp(self._now()))

    def ca_pem(self) -> str | None:
        """The CA certificate devices are to trust, when the hub holds the PKI folder."""
        folder = self.settings.pki_dir if self.settings else None
        if folder is None or not (folder / "ca.crt").exists():
            return None
        return (folder / "ca.crt").read_text(encoding="ascii")

    def _certificate(self, found: Enrolment) -> x509.Certificate | None:
        folder = self.settings.pki_dir if self.settings else None
        if found.state != "pending" or folder is None or not (folder / "ca.key").exists():
            return None
        csr = x509.load_pem_x509_csr(found.csr_pem.encode("ascii"))
        return pki.load_authority(folder).sign_request(csr, found.device_id)
