"""RFC 9162 Merkle trees: known answers, properties over random trees, tampering.

Known answers are the RFC 6962 test vectors of transparency-dev/merkle, taken as data:
leaves and roots from ``testonly/constants.go``, inclusion and consistency proofs from
``proof/verify_test.go`` (where leaf numbers count from 1).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.cert.errors import ConsistencyMismatch, InclusionMismatch, LogError, MalformedProof
from hub.cert.merkle import (
    EMPTY_ROOT,
    consistency_proof,
    in_memory,
    inclusion_proof,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)

LEAVES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243",
          "5051525354555657", "606162636465666768696a6b6c6d6e6f")]  # fmt: skip
ROOTS = [bytes.fromhex(h) for h in (  # by tree size, 0 to 8
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
)]  # fmt: skip
H = {  # node hashes the proofs use, by their first four hex digits
    h[:4]: bytes.fromhex(h) for h in (
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
    )
}  # fmt: skip
INCLUSION = [(0, 8, ["96a2", "5f08", "6b47"]), (5, 8, ["bc1a", "ca85", "d37e"]),
             (2, 3, ["fac5"]), (1, 5, ["6e34", "5f08", "bc1a"]), (0, 1, [])]  # fmt: skip
CONSISTENCY = [(1, 8, ["96a2", "5f08", "6b47"]), (6, 8, ["0ebc", "ca85", "d37e"]),
               (2, 5, ["5f08", "bc1a"]), (6, 7, ["0ebc", "b086", "d37e"])]  # fmt: skip
TREE = in_memory([leaf_hash(d) for d in LEAVES])


@pytest.mark.parametrize("size", range(9))
def test_tree_hashes_match_the_published_roots(size: int) -> None:
    assert TREE(0, size) == ROOTS[size]


@pytest.mark.parametrize(("index", "size", "names"), INCLUSION)
def test_inclusion_proofs_match_the_published_ones(index: int, size: int, names: list[str]) -> None:
    proof = inclusion_proof(index, size, TREE)
    assert proof == [H[n] for n in names]
    verify_inclusion(index, size, leaf_hash(LEAVES[index]), proof, ROOTS[size])


@pytest.mark.parametrize(("first", "second", "names"), CONSISTENCY)
def test_consistency_proofs_match_the_published_ones(
    first: int, second: int, names: list[str]
) -> None:
    proof = consistency_proof(first, second, TREE)
    assert proof == [H[n] for n in names]
    verify_consistency(first, second, ROOTS[first], ROOTS[second], proof)


def test_trivial_consistency() -> None:
    verify_consistency(0, 5, EMPTY_ROOT, ROOTS[5], [])
    verify_consistency(4, 4, ROOTS[4], ROOTS[4], [])
    with pytest.raises(ConsistencyMismatch, match="two different roots for one size 4"):
        verify_consistency(4, 4, ROOTS[4], ROOTS[5], [])  # a split view of one size
    with pytest.raises(MalformedProof, match="cannot shrink"):
        verify_consistency(5, 4, ROOTS[5], ROOTS[4], [])
    with pytest.raises(ConsistencyMismatch, match="an empty proof cannot join"):
        verify_consistency(2, 5, ROOTS[2], ROOTS[5], [])


def _flip(h: bytes, bit: int = 3) -> bytes:
    return bytes([h[0] ^ (1 << bit)]) + h[1:]


@pytest.mark.parametrize(("index", "size", "names"), INCLUSION[:4])
def test_any_change_to_an_inclusion_proof_fails(index: int, size: int, names: list[str]) -> None:
    proof, leaf, root = [H[n] for n in names], leaf_hash(LEAVES[index]), ROOTS[size]
    wrong = [
        (index ^ 1, size, leaf, proof, root), (index, size * 2, leaf, proof, root),
        (index, size // 2 or 1, leaf, proof, root), (index, size, _flip(leaf), proof, root),
        (index, size, leaf, proof, _flip(root)), (index, size, leaf, [*proof, root], root),
        (index, size, leaf, [root, *proof], root), (index, size, leaf, proof[:-1], root),
        *((index, size, leaf, [*proof[:i], _flip(p), *proof[i + 1:]], root)
          for i, p in enumerate(proof)),
    ]  # fmt: skip
    for case in wrong:
        with pytest.raises(LogError):
            verify_inclusion(*case)


@pytest.mark.parametrize(("first", "second", "names"), CONSISTENCY)
def test_any_change_to_a_consistency_proof_fails(first: int, second: int, names: list[str]) -> None:
    proof, r1, r2 = [H[n] for n in names], ROOTS[first], ROOTS[second]
    wrong = [
        (first - 1, second, r1, r2, proof), (first + 1, second, r1, r2, proof),
        (first, second * 2, r1, r2, proof), (first, second, _flip(r1), r2, proof),
        (first, second, r1, _flip(r2), proof), (first, second, r2, r1, proof),
        (first, second, r1, r2, [*proof, r1]), (first, second, r1, r2, [r2, *proof]),
        (first, second, r1, r2, proof[:-1]),
        *((first, second, r1, r2, [*proof[:i], _flip(p, 4), *proof[i + 1:]])
          for i, p in enumerate(proof)),
    ]  # fmt: skip
    for case in wrong:
        with pytest.raises(LogError):
            verify_consistency(*case)


def test_malformed_input_says_what_is_wrong() -> None:
    with pytest.raises(MalformedProof, match="leaf index 8 is outside a tree of size 8"):
        verify_inclusion(8, 8, leaf_hash(b""), [], ROOTS[8])
    with pytest.raises(MalformedProof, match="a hash of 5 bytes; SHA-256 has 32"):
        verify_inclusion(0, 1, b"short", [], ROOTS[1])
    with pytest.raises(InclusionMismatch, match="leads to another root"):
        verify_inclusion(0, 1, leaf_hash(b"other"), [], ROOTS[1])


@st.composite
def trees(draw: st.DrawFn) -> list[bytes]:
    size = draw(st.integers(1, 70))
    return [leaf_hash(i.to_bytes(4, "big")) for i in range(size)]


@settings(max_examples=200, deadline=None)
@given(trees(), st.data())
def test_every_leaf_is_provably_in_every_tree_that_holds_it(
    leaves: list[bytes], data: st.DataObject
) -> None:
    tree = in_memory(leaves)
    size = data.draw(st.integers(1, len(leaves)))
    index = data.draw(st.integers(0, size - 1))
    verify_inclusion(index, size, leaves[index], inclusion_proof(index, size, tree), tree(0, size))


@settings(max_examples=200, deadline=None)
@given(trees(), st.data())
def test_every_tree_is_consistent_with_its_prefixes(
    leaves: list[bytes], data: st.DataObject
) -> None:
    tree = in_memory(leaves)
    second = data.draw(st.integers(1, len(leaves)))
    first = data.draw(st.integers(0, second))
    proof = consistency_proof(first, second, tree)
    verify_consistency(first, second, tree(0, first), tree(0, second), proof)
    if 0 < first < second:  # and a tree that rewrote history is caught
        forked = in_memory([*leaves[: first - 1], leaf_hash(b"rewritten"), *leaves[first:]])
        with pytest.raises(ConsistencyMismatch):
            verify_consistency(first, second, forked(0, first), tree(0, second), proof)
