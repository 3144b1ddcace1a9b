"""A witness of the neighbour's log (c2sp.org/tlog-witness, ``add-checkpoint``).

Request body, each line newline-terminated::

    old <size of the checkpoint this witness last cosigned, or 0>
    <base64 hash>             (0 to 63 lines: RFC 9162 consistency proof old → new)
    <empty line>
    <the checkpoint's signed note>

Answers, as the spec orders them: 404 unknown origin, 403 no trusted signature verifies,
400 old size above the new one, 409 old size is not the stored one (body: the stored size,
``text/x.tlog.size``), 422 the consistency proof fails, 409 same size with another root.
On success the new size is stored atomically (compare-and-set on the old size) before the
200 reply, which is one cosignature/v1 line.  Refusals of a validly signed checkpoint are
kept: a log that shows two trees of one size has signed its own split view.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.cert import merkle, note
from hub.cert.errors import ConsistencyMismatch, LogError, MalformedProof
from hub.store.log_sql import LogTables
from shekara.wire import utc_timestamp

log = logging.getLogger(__name__)

SIZE_TYPE = "text/x.tlog.size"
MAX_PROOF_LINES = 63
MAX_BODY = 16 * 1024


@dataclass(frozen=True, slots=True)
class Reply:
    """An HTTP answer: status, body, content type."""

    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


@dataclass(frozen=True, slots=True)
class Submission:
    """A parsed add-checkpoint request."""

    old: int
    proof: tuple[bytes, ...]
    note: str


def parse_submission(raw: bytes) -> Submission:
    """The request body; raises :class:`MalformedProof` saying what is wrong."""
    if len(raw) > MAX_BODY:
        raise MalformedProof(f"the request has {len(raw)} bytes; at most {MAX_BODY}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedProof("the request is not UTF-8") from None
    head, sep, signed = text.partition("\n\n")
    lines = head.split("\n")
    if not sep or not lines[0].startswith("old "):
        raise MalformedProof("the request starts with 'old <size>' and has an empty line")
    size = lines[0][4:]
    if not size.isdigit() or (size != "0" and size.startswith("0")):
        raise MalformedProof(f"the old size {size[:30]!r} is not a decimal without leading zeroes")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise MalformedProof(f"{len(lines) - 1} proof lines; at most {MAX_PROOF_LINES}")
    try:
        proof = tuple(base64.b64decode(line, validate=True) for line in lines[1:])
    except binascii.Error:
        raise MalformedProof("a consistency proof line is not base64") from None
    return Submission(int(size), proof, signed)


def submission_text(old: int, proof: Sequence[bytes], signed_note: str) -> str:
    """The body of an add-checkpoint request."""
    lines = [f"old {old}", *(base64.b64encode(h).decode() for h in proof)]
    return "".join(line + "\n" for line in lines) + "\n" + signed_note


class Witness:
    """Cosigns the checkpoints of the logs it knows, never two trees of one size."""

    def __init__(
        self,
        tables: LogTables,
        name: str,
        key: Ed25519PrivateKey,
        logs: Sequence[note.Verifier],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.tables = tables
        self.name = name
        self._key = key
        self._logs = {v.name: v for v in logs}
        self._clock = clock
        self.verifier_key = note.verifier_key(name, key.public_key(), note.COSIGNATURE_V1)

    def add_checkpoint(self, raw: bytes) -> Reply:
        """Answer one ``add-checkpoint`` request."""
        try:
            sub = parse_submission(raw)
            text, _ = note.split(sub.note)
            checkpoint = note.parse_checkpoint(text)
        except LogError as exc:
            return Reply(400, f"{exc}\n")
        verifier = self._logs.get(checkpoint.origin)
        if verifier is None:
            return Reply(404, f"this witness does not follow the log {checkpoint.origin!r}\n")
        try:
            note.open_note(sub.note, {(verifier.name, verifier.id): verifier})
        except LogError as exc:
            return Reply(403, f"{exc}\n")
        if sub.old > checkpoint.size:
            return Reply(400, f"old size {sub.old} is above the checkpoint's {checkpoint.size}\n")
        return self._advance(sub, text, checkpoint)

    def _advance(self, sub: Submission, text: str, checkpoint: note.Checkpoint) -> Reply:
        origin = checkpoint.origin
        size, root = self.tables.witnessed(origin) or (0, merkle.EMPTY_ROOT)
        if sub.old != size:
            return Reply(409, f"{size}\n", SIZE_TYPE)
        if sub.old == checkpoint.size and sub.old and checkpoint.root != root:
            return self._refuse(origin, 409, f"a second tree of size {size}", sub)
        try:
            if sub.old == 0 and sub.proof:
                raise ConsistencyMismatch("a proof from size 0 is empty")
            if sub.old:
                merkle.verify_consistency(sub.old, checkpoint.size, root, checkpoint.root,
                                          sub.proof)  # fmt: skip
        except LogError as exc:
            return self._refuse(origin, 422, str(exc), sub)
        at = self._clock()
        if not self.tables.advance_witnessed(
            origin, sub.old, checkpoint.size, checkpoint.root, sub.note, utc_timestamp(at)
        ):
            now = self.tables.witnessed(origin)
            return Reply(409, f"{now[0] if now else 0}\n", SIZE_TYPE)
        log.info("cosigned %s at size %d", origin, checkpoint.size)
        return Reply(200, note.cosignature_line(text, self.name, self._key, int(at.timestamp())))

    def _refuse(self, origin: str, status: int, reason: str, sub: Submission) -> Reply:
        log.warning("refused %s's checkpoint: %s", origin, reason)
        request = submission_text(sub.old, sub.proof, sub.note)
        self.tables.refuse_witnessing(origin, status, reason, request, utc_timestamp(self._clock()))
        return Reply(status, f"{reason}\n")
