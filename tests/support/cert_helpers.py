"""A certificate log and a witness on real SQLite files, wired in-process."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.cert import certificate, note
from hub.cert.bundle import Bundle
from hub.cert.cosigner import Cosigner, Post, WitnessPeer
from hub.cert.desk import CertDesk
from hub.cert.log import TransparencyLog
from hub.cert.witness import Witness
from hub.store import Store
from hub.store.log_sql import LogTables, NewCertificate

ORIGIN = "shekara.temirbaba/log"
WITNESS = "shekara.garabogaz/log/witness"


def body(n: int, origin: str = ORIGIN) -> dict[str, Any]:
    """A small certificate body."""
    return {"v": 1, "id": f"TEMIRBABA-2026-{n:08d}",
            "issuer": {"log": origin, "key_id": "00"},
            "consignment": {"gross_kg": 12000.5, "items": 2},
            "vehicle": {"tractor": "123ABC02"}}  # fmt: skip


def new_cert(n: int, origin: str = ORIGIN) -> NewCertificate:
    """The certificate ``n`` as appended."""
    b = body(n, origin)
    return NewCertificate(b["id"], "2026-11-21T10:00:00.000Z", b, certificate.digest(b))


def witness_post(witness: Witness) -> Post:
    """A cosigner's HTTP call answered by ``witness`` in-process."""

    def post(url: str, raw: bytes) -> tuple[int, str, str]:
        assert url.endswith("/add-checkpoint")
        reply = witness.add_checkpoint(raw)
        return reply.status, reply.body, reply.content_type.split(";")[0]

    return post


@dataclass
class Pair:
    """The Kazakh log and the Turkmen witness of it."""

    log: TransparencyLog
    witness: Witness
    cosigner: Cosigner
    desk: CertDesk
    log_key: note.Verifier
    witness_key: note.Verifier

    def issue(self, count: int = 1) -> int:
        """Append ``count`` certificates; the index of the first."""
        start = self.log.size
        return self.log.append([new_cert(start + n) for n in range(count)])

    def bundle(self, index: int) -> Bundle:
        """The bundle of the certificate at ``index``, after a checkpoint and cosigning."""
        self.cosigner.step()
        cert = self.log.tables.certificate(body(index)["id"])
        assert cert is not None
        return self.desk.bundle(cert)


def pair(tmp_path: Path) -> Pair:
    """A log on ``kz.db`` witnessed by a witness on ``tm.db``."""
    log = TransparencyLog(LogTables(Store(tmp_path / "kz.db")), ORIGIN,
                          Ed25519PrivateKey.generate())  # fmt: skip
    log_key = note.parse_verifier_key(log.verifier_key)
    witness = Witness(LogTables(Store(tmp_path / "tm.db")), WITNESS,
                      Ed25519PrivateKey.generate(), [log_key])  # fmt: skip
    peer = WitnessPeer.parse(f"{witness.verifier_key} http://tm.invalid/witness")
    cosigner = Cosigner(log, [peer], post=witness_post(witness))
    desk = CertDesk(log, "temirbaba", cosigner)
    return Pair(log, witness, cosigner, desk, log_key, peer.verifier)
