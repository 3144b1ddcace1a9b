"""The certificate body: what the hub states about one released consignment.

A body is a JSON object; its digest is ``SHA-256(JCS(body))`` (RFC 8785), and that
32-byte digest is the log leaf's data, so the leaf hash is
``SHA-256(0x00 ‖ SHA-256(JCS(body)))``.  The log holds only that digest: the body, with
the plates and the officer's login, stays with the hub and the holder.

Version 1 fields:

* ``v`` 1, ``id`` the certificate id, ``issuer`` {``log`` origin, ``key_id`` hex};
* ``checkpoint``, ``direction`` and ``decision`` {``officer``, ``at``, ``action``,
  ``conform``, ``seals``, ``seq`` and ``hash`` of the entry in the decision log};
* ``notification`` {``submitter``, ``id``, ``amendment``, ``digest``} in force at arrival;
* ``consignment`` {``n`` its place in the notification, ``transport_document``,
  ``digest`` of the whole consignment, ``goods_digest`` of its items, ``items``,
  ``packages``, ``gross_kg``};
* ``vehicle`` {``tractor``, ``trailers``, ``containers``, ``seals``} as declared;
* ``evidence`` {``events``: hashes of the signed lane events, ``ssccs`` and
  ``containers`` the lane scanned}.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from shekara import jcs

VERSION = 1
_ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U


def digest(value: Any) -> str:
    """Hex SHA-256 of the JCS form of ``value``."""
    return hashlib.sha256(jcs.canonical_bytes(value)).hexdigest()


def new_id(checkpoint: str, year: int) -> str:
    """A certificate id such as ``TEMIRBABA-2026-7K2Q9XJD`` (40 random bits)."""
    token = "".join(secrets.choice(_ID_ALPHABET) for _ in range(8))
    return f"{checkpoint.upper()}-{year}-{token}"


@dataclass(frozen=True, slots=True)
class Issuer:
    """The log that issues: its origin and the key ID of its verifier key."""

    log: str
    key_id: str


def consignment_bodies(
    *,
    issuer: Issuer,
    checkpoint: str,
    decision: dict[str, Any],
    seq: int,
    decision_hash: str,
    notification: dict[str, Any],
    sighting: dict[str, Any],
    year: int,
) -> list[dict[str, Any]]:
    """One body per consignment of the released notification (none for an empty truck).

    ``decision`` is the control result of :func:`hub.notify.decisions.control_result`;
    ``notification`` the version in force (summary fields and ``body``).
    """
    declared = notification["body"]
    conveyance, equipment = declared["conveyance"], declared.get("equipment", {})
    scanned = sighting.get("codes", [])
    evidence = {
        "events": [e["hash"] for e in sighting.get("events", [])],
        "ssccs": sorted({c["code"] for c in scanned if c.get("kind") == "sscc"}),
        "containers": sorted({c["code"] for c in scanned if c.get("kind") == "container"}),
    }
    common = {
        "v": VERSION,
        "issuer": {"log": issuer.log, "key_id": issuer.key_id},
        "checkpoint": checkpoint,
        "direction": declared["direction"],
        "decision": {k: decision[k] for k in ("officer", "at", "action", "conform", "seals")}
        | {"seq": seq, "hash": decision_hash},
        "notification": {"submitter": notification["submitter"],
                         "id": notification["notification"],
                         "amendment": notification["amendment"],
                         "digest": notification["digest"]},
        "vehicle": {"tractor": conveyance["tractor"]["plate"],
                    "trailers": [t["plate"] for t in conveyance.get("trailers", [])],
                    "containers": equipment.get("containers", []),
                    "seals": equipment.get("seals", [])},
        "evidence": evidence,
    }  # fmt: skip
    bodies = []
    for n, consignment in enumerate(declared.get("consignments", [])):
        items = consignment["items"]
        bodies.append({
            **common,
            "id": new_id(checkpoint, year),
            "consignment": {
                "n": n, "transport_document": consignment["transport_document"],
                "digest": digest(consignment), "goods_digest": digest(items),
                "items": len(items), "packages": sum(i["packages"] for i in items),
                "gross_kg": consignment["gross_kg"],
            },
        })  # fmt: skip
    return bodies
