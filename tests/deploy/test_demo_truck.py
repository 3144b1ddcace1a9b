"""The demo's scripted truck: a notification the hub accepts, footage that shows its cargo."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import cv2
from demo_truck import Cargo, notification, truck_footage
from notify_helpers import CONTAINER, sscc

from edge.barcodes import decode
from hub.notify.model import NotificationIn
from shekara.codes import interpret_container, interpret_gs1


def test_notification_is_valid_and_declares_the_cargo() -> None:
    cargo = Cargo("777KZA12", CONTAINER, (sscc(1), sscc(2)))
    n = NotificationIn.model_validate(notification(cargo, datetime(2026, 11, 21, tzinfo=UTC)))
    assert n.conveyance.tractor.plate == "777KZA12"
    assert n.equipment.containers == [CONTAINER]
    assert n.ssccs() == list(cargo.ssccs)
    assert (n.eta.earliest - n.submitted_at).total_seconds() > 2 * 3600  # the hub's deadline


def test_footage_shows_every_declared_code_with_valid_check_digits(tmp_path: Path) -> None:
    video, cargo = truck_footage(tmp_path)
    assert interpret_container(cargo.container) is not None
    assert all(interpret_gs1("00" + s) for s in cargo.ssccs)
    capture = cv2.VideoCapture(str(video))
    seen: set[str] = set()
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        seen |= {read.text for read in decode(frame)}
    capture.release()
    # GS1-128 reads as its element string: AI 00, then the SSCC.
    assert seen == {cargo.container, *(f"00{s}" for s in cargo.ssccs)}
    # A second run reuses the footage and its cargo rather than making new codes.
    assert truck_footage(tmp_path) == (video, cargo)
