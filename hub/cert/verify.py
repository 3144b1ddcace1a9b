"""Offline verification of a certificate bundle with the log's and witnesses' public keys.

The checks, in order, each with the error that names its failure:

1. the body hashes to ``body_sha256``                     → :class:`BodyMismatch`
2. the tlog-proof and its checkpoint parse                → :class:`MalformedProof`,
                                                            :class:`MalformedNote`
3. the log's signature on the checkpoint verifies         → :class:`BadSignature`,
                                                            :class:`MissingSignature`
4. every required witness cosigned the checkpoint         → :class:`BadCosignature`,
                                                            :class:`MissingSignature`
5. the checkpoint's origin is the log's key name, and the body names that log
                                                          → :class:`MalformedNote`,
                                                            :class:`MalformedBundle`
6. the inclusion proof leads from the leaf to the root    → :class:`InclusionMismatch`

Nothing here opens a connection.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hub.cert import merkle, note
from hub.cert.bundle import Bundle, parse_bundle
from hub.cert.errors import (
    BodyMismatch,
    LogError,
    MalformedBundle,
    MalformedNote,
    MissingSignature,
)
from shekara import jcs


@dataclass(frozen=True, slots=True)
class Verified:
    """What a bundle was checked to be."""

    cert_id: str
    index: int
    size: int
    origin: str
    witnesses: tuple[str, ...]
    checks: list[str] = field(default_factory=list)


def verify_bundle(
    bundle: Bundle, log_key: note.Verifier, witness_keys: Sequence[note.Verifier] = ()
) -> Verified:
    """Check ``bundle`` against the log's key and the witness keys that must have cosigned."""
    checks: list[str] = []
    actual = hashlib.sha256(jcs.canonical_bytes(bundle.body)).hexdigest()
    if actual != bundle.body_sha256:
        raise BodyMismatch(
            f"the body hashes to {actual[:16]}…, the log leaf holds {bundle.body_sha256[:16]}…"
        )
    checks.append(f"body hashes to the leaf data {actual}")
    trusted = {(k.name, k.id): k for k in (log_key, *witness_keys)}
    text, verified = note.open_note(bundle.proof.checkpoint, trusted)
    if log_key.name not in verified:
        raise MissingSignature(f"the checkpoint carries no signature of the log {log_key.name}")
    checks.append(f"checkpoint signed by the log key {log_key.name}+{log_key.id.hex()}")
    for witness in witness_keys:
        if witness.name not in verified:
            raise MissingSignature(f"the checkpoint carries no cosignature of {witness.name}")
        checks.append(f"checkpoint cosigned by the witness {witness.name}+{witness.id.hex()}")
    checkpoint = note.parse_checkpoint(text)
    if checkpoint.origin != log_key.name:
        raise MalformedNote(f"the checkpoint's origin {checkpoint.origin!r} is not the log's")
    issuer = bundle.body.get("issuer")
    if not isinstance(issuer, dict) or issuer.get("log") != checkpoint.origin:
        raise MalformedBundle(f"the body does not name the log {checkpoint.origin} as issuer")
    leaf = merkle.leaf_hash(bytes.fromhex(bundle.body_sha256))
    merkle.verify_inclusion(
        bundle.proof.index, checkpoint.size, leaf, bundle.proof.hashes, checkpoint.root
    )
    checks.append(
        f"entry {bundle.proof.index} is in the tree of size {checkpoint.size} "
        f"({len(bundle.proof.hashes)} proof hashes)"
    )
    return Verified(
        str(bundle.body.get("id", "")), bundle.proof.index, checkpoint.size, checkpoint.origin,
        tuple(w.name for w in witness_keys), checks,
    )  # fmt: skip


Policy = Callable[[str], "tuple[note.Verifier, list[note.Verifier]] | None"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """A verdict for people: verified or not, the reason word and what it means."""

    ok: bool
    reason: str  # "verified", or the failing check's reason
    detail: str
    verified: Verified | None = None
    body: dict[str, Any] | None = None


def check_text(text: str | bytes, policy: Policy) -> Outcome:
    """Verify a bundle's JSON with the keys ``policy`` gives for its log's origin."""
    try:
        bundle = parse_bundle(text)
        origin = note.parse_checkpoint(note.split(bundle.proof.checkpoint)[0]).origin
        keys = policy(origin)
        if keys is None:
            return Outcome(False, "unknown_log", f"no trusted key for the log {origin!r}")
        verified = verify_bundle(bundle, *keys)
    except LogError as exc:
        return Outcome(False, exc.reason, str(exc))
    return Outcome(True, "verified", "; ".join(verified.checks), verified, bundle.body)
