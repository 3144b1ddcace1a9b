"""What goes wrong when a certificate, a proof or a checkpoint does not verify.

One base class; each subclass names the check that failed, and its message says what is
malformed, so ``shekara-hub cert verify`` can print the precise reason.
"""

from __future__ import annotations

from shekara.errors import ShekaraError


class LogError(ShekaraError):
    """A log proof, checkpoint or certificate failed verification."""

    reason = "log_error"


class MalformedProof(LogError):
    """A proof of the wrong shape: an index outside the tree, a hash of the wrong length."""

    reason = "malformed_proof"


class InclusionMismatch(LogError):
    """An inclusion proof that does not lead from the leaf to the signed root."""

    reason = "inclusion_proof_mismatch"


class ConsistencyMismatch(LogError):
    """A consistency proof that does not join the older root to the newer one."""

    reason = "consistency_proof_mismatch"


class MalformedNote(LogError):
    """A signed note or checkpoint that does not follow C2SP signed-note / tlog-checkpoint."""

    reason = "malformed_note"


class BadSignature(LogError):
    """A signature from a trusted key that does not verify over the note text."""

    reason = "bad_log_signature"


class MissingSignature(LogError):
    """No signature from a trusted key: the log's own, or a required witness's."""

    reason = "missing_trusted_signature"


class BadCosignature(BadSignature):
    """A witness's cosignature from a trusted witness key that does not verify."""

    reason = "bad_cosignature"


class BodyMismatch(LogError):
    """A certificate body that does not hash to the digest its log leaf holds."""

    reason = "body_hash_mismatch"


class MalformedBundle(LogError):
    """A certificate bundle that is not the JSON or tlog-proof it should be."""

    reason = "malformed_bundle"
