"""The notification form: every error on its own field, in words that say what is wrong."""

from __future__ import annotations

from typing import Any

import pytest
from notify_helpers import notification, sscc
from pydantic import ValidationError

from hub.notify.model import NotificationIn


def _errors(doc: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        NotificationIn.model_validate(doc)
    return {".".join(map(str, e["loc"])): e["msg"] for e in info.value.errors()}


def test_the_sample_is_valid_and_canonical() -> None:
    n = NotificationIn.model_validate(notification(**{"conveyance.tractor.plate": "123 авс 12"}))
    assert n.conveyance.tractor.plate == "123ABC12"
    assert n.ssccs() == [sscc(1), sscc(2)]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"equipment.containers": ["CSQU3054384"]}, "equipment.containers.0",
         "Value error, wrong check digit in container CSQU3054384: expected 3, got 4"),
        ({"consignments.0.items.0.hs_code": "0702"}, "consignments.0.items.0.hs_code",
         "Value error, HS code 0702 has 4 digits; at least 6 are needed"),
        ({"consignments.0.items.0.ssccs": ["046012340000000018"]},
         "consignments.0.items.0.ssccs.0",
         "Value error, wrong check digit in SSCC 046012340000000018: expected 7, got 8"),
        ({"conveyance.tractor.plate": "12"}, "conveyance.tractor",
         "Value error, '12' is not a KZ plate"),
        ({"conveyance.vin": "XTC"}, "conveyance.vin",
         "Value error, a VIN has 17 characters, 'XTC' has 3"),
        ({"consignments.0.items.0.net_kg": 30000}, "consignments.0.items.0",
         "Value error, net mass 30000.0 kg exceeds gross mass 20500.0 kg"),
        ({"eta.latest": "2026-11-21T05:00:00+00:00"}, "eta",
         "Value error, the ETA window ends before it starts"),
        ({"submitted_at": "2026-11-21T06:00:00"}, "submitted_at",
         "Input should have timezone info"),
        ({"colour": "red"}, "colour", "Extra inputs are not permitted"),
        ({"consignments.0.items.0.un_numbers": ["UN12"]},
         "consignments.0.items.0.un_numbers.0",
         "Value error, 'UN12' is not a UN number: 4 digits, e.g. UN1203"),
    ],
)  # fmt: skip
def test_each_rule_names_its_field(change: dict[str, Any], field: str, message: str) -> None:
    errors = _errors(notification(**change))
    assert field in errors, errors
    assert errors[field].startswith(message)


def test_empty_vehicle_and_cargo_exclude_each_other() -> None:
    assert _errors(notification(**{"equipment.empty": True}))[""] == (
        "Value error, an empty vehicle carries no consignments"
    )
    assert _errors(notification(consignments=[]))[""] == (
        "Value error, declare at least one consignment, or set equipment.empty"
    )


def test_an_sscc_declared_twice_is_refused() -> None:
    errors = _errors(notification(**{"consignments.0.items.0.ssccs": [sscc(1), sscc(1)]}))
    assert errors[""] == f"Value error, SSCC {sscc(1)} is declared twice"
