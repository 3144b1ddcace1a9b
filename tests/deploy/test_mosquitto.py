"""deploy/mosquitto/shekara.conf on a real Mosquitto, attacked.

Each test is one row of docs/security.md: a device writing another lane's topics, a
client without a certificate, one from a foreign CA, an expired one, a revoked one.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from mqtt_helpers import wait_until
from tls_helpers import Attacker

from shekara import acl, pki
from shekara.localbroker import LocalBroker
from shekara.wire import Address, Channel

ENTRY = Address("temirbaba", "entry-1", "tmb-entry-1")
EXIT = Address("temirbaba", "exit-1", "tmb-exit-1")


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[LocalBroker]:
    b = LocalBroker(tmp_path / "broker", secure=True)
    b.acl_file.write_text(acl.render([("shekara-hub-temirbaba", "temirbaba")], [ENTRY, EXIT]))
    b.start()
    yield b
    b.stop()


def test_a_device_writes_its_own_topics_and_no_other_lanes(broker: LocalBroker) -> None:
    device = Attacker(broker, broker.client(ENTRY.device))
    assert device.accepted()
    for channel in (Channel.EVENTS, Channel.STATUS, Channel.EVIDENCE):
        assert device.may_publish(ENTRY.topic(channel))
        assert not device.may_publish(EXIT.topic(channel))
    # Its own device id under a lane it is not registered for: denied.
    assert not device.may_publish(
        Address("temirbaba", "exit-1", ENTRY.device).topic(Channel.EVENTS)
    )
    assert not device.may_publish(ENTRY.topic(Channel.COMMANDS))  # no forged resend commands
    device.close()


def test_each_reads_only_what_is_meant_for_it(broker: LocalBroker) -> None:
    hub = Attacker(broker, broker.client("shekara-hub-temirbaba"))
    snoop = Attacker(broker, broker.client(ENTRY.device))
    other = Attacker(broker, broker.client(EXIT.device))
    for client in (hub, snoop):
        client.subscribe("shekara/v1/#")
    other.subscribe(EXIT.topic(Channel.COMMANDS))
    assert other.may_publish(EXIT.topic(Channel.EVENTS))
    assert hub.may_publish(EXIT.topic(Channel.COMMANDS))
    assert hub.may_publish(ENTRY.topic(Channel.COMMANDS))
    wait_until(lambda: hub.received and other.received, what="the authorised deliveries")
    time.sleep(0.3)  # time for a wrongful delivery to arrive too
    assert hub.received == [EXIT.topic(Channel.EVENTS)]
    assert other.received == [EXIT.topic(Channel.COMMANDS)]
    assert snoop.received == [ENTRY.topic(Channel.COMMANDS)]  # only its own commands
    assert not hub.may_publish(ENTRY.topic(Channel.EVENTS))  # the hub cannot pose as a lane


def test_a_hub_reads_only_its_own_checkpoint(broker: LocalBroker) -> None:
    hub = Attacker(broker, broker.client("shekara-hub-temirbaba"))
    hub.subscribe("shekara/v1/#")
    garabogaz = Address("garabogaz", "entry-1", "grb-entry-1")
    broker.write_acl(acl.render([("shekara-hub-temirbaba", "temirbaba")], [ENTRY, garabogaz]))
    device = Attacker(broker, broker.client(garabogaz.device))
    wait_until(lambda: device.may_publish(garabogaz.topic(Channel.EVENTS)), what="the new ACL")
    assert Attacker(broker, broker.client(ENTRY.device)).may_publish(ENTRY.topic(Channel.EVENTS))
    wait_until(lambda: hub.received, what="temirbaba's event")
    time.sleep(0.3)
    assert hub.received == [ENTRY.topic(Channel.EVENTS)]


def test_an_unlisted_certificate_connects_but_may_do_nothing(broker: LocalBroker) -> None:
    stranger = Attacker(broker, broker.client("tmb-entry-9"))
    assert stranger.accepted()
    assert not stranger.may_publish(
        Address("temirbaba", "entry-9", "tmb-entry-9").topic(Channel.EVENTS)
    )
    stranger.close()


def test_no_client_certificate_is_refused(broker: LocalBroker) -> None:
    assert not Attacker(broker, None).accepted()


def test_a_certificate_from_a_foreign_ca_is_refused(broker: LocalBroker, tmp_path: Path) -> None:
    foreign = pki.Authority.create("Someone else's CA")
    key = pki.new_key()
    cert = foreign.issue(ENTRY.device, key.public_key())  # the right name, the wrong issuer
    pki.write_private(tmp_path / "f.key", pki.key_pem(key))
    (tmp_path / "f.crt").write_bytes(pki.pem(cert))
    tls = broker.client("unused")
    forged = type(tls)(tls.ca_file, tmp_path / "f.crt", tmp_path / "f.key")
    assert not Attacker(broker, forged).accepted()


def test_an_expired_certificate_is_refused(broker: LocalBroker) -> None:
    old = datetime.now(UTC) - timedelta(days=30)
    assert not Attacker(broker, broker.client(ENTRY.device, days=7, not_before=old)).accepted()


def test_a_revoked_certificate_is_refused_after_reload(broker: LocalBroker) -> None:
    tls = broker.client(ENTRY.device)
    assert Attacker(broker, tls).accepted()
    pki.revoke(broker.pki_dir, pki.load_cert(tls.cert_file), "camera stolen")
    broker.reload()
    wait_until(lambda: not Attacker(broker, tls).accepted(), what="the reloaded CRL")
    assert Attacker(broker, broker.client(EXIT.device)).accepted()  # the others carry on
