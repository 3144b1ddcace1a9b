"""The certificate parts of a hub, built from its settings: log, desk, cosigner, witness."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.cert import note
from hub.cert.cosigner import Cosigner, Post, WitnessPeer, http_post
from hub.cert.desk import CertDesk
from hub.cert.errors import LogError
from hub.cert.log import TransparencyLog
from hub.cert.witness import Witness
from hub.config import HubSettings
from hub.store import Store
from hub.store.log_sql import LogTables
from shekara.errors import ConfigError, KeyFileError
from shekara.keys import load_private_key, write_keypair

log = logging.getLogger(__name__)


def signing_key(path: Path, development: bool) -> Ed25519PrivateKey:
    """The key at ``path``; in development one is made there when missing."""
    if development and not path.exists():
        log.warning("development: generating %s", path)
        return write_keypair(path)
    try:
        return load_private_key(path)
    except KeyFileError as exc:
        raise ConfigError(str(exc)) from None


@dataclass(frozen=True, slots=True)
class CertParts:
    """The hub's certificate log and what serves it."""

    log: TransparencyLog
    desk: CertDesk
    cosigner: Cosigner
    witness: Witness
    neighbours: tuple[note.Verifier, ...]  # the logs this hub's witness cosigns

    def policy(self, origin: str) -> tuple[note.Verifier, list[note.Verifier]] | None:
        """The log key and the witness keys a bundle of ``origin`` must carry here.

        This hub's own certificates need every configured witness; a neighbour's need
        this hub's own witness, which cosigned them.  Other logs are not trusted.
        """
        if origin == self.log.origin:
            own = note.parse_verifier_key(self.log.verifier_key)
            return own, [p.verifier for p in self.cosigner.peers]
        for neighbour in self.neighbours:
            if neighbour.name == origin:
                return neighbour, [note.parse_verifier_key(self.witness.verifier_key)]
        return None


def build(
    settings: HubSettings,
    store: Store,
    clock: Callable[[], datetime],
    post: Post = http_post,
) -> CertParts:
    """Load (or, in development, make) the keys and wire the parts together."""
    development = settings.env == "development"
    tables = LogTables(store)
    try:
        logs = [note.parse_verifier_key(k) for k in settings.witness_for]
        peers = [WitnessPeer.parse(w) for w in settings.witnesses]
    except LogError as exc:
        raise ConfigError(f"witness_for / witnesses: {exc}") from None
    transparency = TransparencyLog(
        tables, settings.log_origin, signing_key(settings.key_file("log"), development), clock
    )
    witness = Witness(
        tables, settings.witness_name,
        signing_key(settings.key_file("witness"), development), logs, clock,
    )  # fmt: skip
    cosigner = Cosigner(transparency, peers, settings.checkpoint_interval_s, post)
    desk = CertDesk(transparency, settings.checkpoint or "main", cosigner)
    return CertParts(transparency, desk, cosigner, witness, tuple(logs))
