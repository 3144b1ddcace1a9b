"""RFC 9162 Merkle trees over SHA-256: tree hashes, inclusion and consistency proofs.

Byte layout (RFC 9162 §2.1.1, as in RFC 6962 and C2SP tlog-checkpoint):

* leaf hash:  ``SHA-256(0x00 ‖ leaf data)``
* node hash:  ``SHA-256(0x01 ‖ left ‖ right)``
* MTH({}) = ``SHA-256("")``; MTH of n > 1 leaves splits at k, the largest power of two
  smaller than n: ``node(MTH(D[0:k]), MTH(D[k:n]))``.

Proofs are lists of 32-byte hashes, leaf end first: PATH (§2.1.3.1) and PROOF/SUBPROOF
(§2.1.4.1); verification follows the algorithms of §2.1.3.2 and §2.1.4.2 step by step.
Generation takes a ``subtree(start, end)`` function giving MTH(D[start:end]), so a store
can answer from hashes it keeps; :func:`in_memory` builds one from leaf hashes.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Sequence

from hub.cert.errors import ConsistencyMismatch, InclusionMismatch, MalformedProof

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
Subtree = Callable[[int, int], bytes]


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 ‖ data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 ‖ left ‖ right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """k: the largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def in_memory(leaves: Sequence[bytes]) -> Subtree:
    """MTH(D[start:end]) over leaf hashes, memoised."""

    @functools.cache
    def subtree(start: int, end: int) -> bytes:
        n = end - start
        if n == 0:
            return EMPTY_ROOT
        if n == 1:
            return leaves[start]
        k = split(n)
        return node_hash(subtree(start, start + k), subtree(start + k, end))

    return subtree


Range = tuple[int, int]


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The subtrees [start, end) whose hashes form PATH(index, D[0:size]), leaf end first
    (RFC 9162 §2.1.3.1)."""
    if not 0 <= index < size:
        raise MalformedProof(f"leaf index {index} is outside a tree of size {size}")
    path: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        k = split(end - start)
        if index - start < k:
            path.append((start + k, end))
            end = start + k
        else:
            path.append((start, start + k))
            start += k
    return path[::-1]


def consistency_ranges(first: int, second: int) -> list[Range]:
    """The subtrees whose hashes form PROOF(first, D[0:second]) (RFC 9162 §2.1.4.1); none
    when first is 0 or second."""
    if not 0 <= first <= second:
        raise MalformedProof(f"no consistency proof from size {first} to size {second}")
    if first in (0, second):
        return []
    proof: list[Range] = []
    start, end, m, whole = 0, second, first, True
    while m != end - start:
        k = split(end - start)
        if m <= k:
            proof.append((start + k, end))
            end = start + k
        else:
            proof.append((start, start + k))
            start, m, whole = start + k, m - k, False
    if not whole:
        proof.append((start, end))
    return proof[::-1]


def perfect_ranges(start: int, end: int) -> list[Range]:
    """[start, end) as aligned power-of-two subtrees, largest first.

    Every range a proof or a root asks for starts at a multiple of a power of two at
    least as large as itself, so MTH(D[start:end]) is these subtrees' hashes folded from
    the right: the hashes a store keeps are enough.
    """
    out: list[Range] = []
    while start < end:
        size = 1 << ((end - start).bit_length() - 1)
        while start % size:
            size >>= 1
        out.append((start, start + size))
        start += size
    return out


def fold_right(hashes: Sequence[bytes]) -> bytes:
    """node(h0, node(h1, … node(h[n-2], h[n-1]))): the subtree :func:`perfect_ranges` cut up."""
    if not hashes:
        return EMPTY_ROOT
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def inclusion_proof(index: int, size: int, subtree: Subtree) -> list[bytes]:
    """PATH(index, D[0:size]) (RFC 9162 §2.1.3.1)."""
    return [subtree(*r) for r in inclusion_ranges(index, size)]


def consistency_proof(first: int, second: int, subtree: Subtree) -> list[bytes]:
    """PROOF(first, D[0:second]) (RFC 9162 §2.1.4.1); empty when first is 0 or second."""
    return [subtree(*r) for r in consistency_ranges(first, second)]


def _check_hashes(*hashes: bytes) -> None:
    for h in hashes:
        if len(h) != HASH_SIZE:
            raise MalformedProof(f"a hash of {len(h)} bytes; SHA-256 has {HASH_SIZE}")


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root an inclusion proof leads to (RFC 9162 §2.1.3.2, steps 1 to 4)."""
    if not 0 <= index < size:
        raise MalformedProof(f"leaf index {index} is outside a tree of size {size}")
    _check_hashes(leaf, *proof)
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise InclusionMismatch(f"the proof has more hashes than a tree of size {size}")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise InclusionMismatch(f"the proof has too few hashes for a tree of size {size}")
    return r


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise unless ``proof`` shows leaf ``index`` with hash ``leaf`` in the tree ``root``."""
    _check_hashes(root)
    if root_from_inclusion(index, size, leaf, proof) != root:
        raise InclusionMismatch(
            f"the inclusion proof of leaf {index} leads to another root than the tree of "
            f"size {size} has"
        )


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> None:
    """Raise unless ``proof`` shows the tree of size ``first`` is a prefix of ``second``
    (RFC 9162 §2.1.4.2)."""
    _check_hashes(first_root, second_root, *proof)
    if not 0 <= first <= second:
        raise MalformedProof(f"a tree cannot shrink from size {first} to {second}")
    if first == second:
        if proof:
            raise ConsistencyMismatch("equal sizes take an empty proof")
        if first_root != second_root:
            raise ConsistencyMismatch(f"two different roots for one size {first}")
        return
    if first == 0:
        if proof:
            raise ConsistencyMismatch("a proof from the empty tree is empty")
        return
    if not proof:
        raise ConsistencyMismatch(f"an empty proof cannot join size {first} to {second}")
    path = list(proof)
    if first & (first - 1) == 0:  # an exact power of two: its root starts the path
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ConsistencyMismatch(f"the proof is too long for size {second}")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0 or fr != first_root or sr != second_root:
        raise ConsistencyMismatch(
            f"the consistency proof does not join the tree of size {first} to the tree of "
            f"size {second}"
        )
