"""The officer's decision on an arrival, as a control result in an append-only hash chain.

The record is modelled on the NCTS control result (IE044): a conform flag, the state of
the seals, a remark per goods item, who decided and when; here also the notification
version in force at arrival and the hashes of the signed lane events the officer saw.

Chain: entry ``n`` stores ``hash_n = SHA-256(bytes(hash_{n-1}) ‖ JCS(body_n))`` with
``hash_0`` = 32 zero bytes, the construction of the queue journal
(:func:`hub.queue.journal.entry_hash`), so one verifier serves both.  The table refuses
UPDATE and DELETE (SQLite triggers).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from hub.queue.journal import GENESIS, entry_hash

VERSION = 1


class Action(StrEnum):
    """What the officer does with the truck."""

    RELEASE = "release"
    INSPECT = "inspect"  # hold for inspection; a release or refusal follows
    REFUSE = "refuse"


class SealState(StrEnum):
    """The seals as the officer found them (IE044 "state of seals")."""

    INTACT = "intact"
    BROKEN = "broken"
    ABSENT = "absent"
    NOT_CHECKED = "not_checked"


FINAL = frozenset({Action.RELEASE, Action.REFUSE})


def conform(best: dict[str, Any] | None, seals: SealState) -> bool:
    """Whether what the lane saw agrees with the declaration: a full match, nothing
    missing or undeclared, the tractor as declared, and no broken or absent seal."""
    if best is None or best["level"] != "match" or best["tractor_changed"]:
        return False
    if seals in (SealState.BROKEN, SealState.ABSENT):
        return False
    return all(i["status"] == "declared_seen" or i["kind"] == "seal" for i in best["items"])


def control_result(
    *,
    arrival: dict[str, Any],
    best: dict[str, Any] | None,
    notification: dict[str, Any] | None,
    action: Action,
    seals: SealState,
    remarks: str,
    item_remarks: dict[str, str],
    officer: str,
    at: str,
    queue: str,
) -> dict[str, Any]:
    """The body of one decision entry."""
    items = [{**i, "remark": item_remarks.get(i["code"], "")}
             for i in (best["items"] if best else [])]  # fmt: skip
    return {
        "v": VERSION, "at": at, "officer": officer, "action": action.value,
        "conform": conform(best, seals), "seals": seals.value, "remarks": remarks,
        "items": items, "arrival": arrival, "notification": notification,
        "match": None if best is None else {k: best[k] for k in
                                            ("level", "score", "tractor_changed", "reasons")},
        "queue": queue,
    }  # fmt: skip


def chain(prev: str | None, body: dict[str, Any]) -> tuple[str, str]:
    """(prev, hash) of the entry that follows ``prev`` (None: the first)."""
    before = prev or GENESIS
    return before, entry_hash(before, body)


def verify_chain(entries: list[tuple[str, str, dict[str, Any]]]) -> int:
    """Check (prev, hash, body) entries in order; returns how many, raises ValueError."""
    expected = GENESIS
    for n, (prev, digest, body) in enumerate(entries, 1):
        if prev != expected:
            raise ValueError(f"decision {n}: links to {prev[:12]}, expected {expected[:12]}")
        if entry_hash(prev, body) != digest:
            raise ValueError(f"decision {n}: its body does not hash to {digest[:12]}")
        expected = digest
    return len(entries)
