"""Ed25519 key files for devices and hubs.

Private keys are PKCS#8 PEM, created with mode 0600 and refused when group or
others can read them (as OpenSSH does).  Public keys are SubjectPublicKeyInfo PEM;
a bare base64 of the 32 raw bytes is also accepted so a key can be pasted.

The key id is the first 8 bytes of SHA-256 over the 32 raw public-key bytes, in hex.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import stat
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shekara.errors import KeyFileError


def raw_public_bytes(public_key: Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of an Ed25519 public key."""
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_key: Ed25519PublicKey) -> str:
    """First 8 bytes of SHA-256(raw public key), as 16 lower-case hex digits."""
    return hashlib.sha256(raw_public_bytes(public_key)).hexdigest()[:16]


def public_key_b64(public_key: Ed25519PublicKey) -> str:
    """Standard base64 of the raw public key (how the hub stores and shows it)."""
    return base64.b64encode(raw_public_bytes(public_key)).decode("ascii")


def public_key_from_b64(text: str) -> Ed25519PublicKey:
    """Parse a base64 raw public key."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except binascii.Error as exc:
        raise KeyFileError(f"public key is not valid base64: {exc}") from None
    if len(raw) != 32:
        raise KeyFileError(f"public key must be 32 bytes, got {len(raw)}")
    return Ed25519PublicKey.from_public_bytes(raw)


def write_keypair(private_path: Path, *, overwrite: bool = False) -> Ed25519PrivateKey:
    """Generate a key pair; write ``private_path`` (0600) and ``private_path``.pub."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    private_path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
    try:
        # The mode is given to open() so the key is never readable by others,
        # not even between creation and a later chmod.
        fd = os.open(private_path, flags, 0o600)
    except FileExistsError:
        raise KeyFileError(f"{private_path} exists; refusing to overwrite a device key") from None
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    os.chmod(private_path, 0o600)
    public_path(private_path).write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return key


def public_path(private_path: Path) -> Path:
    """Where the public half of ``private_path`` is written."""
    return private_path.with_name(private_path.name + ".pub")


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """Load a PKCS#8 PEM Ed25519 private key that only its owner can read."""
    try:
        mode = path.stat().st_mode
        data = path.read_bytes()
    except OSError as exc:
        raise KeyFileError(f"cannot read private key {path}: {exc.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(
            f"private key {path} is accessible by others (mode {mode & 0o777:o}); chmod 600 it"
        )
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise KeyFileError(f"{path} is not an unencrypted PEM private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path} holds a {type(key).__name__}, not an Ed25519 key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """Load a public key: SubjectPublicKeyInfo PEM, or base64 of the 32 raw bytes."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeyFileError(f"cannot read public key {path}: {exc.strerror}") from None
    if data.lstrip().startswith(b"-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(data)
        except ValueError as exc:
            raise KeyFileError(f"{path} is not a PEM public key: {exc}") from None
        if not isinstance(key, Ed25519PublicKey):
            raise KeyFileError(f"{path} holds a {type(key).__name__}, not an Ed25519 key")
        return key
    return public_key_from_b64(data.decode("ascii", "replace"))
