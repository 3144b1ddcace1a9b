"""Request and response models of the device lifecycle routes (enrolment, revoke, audit)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from hub.store.device_sql import AuditEntry, Revocation
from hub.store.enrol_sql import Enrolment


class EnrolmentOut(BaseModel):
    """An enrolment request as the device sees it: poll until ``state`` is decided."""

    code: str = Field(description="The code the device prints; approve only that one")
    device_id: str
    checkpoint: str
    lane: str
    state: str = Field(description="pending, approved or rejected")
    requested_at: str
    decided_at: str | None
    reason: str | None = Field(description="Why it was rejected")
    certificate: str | None = Field(description="PEM client certificate, once approved")
    fingerprint: str | None = Field(description="SHA-256 of the certificate (hex)")
    ca_certificate: str | None = Field(description="PEM CA certificate to trust for the broker")

    @classmethod
    def of(cls, e: Enrolment, ca: str | None) -> EnrolmentOut:
        """From the stored request; the CA is shown once the request is approved."""
        return cls(
            code=e.code, device_id=e.device_id, checkpoint=e.checkpoint, lane=e.lane,
            state=e.state, requested_at=e.requested_at, decided_at=e.decided_at,
            reason=e.reason, certificate=e.certificate, fingerprint=e.fingerprint,
            ca_certificate=ca if e.state == "approved" else None,
        )  # fmt: skip


class EnrolmentRow(EnrolmentOut):
    """An enrolment request as operators see it."""

    requested_from: str = Field(description="Client address the request came from")
    decided_by: str | None


class ReasonIn(BaseModel):
    """Why: kept in the audit log."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=3, max_length=500, description="Why (kept in the audit log)")


class RevocationOut(BaseModel):
    """A device's revocation."""

    device_id: str
    revoked_at: str
    reason: str
    actor: str

    @classmethod
    def of(cls, r: Revocation) -> RevocationOut:
        """From the stored revocation."""
        return cls(device_id=r.device_id, revoked_at=r.revoked_at, reason=r.reason, actor=r.actor)


class AuditOut(BaseModel):
    """One device lifecycle action."""

    id: int = Field(description="Increasing; pass the last one as ?after= for the next page")
    at: str
    actor: str
    action: str = Field(description="device.add, device.enrol, device.key_rotate, ...")
    subject: str = Field(description="The device")
    detail: dict[str, Any]

    @classmethod
    def of(cls, a: AuditEntry) -> AuditOut:
        """From the stored entry."""
        return cls(id=a.id, at=a.at, actor=a.actor, action=a.action, subject=a.subject,
                   detail=a.detail)  # fmt: skip
