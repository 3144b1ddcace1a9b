"""C2SP signed notes and tlog checkpoints, with Ed25519 keys.

Signed note (c2sp.org/signed-note): the text (UTF-8, ending in a newline, no other
control characters), a blank line, then one line per signature::

    — <key name> base64(key ID (4 bytes, big-endian) || signature)

``key ID = SHA-256(key name || 0x0A || signature type || public key)[:4]``; type 0x01 is
Ed25519 over the note text.  A verifier key is written
``<name>+<hex key ID>+base64(0x01 || 32-byte public key)``.

Checkpoint (c2sp.org/tlog-checkpoint): the note text is the origin line, the tree size
in decimal, the base64 root hash, then optional extension lines.

Cosignature (c2sp.org/tlog-cosignature, Ed25519 "cosignature/v1"): a note signature of
type 0x04 whose bytes are ``key ID || u64 big-endian timestamp || Ed25519 signature``
over ``"cosignature/v1\ntime <timestamp>\n" || checkpoint text``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from hub.cert.errors import BadCosignature, BadSignature, MalformedNote, MissingSignature

ED25519 = 0x01
COSIGNATURE_V1 = 0x04  # timestamped Ed25519 witness cosignatures (c2sp.org/tlog-cosignature)
DASH = "\u2014"
MAX_SIGNATURES = 16
_NAME = re.compile(r"^[^\s+]+$")
_SIGNATURE_LINE = re.compile(rf"^{DASH} (\S+) ([A-Za-z0-9+/=]+)$")


def public_bytes(key: Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of an Ed25519 public key."""
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(name: str, sig_type: int, public: bytes) -> bytes:
    """SHA-256(name || 0x0A || type || public key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([sig_type]) + public).digest()[:4]


def verifier_key(name: str, key: Ed25519PublicKey, sig_type: int = ED25519) -> str:
    """``name+hexID+base64(type || key)``: what a verifier is configured with."""
    raw = public_bytes(key)
    encoded = base64.b64encode(bytes([sig_type]) + raw).decode()
    return f"{name}+{key_id(name, sig_type, raw).hex()}+{encoded}"


@dataclass(frozen=True, slots=True)
class Verifier:
    """A trusted Ed25519 key of a log (type 0x01) or a witness (type 0x04)."""

    name: str
    id: bytes
    key: Ed25519PublicKey
    type: int = ED25519


def parse_verifier_key(text: str) -> Verifier:
    """A verifier key string; raises :class:`MalformedNote` saying what is wrong."""
    parts = text.strip().split("+", 2)  # the base64 key may hold "+" itself
    if len(parts) != 3 or not _NAME.match(parts[0]):
        raise MalformedNote(f"{text!r} is not name+keyid+key")
    try:
        kid, raw = bytes.fromhex(parts[1]), base64.b64decode(parts[2], validate=True)
    except (ValueError, binascii.Error):
        raise MalformedNote(f"{text!r}: the key ID or the key is not hex / base64") from None
    if len(kid) != 4 or len(raw) != 33 or raw[0] not in (ED25519, COSIGNATURE_V1):
        raise MalformedNote(f"{text!r}: not a 4-byte key ID and an Ed25519 (0x01/0x04) key")
    if key_id(parts[0], raw[0], raw[1:]) != kid:
        raise MalformedNote(f"{text!r}: the key ID does not match the name and key")
    return Verifier(parts[0], kid, Ed25519PublicKey.from_public_bytes(raw[1:]), raw[0])


def signature_line(text: str, name: str, key: Ed25519PrivateKey) -> str:
    """One signature line over ``text``."""
    kid = key_id(name, ED25519, public_bytes(key.public_key()))
    return f"{DASH} {name} {base64.b64encode(kid + key.sign(text.encode())).decode()}\n"


def sign(text: str, name: str, key: Ed25519PrivateKey) -> str:
    """A signed note of ``text`` by one key."""
    _check_text(text)
    return text + "\n" + signature_line(text, name, key)


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise MalformedNote("a note's text ends with a newline")
    if any(ord(c) < 0x20 and c != "\n" for c in text):
        raise MalformedNote("a note's text holds no control characters but newline")


def split(note: str) -> tuple[str, list[tuple[str, bytes, bytes]]]:
    """(text, [(key name, key ID, signature)]) of a signed note."""
    text, sep, block = note.rpartition("\n\n")
    if not sep or not block.endswith("\n"):
        raise MalformedNote("no blank line before the signatures, or no final newline")
    text += "\n"
    _check_text(text)
    signatures = []
    for line in block[:-1].split("\n"):
        found = _SIGNATURE_LINE.match(line)
        if found is None:
            raise MalformedNote(f"not a signature line: {line[:80]!r}")
        try:
            raw = base64.b64decode(found.group(2), validate=True)
        except binascii.Error:
            raise MalformedNote(f"the signature of {found.group(1)} is not base64") from None
        if len(raw) < 5:
            raise MalformedNote(f"signature of {found.group(1)} is too short")
        signatures.append((found.group(1), raw[:4], raw[4:]))
    if len(signatures) > MAX_SIGNATURES:
        raise MalformedNote(f"{len(signatures)} signatures; at most {MAX_SIGNATURES}")
    return text, signatures


def open_note(note: str, trusted: Mapping[tuple[str, bytes], Verifier]) -> tuple[str, set[str]]:
    """The text of a note and the names of trusted keys whose signatures verified.

    Signatures from unknown keys are ignored; one from a trusted key that fails
    rejects the note; a note with no verified trusted signature is rejected.
    """
    text, signatures = split(note)
    verified: set[str] = set()
    for name, kid, sig in signatures:
        verifier = trusted.get((name, kid))
        if verifier is None:
            continue
        if verifier.type == COSIGNATURE_V1:
            if len(sig) != 72:
                raise MalformedNote(f"the cosignature of {name} is not 8 + 64 bytes")
            signed = cosigned_message(text, int.from_bytes(sig[:8], "big"))
            sig = sig[8:]
        else:
            signed = text.encode()
        try:
            verifier.key.verify(sig, signed)
        except InvalidSignature:
            if verifier.type == COSIGNATURE_V1:
                raise BadCosignature(f"the cosignature of witness {name} does not verify") from None
            raise BadSignature(f"the signature of {name} does not verify") from None
        verified.add(name)
    if not verified:
        raise MissingSignature("no signature from a trusted key")
    return text, verified


def cosigned_message(text: str, timestamp: int) -> bytes:
    """What a cosignature/v1 signs: the header, the time, the checkpoint text."""
    return f"cosignature/v1\ntime {timestamp}\n{text}".encode()


def cosignature_line(text: str, name: str, key: Ed25519PrivateKey, timestamp: int) -> str:
    """A witness's cosignature/v1 line over a checkpoint's text, at ``timestamp``."""
    if not 0 <= timestamp < 2**63:
        raise MalformedNote(f"timestamp {timestamp} is outside 0..2^63-1")
    kid = key_id(name, COSIGNATURE_V1, public_bytes(key.public_key()))
    stamp = timestamp.to_bytes(8, "big")
    sig = key.sign(cosigned_message(text, timestamp))
    return f"{DASH} {name} {base64.b64encode(kid + stamp + sig).decode()}\n"


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A log's signed statement of its size and root hash."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        """The note text (c2sp.org/tlog-checkpoint)."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode(),
                 *self.extensions]  # fmt: skip
        return "".join(line + "\n" for line in lines)


def parse_checkpoint(text: str) -> Checkpoint:
    """A checkpoint from its note text; raises :class:`MalformedNote`."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise MalformedNote("a checkpoint has an origin, a size and a root hash, each on a line")
    origin, size, root, *rest = lines[:-1]
    if not origin or not size.isdigit() or (size != "0" and size.startswith("0")):
        raise MalformedNote(f"bad origin or tree size: {origin[:60]!r}, {size[:30]!r}")
    try:
        digest = base64.b64decode(root, validate=True)
    except binascii.Error:
        raise MalformedNote(f"the root hash {root[:60]!r} is not base64") from None
    if len(digest) != 32:
        raise MalformedNote(f"the root hash has {len(digest)} bytes, not 32")
    if any(not line for line in rest):
        raise MalformedNote("a checkpoint's extension lines are not empty")
    return Checkpoint(origin, int(size), digest, tuple(rest))
