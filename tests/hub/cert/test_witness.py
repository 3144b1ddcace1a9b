"""The witness (c2sp.org/tlog-witness add-checkpoint): each answer, the atomic size
store, and a split view caught."""

from __future__ import annotations

from pathlib import Path

import pytest
from cert_helpers import ORIGIN, WITNESS, new_cert, pair
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.cert import note
from hub.cert.log import TransparencyLog
from hub.cert.witness import SIZE_TYPE, Witness, submission_text
from hub.store import Store
from hub.store.log_sql import LogTables


def _grown(log: TransparencyLog, count: int) -> str:
    log.append([new_cert(log.size + n) for n in range(count)])
    return log.checkpoint().note


def test_first_checkpoint_then_a_consistent_one_are_cosigned(tmp_path: Path) -> None:
    p = pair(tmp_path)
    first = _grown(p.log, 3)
    reply = p.witness.add_checkpoint(submission_text(0, [], first).encode())
    assert reply.status == 200
    text = note.split(first)[0]
    trusted = {(p.witness_key.name, p.witness_key.id): p.witness_key}
    assert note.open_note(first + reply.body, trusted)[1] == {WITNESS}
    second = _grown(p.log, 5)
    proof = p.log.consistency(3, 8)
    assert p.witness.add_checkpoint(submission_text(3, proof, second).encode()).status == 200
    assert p.witness.tables.witnessed(ORIGIN) == (8, p.log.root())
    assert text.startswith(ORIGIN)


def test_each_refusal_has_the_status_the_spec_gives(tmp_path: Path) -> None:
    p = pair(tmp_path)
    signed = _grown(p.log, 4)
    assert p.witness.add_checkpoint(submission_text(0, [], signed).encode()).status == 200
    grown = _grown(p.log, 4)
    proof = p.log.consistency(4, 8)

    def status(old: int, hashes: list[bytes], text: str) -> tuple[int, str, str]:
        reply = p.witness.add_checkpoint(submission_text(old, hashes, text).encode())
        return reply.status, reply.body, reply.content_type

    stranger = TransparencyLog(LogTables(Store(tmp_path / "x.db")), "other.example/log",
                               Ed25519PrivateKey.generate())  # fmt: skip
    assert status(0, [], _grown(stranger, 1))[0] == 404  # unknown origin
    impostor = TransparencyLog(LogTables(Store(tmp_path / "y.db")), ORIGIN,
                               Ed25519PrivateKey.generate())  # fmt: skip
    assert status(0, [], _grown(impostor, 1))[0] == 403  # no trusted signature
    assert status(9, [], grown)[0] == 400  # old above the new size
    assert status(2, [], grown) == (409, "4\n", SIZE_TYPE)  # not what was cosigned
    bad = [bytes(32)] * len(proof)
    assert status(4, bad, grown)[0] == 422  # the proof does not join 4 to 8
    assert status(4, proof, grown)[0] == 200
    assert p.witness.add_checkpoint(b"old x\n\n" + grown.encode()).status == 400
    assert p.witness.add_checkpoint(b"\xff\xfe").status == 400


def test_the_size_is_stored_with_a_compare_and_set(tmp_path: Path) -> None:
    p = pair(tmp_path)
    signed = _grown(p.log, 2)
    # Two requests checked against size 0; the first to store wins, the second must not
    # roll the size back (the race c2sp.org/tlog-witness describes).
    assert p.witness.tables.advance_witnessed(ORIGIN, 0, 2, p.log.root(), signed, "t")
    assert not p.witness.tables.advance_witnessed(ORIGIN, 0, 1, p.log.root(1), signed, "t")
    assert p.witness.tables.witnessed(ORIGIN) == (2, p.log.root())


def test_a_split_view_is_caught_and_kept(tmp_path: Path) -> None:
    """The log signs two different trees of one size: the second is refused, and so
    is a fork grown from it; both refusals are kept as evidence."""
    key = Ed25519PrivateKey.generate()
    honest = TransparencyLog(LogTables(Store(tmp_path / "a.db")), ORIGIN, key)
    forked = TransparencyLog(LogTables(Store(tmp_path / "b.db")), ORIGIN, key)
    verifier = note.parse_verifier_key(honest.verifier_key)
    witness = Witness(LogTables(Store(tmp_path / "w.db")), WITNESS,
                      Ed25519PrivateKey.generate(), [verifier])  # fmt: skip
    honest.append([new_cert(n) for n in range(4)])
    forked.append([new_cert(n) for n in (0, 1, 2, 99)])  # the same size, another entry
    assert witness.add_checkpoint(submission_text(0, [], honest.checkpoint().note).encode()
                                  ).status == 200  # fmt: skip
    same_size = witness.add_checkpoint(submission_text(4, [], forked.checkpoint().note).encode())
    assert same_size.status == 409 and "second tree of size 4" in same_size.body
    forked.append([new_cert(n) for n in range(100, 104)])
    grown = witness.add_checkpoint(
        submission_text(4, forked.consistency(4, 8), forked.checkpoint().note).encode()
    )
    assert grown.status == 422
    refusals = witness.tables.witness_refusals()
    assert [r["status"] for r in refusals] == [422, 409]
    assert all(forked.checkpoint().note.split("\n")[0] in r["request"] for r in refusals)
    assert witness.tables.witnessed(ORIGIN) == (4, honest.root())


@pytest.mark.parametrize("old", [0, 4])
def test_an_equal_size_with_the_same_root_is_cosigned_again(tmp_path: Path, old: int) -> None:
    p = pair(tmp_path)
    signed = _grown(p.log, 4)
    assert p.witness.add_checkpoint(submission_text(0, [], signed).encode()).status == 200
    again = p.witness.add_checkpoint(submission_text(old, [], signed).encode())
    assert again.status == (200 if old == 4 else 409)
