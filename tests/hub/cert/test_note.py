"""C2SP signed notes and checkpoints: the Go reference vector, then tampering.

The known answer is the example key and note of golang.org/x/mod/sumdb/note
(``note_test.go``: the "PeterNeumann" key), taken as data.
"""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.cert.errors import BadSignature, MalformedNote, MissingSignature
from hub.cert.merkle import EMPTY_ROOT
from hub.cert.note import (
    Checkpoint,
    cosignature_line,
    cosigned_message,
    open_note,
    parse_checkpoint,
    parse_verifier_key,
    sign,
    signature_line,
    verifier_key,
)

VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
SKEY_SEED = base64.b64decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")[1:]
TEXT = ("If you think cryptography is the answer to your problem,\n"
        "then you don't know what your problem is.\n")  # fmt: skip
SIGNED = TEXT + (
    "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvq"
    "fqdngotpRZb6KE6RyyBwJnAM=\n"
)


def _trusted(*keys: str) -> dict[tuple[str, bytes], object]:
    return {(v.name, v.id): v for v in map(parse_verifier_key, keys)}


def test_the_go_reference_note_signs_and_verifies() -> None:
    key = Ed25519PrivateKey.from_private_bytes(SKEY_SEED)
    assert verifier_key("PeterNeumann", key.public_key()) == VKEY
    assert sign(TEXT, "PeterNeumann", key) == SIGNED  # Ed25519 is deterministic
    text, names = open_note(SIGNED, _trusted(VKEY))  # type: ignore[arg-type]
    assert text == TEXT and names == {"PeterNeumann"}


def test_a_changed_byte_or_an_unknown_key_is_refused() -> None:
    with pytest.raises(BadSignature, match="the signature of PeterNeumann does not verify"):
        open_note(SIGNED.replace("answer", "Answer"), _trusted(VKEY))  # type: ignore[arg-type]
    other = Ed25519PrivateKey.generate()
    stranger = TEXT + "\n" + signature_line(TEXT, "someone.example", other)
    with pytest.raises(MissingSignature, match="no signature from a trusted key"):
        open_note(stranger, _trusted(VKEY))  # type: ignore[arg-type]
    # An extra signature from an unknown key is ignored, not an error.
    both = SIGNED + signature_line(TEXT, "someone.example", other)
    assert open_note(both, _trusted(VKEY))[1] == {"PeterNeumann"}  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("note", "message"),
    [
        (TEXT, "no blank line before the signatures"),
        (TEXT + "\nnot a signature\n", "not a signature line"),
        ("text\n\n\u2014 a AAAA\n", "signature of a is too short"),
        ("bell\a\n\n\u2014 a AAAAAAAAAAA=\n", "no control characters"),
    ],
)
def test_malformed_notes_say_what_is_wrong(note: str, message: str) -> None:
    with pytest.raises(MalformedNote, match=message):
        open_note(note, {})


def test_verifier_keys_are_checked() -> None:
    with pytest.raises(MalformedNote, match="the key ID does not match"):
        parse_verifier_key(VKEY.replace("c74f20a3", "c74f20a4"))
    with pytest.raises(MalformedNote, match="is not name\\+keyid\\+key"):
        parse_verifier_key("PeterNeumann")


def test_checkpoints_round_trip_and_refuse_bad_lines() -> None:
    cp = Checkpoint("temirbaba.shekara.example/log", 8, EMPTY_ROOT, ("ext one",))
    assert cp.text() == ("temirbaba.shekara.example/log\n8\n"
                         "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\next one\n")  # fmt: skip
    assert parse_checkpoint(cp.text()) == cp
    for bad, message in (("origin\n08\n" + cp.text().split("\n")[2] + "\n", "tree size"),
                         ("origin\n8\nAAAA\n", "has 3 bytes"), ("origin\n8\n", "each on a line"),
                         ("origin\n8\n!!\n", "not base64")):  # fmt: skip
        with pytest.raises(MalformedNote, match=message):
            parse_checkpoint(bad)


def test_a_witness_cosignature_verifies_and_any_change_fails() -> None:
    log_key, witness_key = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    text = Checkpoint("temirbaba.shekara.example/log", 3, EMPTY_ROOT).text()
    note = sign(text, "temirbaba.shekara.example/log", log_key) + cosignature_line(
        text, "garabogaz.example/witness", witness_key, 1_779_000_000
    )
    log_v = verifier_key("temirbaba.shekara.example/log", log_key.public_key())
    witness_v = verifier_key("garabogaz.example/witness", witness_key.public_key(), 0x04)
    assert witness_v.startswith("garabogaz.example/witness+")
    trusted = _trusted(log_v, witness_v)
    assert open_note(note, trusted)[1] == {"temirbaba.shekara.example/log",  # type: ignore[arg-type]
                                           "garabogaz.example/witness"}  # fmt: skip
    line = note.rsplit("\n", 2)[-2]
    raw = bytearray(base64.b64decode(line.rsplit(" ", 1)[1]))
    raw[4 + 7] ^= 1  # the timestamp is signed too
    forged = note.replace(line, line.rsplit(" ", 1)[0] + " " + base64.b64encode(raw).decode())
    with pytest.raises(BadSignature, match=r"garabogaz\.example/witness does not verify"):
        open_note(forged, trusted)  # type: ignore[arg-type]
    # The cosigned message, per c2sp.org/tlog-cosignature.
    assert cosigned_message(text, 1_779_000_000) == (
        b"cosignature/v1\ntime 1779000000\ntemirbaba.shekara.example/log\n3\n"
        b"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
    )


def test_a_verifier_key_whose_base64_holds_a_plus_parses() -> None:
    keys = (Ed25519PrivateKey.from_private_bytes(bytes([i]) * 32) for i in range(256))
    vkeys = (verifier_key("log.example", k.public_key()) for k in keys)
    vkey = next(v for v in vkeys if "+" in v.split("+", 2)[2])
    assert parse_verifier_key(vkey).name == "log.example"
