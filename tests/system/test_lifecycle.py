"""A device's life over real processes and the production broker config.

``shekara-edge enrol`` makes the keys and prints a code; the operator approves it with
``shekara-hub device approve``; the agent then connects with the issued certificate.
``shekara-edge rotate-key`` while it runs changes the signing key without losing or
dead-lettering a single event.  And an old signed event replayed to a restarted hub
process is refused.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hub_support import SimDevice
from mqtt_helpers import wait_until
from tls_helpers import Attacker, secure_stack

from edge.synth import write_footage
from hub.store import Store
from shekara import enrol, pki, wire
from shekara.keys import key_id, load_private_key, public_path, write_keypair
from shekara.localbroker import ClientTLS, LocalBroker
from shekara.localstack import EdgeProcess, HubProcess, _script

pytestmark = pytest.mark.slow
DEVICE = "tmb-entry-7"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[LocalBroker, HubProcess]]:
    with secure_stack(tmp_path) as (broker, hub):
        hub.start()
        yield broker, hub


def _enrol(edge: EdgeProcess, hub: HubProcess) -> list[str]:
    """Run ``shekara-edge enrol``, approve the code it prints, return what it printed."""
    asking = subprocess.Popen(
        [_script("shekara-edge"), "enrol", "--config", str(edge.config), "--hub", hub.url,
         "--wait", "60", "--poll", "0.2"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert asking.stdout is not None
    first = asking.stdout.readline()
    code = re.fullmatch(r"enrolment code: (\S+)\n", first)
    assert code, first
    wait_until(lambda: code[1] in hub.cli("device", "enrolments", "--state", "pending"),
               what="the request at the hub")  # fmt: skip
    hub.cli("device", "approve", code[1])
    out, _ = asking.communicate(timeout=60)
    assert asking.returncode == 0, out
    return [first, *out.splitlines()]


def _events(hub: HubProcess) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = hub.get(f"/api/events?device_id={DEVICE}&limit=1000")["events"]
    return sorted(found, key=lambda e: int(e["seq"]))


def test_enrol_run_and_rotate_the_key_without_losing_an_event(
    stack: tuple[LocalBroker, HubProcess], tmp_path: Path
) -> None:
    broker, hub = stack
    frames = write_footage(tmp_path / "footage", seed=7, n_frames=20).frames[0].parent
    tls = tmp_path / "edge" / "tls"
    edge = EdgeProcess(
        tmp_path / "edge", device_id=DEVICE, checkpoint="temirbaba", lane="entry-1",
        source=str(frames), mqtt_port=broker.port, fps=5, loop=True, heartbeat_s=1,
        tls=ClientTLS(tls / "ca.crt", tls / "device.crt", tls / "device.key"),
    )  # fmt: skip
    printed = _enrol(edge, hub)
    assert any("certificate written to" in line for line in printed), printed
    assert (tls / "device.key").stat().st_mode & 0o077 == 0
    old_id = hub.get(f"/api/devices/{DEVICE}")["key_id"]
    assert old_id == key_id(load_private_key(edge.key_file).public_key())

    edge.start()
    wait_until(lambda: len(_events(hub)) >= 3, timeout=30, what="events over the new cert")
    subprocess.run([_script("shekara-edge"), "rotate-key", "--config", str(edge.config)],
                   check=True, capture_output=True)  # fmt: skip
    new_id = wait_until(
        lambda: (k := hub.get(f"/api/devices/{DEVICE}")["key_id"]) != old_id and k,
        timeout=30, what="the rotation at the hub",
    )  # fmt: skip
    rotated_at = next(e["seq"] for e in _events(hub) if e["type"] == "device.key_rotated")
    wait_until(lambda: _events(hub)[-1]["seq"] >= rotated_at + 3, timeout=30,
               what="events signed by the new key")  # fmt: skip
    edge.stop()

    events = _events(hub)
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1)), "no gap"
    assert all(e["verified"] for e in events)
    assert hub.get(f"/api/dead-letters?device_id={DEVICE}") == []
    with Store(hub.config.parent / "hub.db") as store:
        signers = {wire.parse_envelope(store.event_payload(e["event_id"]) or b"")[0].seq:
                   wire.parse_envelope(store.event_payload(e["event_id"]) or b"")[0].key_id
                   for e in events}  # fmt: skip
    assert {signers[s] for s in signers if s <= rotated_at} == {old_id}
    assert {signers[s] for s in signers if s > rotated_at} == {new_id}
    assert new_id == key_id(load_private_key(edge.key_file).public_key())
    audit = [json.loads(line)["action"] for line in hub.cli("device", "audit").splitlines()]
    assert audit == ["device.enrol", "device.key_rotate"]


def test_a_device_that_is_not_enrolled_is_refused_by_the_broker(
    stack: tuple[LocalBroker, HubProcess], tmp_path: Path
) -> None:
    broker, hub = stack
    key = Ed25519PrivateKey.generate()
    request = enrol.make_request(key, pki.new_key(),
                                 wire.Address("temirbaba", "entry-1", "tmb-rogue"))  # fmt: skip
    assert enrol.code_of(request) not in hub.cli("device", "enrolments")
    # A certificate from the CA alone is not enough: the ACL names only enrolled devices.
    rogue = Attacker(broker, broker.client("tmb-rogue"))
    assert rogue.accepted()
    assert not rogue.may_publish("shekara/v1/temirbaba/entry-1/tmb-rogue/events")
    rogue.close()


def test_an_old_event_replayed_to_a_restarted_hub_is_refused(
    stack: tuple[LocalBroker, HubProcess], tmp_path: Path
) -> None:
    broker, hub = stack
    key_file = tmp_path / "sim.key"
    write_keypair(key_file)
    device = SimDevice(load_private_key(key_file), wire.Address("temirbaba", "entry-1", DEVICE))
    hub.add_device(DEVICE, public_path(key_file), "temirbaba", "entry-1")
    lane = Attacker(broker, broker.client(DEVICE))
    assert lane.accepted()
    sent = [device.next() for _ in range(3)]
    for event in sent:
        assert lane.may_publish(device.topic(), wire.encode(event))
    wait_until(lambda: len(_events(hub)) == 3, what="three events stored")

    hub.stop()
    hub.start()  # a new process: whatever it knows of the chain comes from SQLite
    # The very same bytes again: a duplicate, stored once.  The same seq with another
    # body, properly signed (a replay of a captured key's work): refused as replay.
    assert lane.may_publish(device.topic(), wire.encode(sent[1]))
    forged = device.craft(seq=2, prev_hash=wire.event_hash(sent[0]),
                          body={"symbology": "Code128", "text": "FORGED", "raw_b64": "RkFLRQ==",
                                "decoder": "zxing-cpp"})  # fmt: skip
    assert lane.may_publish(device.topic(), wire.encode(forged))
    letters = wait_until(
        lambda: hub.get(f"/api/dead-letters?device_id={DEVICE}"),
        what="the replay's dead letter",
    )
    assert [d["reason"] for d in letters] == ["replay"]
    time.sleep(0.5)  # the duplicate, had it been stored, would show by now
    assert [e["body"]["text"] for e in _events(hub)] == ["ABCU1234560"] * 3
    lane.close()
