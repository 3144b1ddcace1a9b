"""Atheris harness for the notification validator (:mod:`hub.notify`).

Fuzzed: every identifier check of ``hub.notify.checks`` with any text, and
``NotificationIn`` with raw bytes as JSON and with a valid notification that has one
value replaced, at any depth, by fuzzed JSON or text.

Contract: a check returns a string or raises :class:`ValueError`; the model raises
nothing but :class:`pydantic.ValidationError`.  Run: ``make fuzz`` or
``.venv/bin/python fuzz/fuzz_notification.py -max_total_time=60``.
"""

from __future__ import annotations

import contextlib
import copy
import sys
from collections.abc import Iterator
from typing import Any

import atheris
from values import json_or_text

with atheris.instrument_imports(include=["hub.notify", "hub.queue.plates", "shekara"]):
    from pydantic import ValidationError

    from hub.notify import checks
    from hub.notify.model import NotificationIn
    from shekara.codes import gs1_check_digit

CHECKS = [checks.container_number, checks.sscc, checks.hs_code, checks.un_number,
          checks.transit_reference, checks.tir_carnet, checks.vin, checks.seal_number,
          checks.mrn_check_character]  # fmt: skip
SSCC = "04601234000000001" + gs1_check_digit("04601234000000001")
SAMPLE: dict[str, Any] = {
    "notification_id": "CF-2026-0001", "submitted_at": "2026-11-21T06:00:00+00:00",
    "crossing": "temirbaba", "direction": "kz-tm",
    "eta": {"earliest": "2026-11-21T10:00:00+00:00", "latest": "2026-11-21T18:00:00+05:00"},
    "references": {"tir_carnet": "XC12345678", "cmr": "CMR-77120",
                   "transit": "12345678/211126/1234567"},
    "conveyance": {"tractor": {"plate": "123ABC12", "country": "KZ"},
                   "vin": "XTC65115X91234567",
                   "trailers": [{"plate": "AB1234AG", "country": "TM"}],
                   "carrier_id": "KZ-CARRIER-1", "carrier_name": "Caspian Freight"},
    "drivers": [{"name": "Aidos Serikbayev", "document": "N12345678", "nationality": "KZ",
                 "phone": "+7 701 555 0101"}],
    "equipment": {"containers": ["CSQU3054383"], "seals": ["KZ778812"]},
    "consignments": [{"consignor": "Mangystau Flour LLP", "consignee": "Balkan Trade HJ",
                      "transport_document": "CMR-77120", "gross_kg": 20500,
                      "items": [{"hs_code": "110100", "description": "Wheat flour",
                                 "packages": 20, "package_type": "PX", "gross_kg": 20500,
                                 "net_kg": 20000, "ssccs": [SSCC], "un_numbers": ["UN1203"],
                                 "certificates": [{"kind": "origin", "number": "O-1"}]}]}],
}  # fmt: skip
NotificationIn.model_validate(SAMPLE)  # the harness starts from a valid notification


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if prefix:
        yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _paths(item, (*prefix, i))


PATHS = list(_paths(SAMPLE))


def TestOneInput(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    mode = fdp.ConsumeIntInRange(0, 2)
    try:
        if mode == 0:
            check = fdp.PickValueInList(CHECKS)
            with contextlib.suppress(ValueError):
                assert isinstance(check(fdp.ConsumeUnicode(fdp.remaining_bytes())), str)
        elif mode == 1:
            NotificationIn.model_validate_json(fdp.ConsumeBytes(fdp.remaining_bytes()))
        else:
            doc = copy.deepcopy(SAMPLE)
            *parent_path, last = fdp.PickValueInList(PATHS)
            parent = doc
            for part in parent_path:
                parent = parent[part]
            parent[last] = json_or_text(fdp, 120)
            NotificationIn.model_validate(doc)
    except ValidationError:
        pass


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
