"""The hub's certificate log: an RFC 9162 tree kept in the database, signed checkpoints.

Appends compute the new subtree hashes from the tree's right edge held in memory (the
perfect subtrees of :func:`~hub.cert.merkle.perfect_ranges` over the whole tree), so an
append reads nothing and writes about two hash rows per leaf.  Roots and proofs fold the
stored hashes of the ranges they need, fetched in one query.

One process appends; the lock orders appends and checkpoints within it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.cert import merkle, note
from hub.cert.errors import MalformedProof
from hub.store.log_sql import HashKey, LogTables, NewCertificate, StoredCheckpoint
from shekara.wire import utc_timestamp

log = logging.getLogger(__name__)


def _key(start: int, end: int) -> HashKey:
    level = (end - start).bit_length() - 1
    return level, start >> level


class TransparencyLog:
    """Append certificates, sign checkpoints, answer proofs."""

    def __init__(
        self,
        tables: LogTables,
        origin: str,
        key: Ed25519PrivateKey,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.tables = tables
        self.origin = origin
        self._key = key
        self._clock = clock
        self._lock = threading.Lock()
        self.verifier_key = note.verifier_key(origin, key.public_key())
        self._load_edge()

    def _load_edge(self) -> None:
        self._size = self.tables.size()
        ranges = merkle.perfect_ranges(0, self._size)
        found = self.tables.hashes(_key(*r) for r in ranges)
        # (level, hash) of each perfect subtree on the right edge, largest first
        self._edge = [(_key(*r)[0], found[_key(*r)]) for r in ranges]

    @property
    def size(self) -> int:
        """How many certificates the log holds."""
        return self._size

    def append(self, certificates: Sequence[NewCertificate]) -> int:
        """Append in one transaction; returns the index of the first."""
        with self._lock:
            first, edge = self._size, list(self._edge)
            rows: list[tuple[int, int, bytes]] = []
            for n, cert in enumerate(certificates):
                index = first + n
                leaf = merkle.leaf_hash(bytes.fromhex(cert.digest))
                rows.append((0, index, leaf))
                edge.append((0, leaf))
                while len(edge) > 1 and edge[-1][0] == edge[-2][0]:
                    (level, right), (_, left) = edge.pop(), edge.pop()
                    parent = merkle.node_hash(left, right)
                    edge.append((level + 1, parent))
                    rows.append((level + 1, index >> (level + 1), parent))
            try:
                self.tables.append(certificates, first, rows)
            except BaseException:
                self._load_edge()  # another writer, or a failed commit: trust the database
                raise
            self._size, self._edge = first + len(certificates), edge
            return first

    def _subtrees(self, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
        parts = [merkle.perfect_ranges(*r) for r in ranges]
        found = self.tables.hashes(_key(*p) for part in parts for p in part)
        try:
            return [merkle.fold_right([found[_key(*p)] for p in part]) for part in parts]
        except KeyError as exc:
            raise MalformedProof(f"the log has no stored hash {exc}") from None

    def root(self, size: int | None = None) -> bytes:
        """The tree hash at ``size`` (default: now)."""
        size = self._size if size is None else size
        if not 0 <= size <= self._size:
            raise MalformedProof(f"the log has {self._size} entries, not {size}")
        if size == self._size:
            return merkle.fold_right([h for _, h in self._edge])
        return self._subtrees([(0, size)])[0]

    def inclusion(self, index: int, size: int) -> list[bytes]:
        """PATH(index, D[0:size])."""
        if size > self._size:
            raise MalformedProof(f"the log has {self._size} entries, not {size}")
        return self._subtrees(merkle.inclusion_ranges(index, size))

    def consistency(self, first: int, second: int) -> list[bytes]:
        """PROOF(first, D[0:second])."""
        if second > self._size:
            raise MalformedProof(f"the log has {self._size} entries, not {second}")
        return self._subtrees(merkle.consistency_ranges(first, second))

    def checkpoint(self) -> StoredCheckpoint:
        """Sign a checkpoint of the current tree unless the latest already covers it."""
        with self._lock:
            latest = self.tables.checkpoint()
            if latest is not None and latest.size == self._size:
                return latest
            size, root = self._size, self.root()
            text = note.Checkpoint(self.origin, size, root).text()
            signed = note.sign(text, self.origin, self._key)
            self.tables.add_checkpoint(size, root, utc_timestamp(self._clock()), signed)
            log.debug("checkpoint %s size %d", self.origin, size)
        found = self.tables.checkpoint(size)
        assert found is not None
        return found
