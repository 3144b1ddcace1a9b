"""Key files: 0600 on creation, refused when others can read them, clear errors."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from shekara.errors import KeyFileError
from shekara.keys import (
    key_id,
    load_private_key,
    load_public_key,
    public_key_b64,
    public_path,
    write_keypair,
)


def test_private_key_is_created_0600_and_loads(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "device.key"
    key = write_keypair(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert key_id(load_private_key(path).public_key()) == key_id(key.public_key())
    assert key_id(load_public_key(public_path(path))) == key_id(key.public_key())


def test_existing_key_is_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "device.key"
    write_keypair(path)
    with pytest.raises(KeyFileError, match="refusing to overwrite"):
        write_keypair(path)
    write_keypair(path, overwrite=True)


def test_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "device.key"
    write_keypair(path)
    path.chmod(0o644)
    with pytest.raises(KeyFileError, match="accessible by others"):
        load_private_key(path)


def test_public_key_as_bare_base64(tmp_path: Path) -> None:
    key = write_keypair(tmp_path / "k")
    (tmp_path / "pub.txt").write_text(public_key_b64(key.public_key()) + "\n")
    assert key_id(load_public_key(tmp_path / "pub.txt")) == key_id(key.public_key())


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not base64!", "not valid base64"),
        (b"AAAA", "must be 32 bytes"),
        (b"-----BEGIN PUBLIC KEY-----\nxx\n-----END PUBLIC KEY-----\n", "not a PEM public key"),
    ],
)
def test_bad_public_keys_say_why(tmp_path: Path, content: bytes, message: str) -> None:
    (tmp_path / "pub").write_bytes(content)
    with pytest.raises(KeyFileError, match=message):
        load_public_key(tmp_path / "pub")


def test_missing_files(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="cannot read private key"):
        load_private_key(tmp_path / "absent")
    with pytest.raises(KeyFileError, match="cannot read public key"):
        load_public_key(tmp_path / "absent")
