"""The carrier's notification form: flat HTML fields to the nested document and back.

Inputs are named by the document's own dotted paths (``conveyance.tractor.plate``), so
a validation error's location names its input.  The form holds one trailer, one driver,
one consignment and one goods item, what most trucks carry; anything larger goes as a
JSON upload of the same document.  Times are typed in the checkpoint's zone.
"""

from __future__ import annotations

import itertools
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

TEXT, LIST, FLAG, NUMBER, WHEN, CERTS = "text", "list", "flag", "number", "when", "certs"
FIELDS: dict[str, str] = {
    "notification_id": TEXT, "amendment": NUMBER, "direction": TEXT,
    "eta.earliest": WHEN, "eta.latest": WHEN, "booking_reference": TEXT,
    "references.transit": TEXT, "references.tir_carnet": TEXT, "references.cmr": TEXT,
    "conveyance.tractor.plate": TEXT, "conveyance.tractor.country": TEXT,
    "conveyance.vin": TEXT, "conveyance.trailers.0.plate": TEXT,
    "conveyance.trailers.0.country": TEXT, "conveyance.carrier_id": TEXT,
    "conveyance.carrier_name": TEXT,
    "drivers.0.name": TEXT, "drivers.0.document": TEXT, "drivers.0.nationality": TEXT,
    "drivers.0.phone": TEXT,
    "equipment.containers": LIST, "equipment.seals": LIST, "equipment.empty": FLAG,
    "consignments.0.consignor": TEXT, "consignments.0.consignee": TEXT,
    "consignments.0.transport_document": TEXT, "consignments.0.gross_kg": NUMBER,
    "consignments.0.items.0.hs_code": TEXT, "consignments.0.items.0.description": TEXT,
    "consignments.0.items.0.packages": NUMBER, "consignments.0.items.0.package_type": TEXT,
    "consignments.0.items.0.gross_kg": NUMBER, "consignments.0.items.0.net_kg": NUMBER,
    "consignments.0.items.0.ssccs": LIST, "consignments.0.items.0.un_numbers": LIST,
    "consignments.0.items.0.perishable": FLAG,
    "consignments.0.items.0.certificates": CERTS,  # a line each: "phytosanitary PH-118"
}  # fmt: skip
OPTIONAL = frozenset({"booking_reference", "references.transit", "references.tir_carnet",
                      "references.cmr", "conveyance.trailers.0.plate"})  # fmt: skip
_LOCAL = "%Y-%m-%dT%H:%M"


def _put(doc: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    node: Any = doc
    for part, following in itertools.pairwise(parts):
        key: Any = int(part) if part.isdigit() else part
        child: Any = [] if following.isdigit() else {}
        if isinstance(node, list):
            while len(node) <= key:
                node.append(child)
            node = node[key]
        else:
            node = node.setdefault(key, child)
    last = parts[-1]
    if isinstance(node, list):
        node.append(value)
    else:
        node[last] = value


def document(form: dict[str, str], zone: ZoneInfo, crossing: str) -> dict[str, Any]:
    """The notification document of a submitted form (validation is the model's)."""
    doc: dict[str, Any] = {"crossing": crossing, "submitted_at": datetime.now(zone).isoformat()}
    for name, kind in FIELDS.items():
        raw = form.get(name, "").strip()
        if kind == FLAG:
            _put(doc, name, raw in ("1", "on", "true"))
        elif kind == LIST:
            _put(doc, name, [v for v in re.split(r"[\s,;]+", raw) if v])
        elif kind == CERTS:
            pairs = [line.split(None, 1) for line in raw.splitlines() if line.strip()]
            _put(doc, name, [{"kind": p[0].lower(), "number": p[1] if len(p) > 1 else ""}
                             for p in pairs])  # fmt: skip
        elif raw == "" and (name in OPTIONAL or name.startswith("conveyance.trailers.0.")):
            continue
        elif kind == WHEN:
            try:
                _put(doc, name, datetime.strptime(raw, _LOCAL).replace(tzinfo=zone).isoformat())
            except ValueError:
                _put(doc, name, raw)  # the model says what is wrong with it
        else:
            _put(doc, name, raw)
    if doc["equipment"]["empty"]:
        doc["consignments"] = []
    return doc


def form_values(body: dict[str, Any], zone: ZoneInfo) -> dict[str, str]:
    """A stored document as form values (to amend it)."""
    values: dict[str, str] = {}
    for name, kind in FIELDS.items():
        node: Any = body
        for part in name.split("."):
            try:
                node = node[int(part)] if part.isdigit() else node[part]
            except (KeyError, IndexError, TypeError):
                node = None
                break
        if node is None:
            continue
        if kind == LIST:
            values[name] = "\n".join(map(str, node))
        elif kind == CERTS:
            values[name] = "\n".join(f"{c['kind']} {c['number']}" for c in node)
        elif kind == FLAG:
            values[name] = "1" if node else ""
        elif kind == WHEN:
            values[name] = datetime.fromisoformat(str(node)).astimezone(zone).strftime(_LOCAL)
        else:
            values[name] = str(node)
    return values


def field_of(loc: tuple[int | str, ...]) -> str:
    """The input a validation error belongs to ("" for the whole form)."""
    path = ".".join(str(p) for p in loc)
    while path and path not in FIELDS:
        path = path.rpartition(".")[0]
    return path
