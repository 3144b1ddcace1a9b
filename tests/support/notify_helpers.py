"""Helpers for the notification tests: a valid notification to start from, SSCCs."""

from __future__ import annotations

import base64
import copy
from datetime import timedelta
from typing import Any

from queue_helpers import START

from shekara.codes import gs1_check_digit, interpret_container, interpret_gs1

CONTAINER = "CSQU3054383"  # the ISO 6346 standard's own example, check digit 3


def sscc(serial: int, prefix: str = "04601234") -> str:
    """An SSCC with a correct check digit: extension 0, company prefix, serial."""
    body = f"{prefix}{serial:0{17 - len(prefix)}d}"
    return body + gs1_check_digit(body)


def notification(**changes: Any) -> dict[str, Any]:
    """A valid first notification for Temirbaba kz-tm, ETA 4 h after START; dotted keys
    in ``changes`` ("conveyance.tractor.plate") replace values deep inside."""
    doc: dict[str, Any] = {
        "notification_id": "CF-2026-0001",
        "amendment": 0,
        "submitted_at": START.isoformat(),
        "crossing": "temirbaba",
        "direction": "kz-tm",
        "eta": {"earliest": (START + timedelta(hours=4)).isoformat(),
                "latest": (START + timedelta(hours=8)).isoformat()},
        "references": {"tir_carnet": "XC12345678", "cmr": "CMR-77120"},
        "conveyance": {
            "tractor": {"plate": "123ABC12", "country": "KZ"},
            "vin": "XTC65115X91234567",
            "trailers": [{"plate": "456ABD12", "country": "KZ"}],
            "carrier_id": "KZ-CARRIER-1", "carrier_name": "Caspian Freight",
        },
        "drivers": [{"name": "Aidos Serikbayev", "document": "N12345678",
                     "nationality": "KZ", "phone": "+7 701 555 0101"}],
        "equipment": {"containers": [CONTAINER], "seals": ["KZ778812"]},
        "consignments": [{
            "consignor": "Mangystau Flour LLP", "consignee": "Balkan Trade HJ",
            "transport_document": "CMR-77120", "gross_kg": 20500,
            "items": [{
                "hs_code": "110100", "description": "Wheat flour", "packages": 20,
                "package_type": "PX", "gross_kg": 20500, "net_kg": 20000,
                "ssccs": [sscc(1), sscc(2)],
                "certificates": [{"kind": "phytosanitary", "number": "PH-2026-118"}],
            }],
        }],
    }  # fmt: skip
    for dotted, value in changes.items():
        target = doc
        *path, last = dotted.split(".")
        for part in path:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value
    return copy.deepcopy(doc)


def code_body(text: str) -> dict[str, Any]:
    """A barcode.read body as the edge sends it for a container, an SSCC or a seal."""
    body: dict[str, Any] = {"symbology": "Code128", "text": text, "decoder": "zxing-cpp",
                            "raw_b64": base64.b64encode(text.encode()).decode()}  # fmt: skip
    if container := interpret_container(text):
        body["iso6346"] = container.model_dump()
    elif len(text) == 18 and text.isdigit() and (gs1 := interpret_gs1("00" + text)):
        body["gs1"] = gs1.model_dump()
        body["symbology_identifier"] = "]C1"
    return body
