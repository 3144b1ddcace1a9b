"""Issuing certificates on release, and handing out their bundles.

A release appends one certificate per consignment of the notification in force, then
wakes the cosigner, so a checkpoint covering it is signed and sent to the neighbour's
witness within the second.  A bundle is built when it is asked for, against the newest
checkpoint that covers the entry and carries every witness's cosignature, or failing that
the newest checkpoint at all (signed on the spot when none covers the entry yet).
"""

from __future__ import annotations

import logging
from typing import Any

from hub.cert import certificate
from hub.cert.bundle import Bundle, TlogProof
from hub.cert.cosigner import Cosigner
from hub.cert.log import TransparencyLog
from hub.queue.journal import parse_time
from hub.store.log_sql import NewCertificate, StoredCertificate, StoredCheckpoint

log = logging.getLogger(__name__)


class CertDesk:
    """The hub's certificate office."""

    def __init__(self, log_: TransparencyLog, checkpoint: str, cosigner: Cosigner | None) -> None:
        self.log = log_
        self.checkpoint = checkpoint
        self.cosigner = cosigner
        self.issuer = certificate.Issuer(log_.origin, log_.verifier_key.split("+")[1])

    @property
    def witnesses(self) -> tuple[str, ...]:
        """The names of the witnesses asked to cosign."""
        return tuple(p.verifier.name for p in self.cosigner.peers) if self.cosigner else ()

    def issue_release(
        self,
        *,
        decision: dict[str, Any],
        seq: int,
        decision_hash: str,
        arrival: int,
        notification: dict[str, Any],
        sighting: dict[str, Any],
    ) -> list[StoredCertificate]:
        """Certificates for a released notification's consignments (appended together)."""
        bodies = certificate.consignment_bodies(
            issuer=self.issuer, checkpoint=self.checkpoint, decision=decision, seq=seq,
            decision_hash=decision_hash, notification=notification, sighting=sighting,
            year=parse_time(decision["at"]).year,
        )  # fmt: skip
        if not bodies:
            return []
        new = [NewCertificate(b["id"], decision["at"], b, certificate.digest(b), arrival,
                              notification["submitter"], notification["notification"])
               for b in bodies]  # fmt: skip
        first = self.log.append(new)
        log.info("issued %s at log index %d", ", ".join(c.cert_id for c in new), first)
        if self.cosigner is not None:
            self.cosigner.wake()
        return [StoredCertificate(first + n, c.cert_id, c.issued_at, c.arrival, c.submitter,
                                  c.notification, c.body, c.digest)
                for n, c in enumerate(new)]  # fmt: skip

    def covering(self, cert: StoredCertificate) -> StoredCheckpoint:
        """The checkpoint a bundle of ``cert`` is proved against."""
        found = self.log.tables.cosigned_checkpoint(cert.idx, len(self.witnesses))
        if found is None:
            found = self.log.tables.checkpoint()
        if found is None or found.size <= cert.idx:
            found = self.log.checkpoint()
        return found

    def bundle(self, cert: StoredCertificate, checkpoint: StoredCheckpoint | None = None) -> Bundle:
        """The holder's offline-verifiable bundle of ``cert`` (against ``checkpoint``, by
        default :meth:`covering`)."""
        checkpoint = checkpoint or self.covering(cert)
        hashes = self.log.inclusion(cert.idx, checkpoint.size)
        proof = TlogProof(cert.idx, tuple(hashes), checkpoint.full_note())
        return Bundle(cert.body, cert.digest, proof)

    def find(self, cert_id: str) -> StoredCertificate | None:
        """A certificate by its id."""
        return self.log.tables.certificate(cert_id)
