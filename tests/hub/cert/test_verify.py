"""Offline verification: a good bundle passes; every change fails with its reason.

"Every change" is taken literally for the proof and the checkpoint: each base64
character of each proof hash, each character of the checkpoint text and each
signature is replaced in turn, and the verdict must name the part that was changed.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cert_helpers import ORIGIN, Pair, pair
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.cert import note
from hub.cert.bundle import Bundle, TlogProof, parse_bundle
from hub.cert.errors import LogError
from hub.cert.verify import check_text, verify_bundle


@pytest.fixture
def issued(tmp_path: Path) -> tuple[Pair, Bundle]:
    p = pair(tmp_path)
    p.issue(11)
    return p, p.bundle(6)


def _reason(p: Pair, bundle: Bundle) -> str:
    try:
        verify_bundle(parse_bundle(bundle.to_json()), p.log_key, [p.witness_key])
    except LogError as exc:
        return exc.reason
    return "verified"


def _other(c: str) -> str:
    return "B" if c != "B" else "C"


def test_a_good_bundle_verifies_with_the_two_public_keys(issued: tuple[Pair, Bundle]) -> None:
    p, bundle = issued
    verified = verify_bundle(bundle, p.log_key, [p.witness_key])
    assert (verified.index, verified.size, verified.origin) == (6, 11, ORIGIN)
    assert verified.cert_id == "TEMIRBABA-2026-00000006"
    assert len(verified.checks) == 4 and "cosigned by the witness" in verified.checks[2]


def test_a_changed_body_is_a_body_hash_mismatch(issued: tuple[Pair, Bundle]) -> None:
    p, bundle = issued
    for change in ({"vehicle": {"tractor": "123ABC03"}}, {"id": "TEMIRBABA-2026-00000007"},
                   {"consignment": {"gross_kg": 12000.6, "items": 2}}):  # fmt: skip
        forged = Bundle({**bundle.body, **change}, bundle.body_sha256, bundle.proof)
        assert _reason(p, forged) == "body_hash_mismatch"


def test_a_changed_leaf_does_not_fit_the_proof(issued: tuple[Pair, Bundle]) -> None:
    p, bundle = issued
    for at in range(64):
        digest = bundle.body_sha256
        flipped = digest[:at] + ("0" if digest[at] != "0" else "1") + digest[at + 1 :]
        assert _reason(p, Bundle(bundle.body, flipped, bundle.proof)) == "body_hash_mismatch"
    # A body and digest swapped in together from another entry: no longer the leaf at 6.
    other = p.bundle(7)
    forged = Bundle(other.body, other.body_sha256, bundle.proof)
    assert _reason(p, forged) == "inclusion_proof_mismatch"


def test_every_change_to_a_proof_hash_is_an_inclusion_mismatch(
    issued: tuple[Pair, Bundle],
) -> None:
    p, bundle = issued
    for n, h in enumerate(bundle.proof.hashes):
        text = base64.b64encode(h).decode()
        for at in range(43):  # the 44th character is padding
            raw = base64.b64decode(text[:at] + _other(text[at]) + text[at + 1 :])
            hashes = (*bundle.proof.hashes[:n], raw, *bundle.proof.hashes[n + 1 :])
            proof = TlogProof(bundle.proof.index, hashes, bundle.proof.checkpoint)
            assert _reason(p, Bundle(bundle.body, bundle.body_sha256, proof)) == (
                "inclusion_proof_mismatch"
            ), (n, at)


def test_a_changed_index_or_a_missing_or_extra_hash_fails(issued: tuple[Pair, Bundle]) -> None:
    p, bundle = issued
    cases = [
        TlogProof(5, bundle.proof.hashes, bundle.proof.checkpoint),
        TlogProof(6, bundle.proof.hashes[:-1], bundle.proof.checkpoint),
        TlogProof(6, (*bundle.proof.hashes, bundle.proof.hashes[0]), bundle.proof.checkpoint),
    ]
    for proof in cases:
        assert _reason(p, Bundle(bundle.body, bundle.body_sha256, proof)) == (
            "inclusion_proof_mismatch"
        )
    proof = TlogProof(11, bundle.proof.hashes, bundle.proof.checkpoint)
    assert _reason(p, Bundle(bundle.body, bundle.body_sha256, proof)) == "malformed_proof"


def test_every_change_to_the_checkpoint_text_breaks_the_log_signature(
    issued: tuple[Pair, Bundle],
) -> None:
    p, bundle = issued
    text, sigs = bundle.proof.checkpoint.split("\n\n", 1)
    for at in range(len(text)):
        if text[at] == "\n":
            continue
        changed = text[:at] + _other(text[at]) + text[at + 1 :] + "\n\n" + sigs
        proof = TlogProof(6, bundle.proof.hashes, changed)
        assert _reason(p, Bundle(bundle.body, bundle.body_sha256, proof)) == (
            "bad_log_signature"
        ), at


def test_every_change_to_a_signature_names_whose_signature_failed(
    issued: tuple[Pair, Bundle],
) -> None:
    p, bundle = issued
    text, block = bundle.proof.checkpoint.split("\n\n", 1)
    lines = block.splitlines()
    assert len(lines) == 2  # the log's, then the witness's
    for n, expected in ((0, "bad_log_signature"), (1, "bad_cosignature")):
        dash, name, sig = lines[n].split(" ")
        raw = bytearray(base64.b64decode(sig))
        for at in range(4, len(raw)):  # after the key ID: a different ID is another key
            forged = bytearray(raw)
            forged[at] ^= 0x01
            changed = list(lines)
            changed[n] = f"{dash} {name} {base64.b64encode(bytes(forged)).decode()}"
            signed = text + "\n\n" + "\n".join(changed) + "\n"
            proof = TlogProof(6, bundle.proof.hashes, signed)
            assert _reason(p, Bundle(bundle.body, bundle.body_sha256, proof)) == expected


def test_a_missing_signature_or_an_untrusted_key_is_named(issued: tuple[Pair, Bundle]) -> None:
    p, bundle = issued
    text, block = bundle.proof.checkpoint.split("\n\n", 1)
    log_line, witness_line = block.splitlines()
    for kept, who in ((log_line, p.witness_key.name), (witness_line, ORIGIN)):
        proof = TlogProof(6, bundle.proof.hashes, f"{text}\n\n{kept}\n")
        with pytest.raises(LogError, match=who) as caught:
            verify_bundle(Bundle(bundle.body, bundle.body_sha256, proof), p.log_key,
                          [p.witness_key])  # fmt: skip
        assert caught.value.reason == "missing_trusted_signature"
    stranger = note.parse_verifier_key(note.verifier_key(ORIGIN, Ed25519PrivateKey.generate()
                                                         .public_key()))  # fmt: skip
    with pytest.raises(LogError) as caught:
        verify_bundle(bundle, stranger, [p.witness_key])
    assert caught.value.reason == "missing_trusted_signature"


def test_check_text_gives_a_verdict_for_people(issued: tuple[Pair, Bundle]) -> None:
    p, bundle = issued

    def policy(origin: str) -> tuple[note.Verifier, list[note.Verifier]] | None:
        return (p.log_key, [p.witness_key]) if origin == ORIGIN else None

    good = check_text(bundle.to_json(), policy)
    assert good.ok and good.reason == "verified" and good.body == bundle.body
    value = json.loads(bundle.to_json())
    value["body"]["vehicle"]["tractor"] = "999ZZZ02"
    bad = check_text(json.dumps(value), policy)
    assert (bad.ok, bad.reason, bad.body) == (False, "body_hash_mismatch", None)
    assert check_text(bundle.to_json(), lambda origin: None).reason == "unknown_log"
    assert check_text("{", policy).reason == "malformed_bundle"
