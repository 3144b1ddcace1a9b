"""Generated cargo labels go in at the edge and come out of the hub API, verified.

The footage is rotated, perspective-warped, blurred, noised and JPEG-compressed;
one label in four carries a wrong check digit.  Real Mosquitto running the production
configuration (deploy/mosquitto/shekara.conf: mutual TLS, the ACL the hub writes from
its registry), real hub and edge processes, the shipped console scripts.  The last test
revokes the device and the broker refuses it.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mqtt_helpers import wait_until
from tls_helpers import Attacker, secure_stack

from edge.synth import Distortion, Footage, write_footage
from hub.store import Store
from shekara import wire
from shekara.keys import load_public_key
from shekara.localbroker import LocalBroker
from shekara.localstack import EdgeProcess, HubProcess

pytestmark = pytest.mark.slow
DEVICE = "tmb-entry-1"
CAMERA = Distortion(
    rotate_deg=4.0, perspective=0.03, blur_sigma=0.8, noise_sigma=4.0, jpeg_quality=80
)


@pytest.fixture(scope="module")
def footage(tmp_path_factory: pytest.TempPathFactory) -> Footage:
    out = tmp_path_factory.mktemp("footage")
    return write_footage(
        out, seed=2026, n_frames=180, bad_check_every=4, distortion=CAMERA, video=True
    )


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[tuple[LocalBroker, HubProcess]]:
    with secure_stack(tmp_path) as stack:
        yield stack


def _run_lane(tmp_path: Path, broker: LocalBroker, hub: HubProcess, source: Path) -> EdgeProcess:
    edge = EdgeProcess(
        tmp_path / "edge",
        device_id=DEVICE,
        checkpoint="temirbaba",
        lane="entry-1",
        source=str(source),
        mqtt_port=broker.port,
        fps=25,
        until_drained=True,
        tls=broker.client(DEVICE),
    )
    hub.add_device(DEVICE, edge.public_key, "temirbaba", "entry-1")  # the ACL admits it
    hub.start()
    edge.start()
    assert edge.proc is not None
    assert edge.proc.wait(120) == 0, edge.log_path.read_text()[-3000:]
    return edge


def _barcode_events(hub: HubProcess) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = hub.get(
        f"/api/events?device_id={DEVICE}&type=barcode.read&limit=1000"
    )["events"]
    return events


@pytest.mark.parametrize("kind", ["folder", "video"])
def test_labels_arrive_once_each_verified_with_correct_fields(
    kind: str, footage: Footage, hub: tuple[LocalBroker, HubProcess], tmp_path: Path
) -> None:
    broker, hub_process = hub
    assert footage.video is not None
    source = footage.frames[0].parent if kind == "folder" else footage.video
    edge = _run_lane(tmp_path, broker, hub_process, source)

    events = _barcode_events(hub_process)
    expected = {c.text: c for c in footage.codes}
    got = [e["body"]["text"] for e in events]
    assert sorted(got) == sorted(expected), "every label exactly once, nothing else"
    kinds = [c.kind for c in footage.codes]
    assert all(kinds.count(k) >= 2 for k in ("sscc", "gs1-datamatrix", "container", "qr"))
    assert sum(c.invalid_check_digit for c in footage.codes) >= 2

    for event in events:
        body, truth = event["body"], expected[event["body"]["text"]]
        assert event["verified"] is True
        assert body["invalid_check_digit"] is truth.invalid_check_digit, truth
        if truth.kind == "sscc":
            assert body["symbology_identifier"] == "]C1", "GS1-128, not plain Code 128"
            assert body["gs1"]["sscc"] == truth.text.removeprefix("(00)")
            assert body["gs1"]["check_digits_ok"] is not truth.invalid_check_digit
        elif truth.kind == "gs1-datamatrix":
            assert body["gs1"]["gtin"] and body["gs1"]["batch"] and body["gs1"]["expiry"]
        elif truth.kind.startswith("container"):
            assert body["iso6346"]["code"] == truth.text
            assert body["iso6346"]["check_digit_ok"] is not truth.invalid_check_digit

    # Independently of the hub: every stored payload verifies under the device's key
    # and the chain links hold from seq 1 to the end.
    key = load_public_key(edge.public_key)
    with Store(hub_process.config.parent / "hub.db") as store:
        chain = []
        for event in hub_process.get(f"/api/events?device_id={DEVICE}&limit=1000")["events"]:
            payload = store.event_payload(event["event_id"])
            assert payload is not None
            envelope, raw = wire.parse_envelope(payload)
            wire.verify(wire.EVENT_DOMAIN, raw, key)
            chain.append((envelope.seq, envelope.prev_hash, wire.event_hash(raw)))
    chain.sort()
    assert [seq for seq, _, _ in chain] == list(range(1, len(chain) + 1))
    assert chain[0][1] == wire.GENESIS_HASH
    for (_, _, previous), (_, prev_hash, _) in itertools.pairwise(chain):
        assert prev_hash == previous


def test_a_revoked_device_is_refused_by_the_broker_and_audited(
    footage: Footage, hub: tuple[LocalBroker, HubProcess], tmp_path: Path
) -> None:
    broker, hub_process = hub
    assert footage.video is not None
    _run_lane(tmp_path, broker, hub_process, footage.video)
    tls = broker.client(DEVICE)
    assert Attacker(broker, tls).accepted()
    hub_process.cli("device", "revoke", DEVICE, "--reason", "camera stolen from pole 3")
    # The CLI wrote the CRL and the ACL and sent the broker SIGHUP.
    wait_until(lambda: not Attacker(broker, tls).accepted(), what="the broker to refuse it")
    assert f"user {DEVICE}\n" not in broker.acl_file.read_text()
    audit = [json.loads(line) for line in hub_process.cli("device", "audit").splitlines()]
    assert [(a["action"], a["subject"]) for a in audit] == [
        ("device.add", DEVICE), ("device.revoke", DEVICE),
    ]  # fmt: skip
    assert audit[1]["detail"] == {"reason": "camera stolen from pole 3"}
