"""The certificate bundle: a body plus a C2SP tlog-proof, verifiable offline.

tlog-proof (c2sp.org/tlog-proof), one line each, newline-terminated::

    c2sp.org/tlog-proof@v1
    [extra <base64 opaque data>]
    index <decimal, no leading zeroes>
    <base64 SHA-256>          (zero or more: the inclusion proof, leaf end first)
    <empty line>
    <the checkpoint's signed note, verbatim, with its cosignatures>

The bundle is JSON (the download, and what the QR code holds)::

    {"format": "shekara-certificate/v1", "body": {...},
     "body_sha256": "<hex SHA-256 of JCS(body)>", "tlog_proof": "<the text above>"}

``body_sha256`` is the leaf's data; it travels beside the body so a verifier can tell a
changed body (``body_hash_mismatch``) from a proof that does not fit the leaf.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from hub.cert.errors import MalformedBundle, MalformedProof

FORMAT = "shekara-certificate/v1"
PROOF_HEADER = "c2sp.org/tlog-proof@v1"
MAX_PROOF_HASHES = 63  # a tree of 2^63 leaves needs no more
_INDEX = re.compile(r"^index (0|[1-9][0-9]{0,18})$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class TlogProof:
    """An entry's index, its inclusion proof and the checkpoint they lead to."""

    index: int
    hashes: tuple[bytes, ...]
    checkpoint: str  # the signed note
    extra: bytes | None = None

    def text(self) -> str:
        """The c2sp.org/tlog-proof@v1 text."""
        lines = [PROOF_HEADER]
        if self.extra is not None:
            lines.append("extra " + base64.b64encode(self.extra).decode())
        lines.append(f"index {self.index}")
        lines += [base64.b64encode(h).decode() for h in self.hashes]
        return "\n".join(lines) + "\n\n" + self.checkpoint


def parse_tlog_proof(text: str) -> TlogProof:
    """A tlog-proof from its text; raises :class:`MalformedProof` saying which line."""
    head, sep, checkpoint = text.partition("\n\n")
    if not sep or not checkpoint:
        raise MalformedProof("a tlog-proof has an empty line before its checkpoint")
    lines = head.split("\n")
    if lines[0] != PROOF_HEADER:
        raise MalformedProof(f"a tlog-proof starts with {PROOF_HEADER!r}, not {lines[0][:40]!r}")
    rest = lines[1:]
    extra = None
    if rest and rest[0].startswith("extra "):
        extra = _b64(rest.pop(0)[6:], "the extra data")
    if not rest or (found := _INDEX.match(rest[0])) is None:
        raise MalformedProof("the tlog-proof has no 'index <decimal>' line")
    hashes = tuple(_b64(line, f"proof hash {n}") for n, line in enumerate(rest[1:], 1))
    if len(hashes) > MAX_PROOF_HASHES:
        raise MalformedProof(f"{len(hashes)} proof hashes; at most {MAX_PROOF_HASHES}")
    if any(len(h) != 32 for h in hashes):
        raise MalformedProof("a proof hash is not 32 bytes")
    return TlogProof(int(found.group(1)), hashes, checkpoint, extra)


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error:
        raise MalformedProof(f"{what} is not base64: {text[:60]!r}") from None


@dataclass(frozen=True, slots=True)
class Bundle:
    """A certificate as handed to its holder."""

    body: dict[str, Any]
    body_sha256: str
    proof: TlogProof

    def to_json(self, indent: int | None = None, ascii_only: bool = False) -> str:
        """The bundle as JSON; compact unless ``indent`` (the QR code holds the compact,
        ``ascii_only``)."""
        value = {"format": FORMAT, "body": self.body, "body_sha256": self.body_sha256,
                 "tlog_proof": self.proof.text()}  # fmt: skip
        if indent is None:
            return json.dumps(value, ensure_ascii=ascii_only, separators=(",", ":"))
        return json.dumps(value, ensure_ascii=False, indent=indent)


def parse_bundle(text: str | bytes) -> Bundle:
    """A bundle from its JSON; raises :class:`MalformedBundle` or :class:`MalformedProof`."""
    try:
        value = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedBundle(f"the bundle is not JSON: {exc}") from None
    if not isinstance(value, dict) or value.get("format") != FORMAT:
        raise MalformedBundle(f"not a {FORMAT} bundle (its 'format' field)")
    body, digest, proof = value.get("body"), value.get("body_sha256"), value.get("tlog_proof")
    if not isinstance(body, dict):
        raise MalformedBundle("the bundle's 'body' is not an object")
    if not isinstance(digest, str) or not _HEX64.match(digest):
        raise MalformedBundle("'body_sha256' is not 64 lower-case hex digits")
    if not isinstance(proof, str):
        raise MalformedBundle("'tlog_proof' is not a string")
    unknown = set(value) - {"format", "body", "body_sha256", "tlog_proof"}
    if unknown:
        raise MalformedBundle(f"unknown bundle fields: {', '.join(sorted(unknown))}")
    return Bundle(body, digest, parse_tlog_proof(proof))
