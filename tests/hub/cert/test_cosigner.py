"""Checkpoints and the neighbour's cosignatures: asked, missed, re-attached."""

from __future__ import annotations

from pathlib import Path

from cert_helpers import WITNESS, pair, witness_post

from hub.cert.cosigner import Cosigner, WitnessPeer
from hub.cert.errors import LogError
from hub.cert.verify import verify_bundle


def test_a_new_checkpoint_is_cosigned_and_its_bundles_carry_it(tmp_path: Path) -> None:
    p = pair(tmp_path)
    assert p.cosigner.step() is None  # an empty log signs nothing
    p.issue(3)
    checkpoint = p.cosigner.step()
    assert checkpoint is not None and checkpoint.size == 3
    assert set(p.log.tables.checkpoint(3).cosignatures) == {WITNESS}  # type: ignore[union-attr]
    assert p.cosigner.status[WITNESS] == "cosigned size 3"
    verify_bundle(p.bundle(1), p.log_key, [p.witness_key])


def test_an_unreachable_witness_is_retried_and_the_cosignature_re_attached(
    tmp_path: Path,
) -> None:
    p = pair(tmp_path)
    reachable = witness_post(p.witness)
    down = True

    def post(url: str, raw: bytes) -> tuple[int, str, str]:
        if down:
            raise ConnectionRefusedError("connection refused")
        return reachable(url, raw)

    cosigner = Cosigner(p.log, p.cosigner.peers, post=post)
    p.cosigner, p.desk.cosigner = cosigner, cosigner
    p.issue(2)
    cosigner.step()
    assert cosigner.status[WITNESS].startswith("unreachable")
    issued_while_down = p.desk.bundle(p.log.tables.certificate("TEMIRBABA-2026-00000001"))  # type: ignore[arg-type]
    try:
        verify_bundle(issued_while_down, p.log_key, [p.witness_key])
    except LogError as exc:
        assert exc.reason == "missing_trusted_signature"
    else:
        raise AssertionError("a bundle without the cosignature verified")
    down = False
    cosigner.wake()  # an issuance (or the back-off running out) tries again
    p.issue(1)
    cosigner.step()
    again = p.desk.bundle(p.log.tables.certificate("TEMIRBABA-2026-00000001"))  # type: ignore[arg-type]
    assert verify_bundle(again, p.log_key, [p.witness_key]).size == 3


def test_a_restarted_log_learns_the_witness_size_from_a_409(tmp_path: Path) -> None:
    p = pair(tmp_path)
    p.issue(4)
    p.cosigner.step()
    restarted = Cosigner(p.log, p.cosigner.peers, post=witness_post(p.witness))
    p.issue(3)
    checkpoint = restarted.step()
    assert checkpoint is not None and WITNESS in checkpoint.cosignatures
    assert p.witness.tables.witnessed(p.log.origin) == (7, p.log.root())


def test_a_witness_answering_garbage_is_not_trusted(tmp_path: Path) -> None:
    p = pair(tmp_path)
    liar = Cosigner(
        p.log, p.cosigner.peers, post=lambda url, raw: (200, "\u2014 x AAAA\n", "text/plain")
    )
    p.issue(1)
    checkpoint = liar.step()
    assert checkpoint is not None and checkpoint.cosignatures == {}
    assert liar.status[WITNESS] == "answered without a valid cosignature"


def test_witness_peers_parse_from_settings_lines(tmp_path: Path) -> None:
    p = pair(tmp_path)
    peer = WitnessPeer.parse(f"{p.witness.verifier_key} https://tm.example/witness/")
    assert peer.url == "https://tm.example/witness" and peer.verifier.name == WITNESS
    for bad in (p.log.verifier_key + " https://x", p.witness.verifier_key + " ftp://x"):
        try:
            WitnessPeer.parse(bad)
        except LogError:
            continue
        raise AssertionError(f"{bad!r} parsed")
