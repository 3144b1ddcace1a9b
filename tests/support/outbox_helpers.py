"""Checks of an outbox file read straight from disk, behind the Outbox class's back."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from shekara import wire


def head_on_disk(path: Path) -> tuple[int, int]:
    """(highest seq stored, last_seq of the chain head) read from the file itself."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT MAX(seq) FROM outbox").fetchone()[0] or 0
        head = conn.execute("SELECT value FROM state WHERE key = 'last_seq'").fetchone()
    return int(rows), int(head[0]) if head else 0


def check_chain_file(path: Path, public_key: Ed25519PublicKey) -> int:
    """``PRAGMA integrity_check`` passes and seqs 1..N (sent or not) are all there, signed,
    each linked to the one before; returns N."""
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = conn.execute(
            "SELECT seq, payload FROM outbox UNION SELECT seq, payload FROM sent ORDER BY seq"
        ).fetchall()
    prev = wire.GENESIS_HASH
    for seq, (_, payload) in enumerate(rows, 1):
        envelope, raw = wire.parse_envelope(payload)
        wire.verify(wire.EVENT_DOMAIN, raw, public_key)
        assert (envelope.seq, envelope.prev_hash) == (seq, prev), f"chain broken at seq {seq}"
        prev = wire.event_hash(raw)
    return len(rows)
