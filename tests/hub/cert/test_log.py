"""The stored log: its roots and proofs equal the in-memory RFC 9162 tree's."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from cert_helpers import ORIGIN, new_cert
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.cert import merkle, note
from hub.cert.errors import MalformedProof
from hub.cert.log import TransparencyLog
from hub.store import Store
from hub.store.log_sql import LogTables


@pytest.fixture
def log(tmp_path: Path) -> TransparencyLog:
    return TransparencyLog(LogTables(Store(tmp_path / "hub.db")), ORIGIN,
                           Ed25519PrivateKey.generate())  # fmt: skip


def test_roots_and_proofs_match_the_in_memory_tree(log: TransparencyLog) -> None:
    leaves = []
    for batch in (1, 1, 3, 8, 1, 20, 66):  # odd batch sizes cross every subtree boundary
        certs = [new_cert(log.size + n) for n in range(batch)]
        log.append(certs)
        leaves += [merkle.leaf_hash(bytes.fromhex(c.digest)) for c in certs]
    tree = merkle.in_memory(leaves)
    assert log.size == len(leaves) == 100
    for size in range(101):
        assert log.root(size) == tree(0, size), size
    for size in (1, 2, 7, 64, 65, 99, 100):
        for index in range(0, size, 3):
            assert log.inclusion(index, size) == merkle.inclusion_proof(index, size, tree)
        for first in range(size + 1):
            assert log.consistency(first, size) == merkle.consistency_proof(first, size, tree)


def test_a_reopened_log_continues_the_same_tree(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    first = TransparencyLog(LogTables(Store(tmp_path / "hub.db")), ORIGIN, key)
    first.append([new_cert(n) for n in range(13)])
    again = TransparencyLog(LogTables(Store(tmp_path / "hub.db")), ORIGIN, key)
    assert again.size == 13 and again.root() == first.root()
    again.append([new_cert(13)])
    first_leaves = [merkle.leaf_hash(bytes.fromhex(new_cert(n).digest)) for n in range(14)]
    assert again.root() == merkle.in_memory(first_leaves)(0, 14)


def test_a_failed_append_leaves_the_log_as_it_was(log: TransparencyLog) -> None:
    log.append([new_cert(0), new_cert(1)])
    root = log.root()
    with pytest.raises(sqlite3.IntegrityError):
        log.append([new_cert(2), new_cert(0)])  # the id of certificate 0 again
    assert log.size == 2 and log.root() == root
    assert log.tables.size() == 2


def test_checkpoints_are_signed_only_when_the_log_grew(log: TransparencyLog) -> None:
    log.append([new_cert(0)])
    first = log.checkpoint()
    assert log.checkpoint() == first
    log.append([new_cert(1)])
    second = log.checkpoint()
    assert second.size == 2 and second.root == log.root()
    verifier = note.parse_verifier_key(log.verifier_key)
    text, names = note.open_note(second.note, {(verifier.name, verifier.id): verifier})
    assert names == {ORIGIN}
    assert note.parse_checkpoint(text) == note.Checkpoint(ORIGIN, 2, log.root())


def test_the_stored_tree_is_append_only(log: TransparencyLog, tmp_path: Path) -> None:
    log.append([new_cert(0)])
    log.checkpoint()
    conn = sqlite3.connect(tmp_path / "hub.db")
    for sql in ("UPDATE log_hashes SET hash = x'00'", "DELETE FROM certificates",
                "UPDATE log_checkpoints SET size = 5"):  # fmt: skip
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(sql)


def test_proofs_beyond_the_log_are_refused(log: TransparencyLog) -> None:
    log.append([new_cert(0)])
    with pytest.raises(MalformedProof):
        log.inclusion(0, 2)
    with pytest.raises(MalformedProof):
        log.consistency(1, 2)
    with pytest.raises(MalformedProof):
        log.root(3)
