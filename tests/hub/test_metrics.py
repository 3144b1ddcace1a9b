"""GET /metrics of a real hub: real signed events through a real broker, good and bad,
counted by type and reason; stored totals that survive a restart; the queue and each
device read at scrape time; the bearer token; a broken database does not break it."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from hub_support import SimDevice, status_body
from mqtt_helpers import TestClientMQTT, wait_until
from prometheus_client.parser import text_string_to_metric_families
from queue_helpers import book

from hub.app import create_app
from hub.config import HubSettings
from hub.queue.policy import Category
from hub.queue.service import QueueService
from hub.store import Store
from shekara import wire
from shekara.keys import write_keypair

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
TOKEN = "scrape-" + "t" * 24


def scrape(client: TestClient, **headers: str) -> Samples:
    """Every sample of /metrics, parsed as Prometheus parses it."""
    resp = client.get("/metrics", headers=headers)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(resp.text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    """One sample's value, or None when the series is absent."""
    return samples.get((name, frozenset(labels.items())))


def _publish_good_and_bad(mqttc: TestClientMQTT, device: SimDevice) -> None:
    """3 barcode reads, 1 status, a presence; a duplicate; 4 rejected messages."""
    mqttc.publish(device.topic(wire.Channel.STATUS), device.presence("online"))
    first = device.next()
    for event in (first, device.next(), device.next()):
        mqttc.publish(device.topic(), wire.encode(event))
    body = status_body() | {"outbox_depth": 4}
    mqttc.publish(device.topic(), wire.encode(device.next(wire.EventType.DEVICE_STATUS, body)))
    mqttc.publish(device.topic(), wire.encode(first))  # redelivered: a duplicate
    replay = device.craft(seq=1, prev_hash=wire.GENESIS_HASH)  # seq 1 again, other content
    mqttc.publish(device.topic(), wire.encode(replay))
    forged = device.craft(seq=99, prev_hash=wire.GENESIS_HASH)
    forged["body"]["text"] = "TAMPERED"
    mqttc.publish(device.topic(), wire.encode(forged))
    stranger = SimDevice(Ed25519PrivateKey.generate(), wire.Address("cp1", "lane1", "ghost"))
    mqttc.publish(stranger.topic(), wire.encode(stranger.next()))
    mqttc.publish(device.topic(), b"{not json")


def test_a_live_hub_counts_what_it_ingests_and_rejects(
    hub: TestClient, mqttc: TestClientMQTT, device: SimDevice
) -> None:
    store: Store = hub.app.state.hub.store  # type: ignore[attr-defined]
    _publish_good_and_bad(mqttc, device)
    wait_until(lambda: store.count_events() == 4 and store.count_dead_letters() == 4,
               what="4 events stored and 4 dead letters")  # fmt: skip
    wait_until(lambda: hub.app.state.hub.ingestor.counters.duplicates == 1,  # type: ignore[attr-defined]
               what="the duplicate counted")  # fmt: skip
    m = scrape(hub)

    assert value(m, "shekara_hub_events_ingested_total", type="barcode.read") == 3
    assert value(m, "shekara_hub_events_ingested_total", type="device.status") == 1
    for reason in ("replay", "bad_signature", "unknown_device", "malformed_json"):
        assert value(m, "shekara_hub_dead_letters_total", reason=reason) == 1, reason
        assert value(m, "shekara_hub_dead_letters_stored", reason=reason) == 1, reason
    assert value(m, "shekara_hub_dead_letters_stored", reason="chain_break") == 0
    # Authentication and chain failures, not a malformed message:
    assert value(m, "shekara_hub_verify_failures_total", reason="bad_signature") == 1
    assert value(m, "shekara_hub_verify_failures_total", reason="unknown_device") == 1
    assert value(m, "shekara_hub_verify_failures_total", reason="replay") == 1
    assert value(m, "shekara_hub_verify_failures_total", reason="chain_break") == 0
    assert value(m, "shekara_hub_verify_failures_total", reason="malformed_json") is None
    assert value(m, "shekara_hub_messages_total", outcome="stored") == 4
    assert value(m, "shekara_hub_messages_total", outcome="duplicate") == 1
    assert value(m, "shekara_hub_messages_total", outcome="dead_letter") == 4
    assert value(m, "shekara_hub_messages_total", outcome="presence") == 1
    # Every stored event has its latencies; each is short and never negative here.
    assert value(m, "shekara_hub_ingest_latency_seconds_count") == 4
    assert value(m, "shekara_hub_commit_latency_seconds_count") == 4
    assert value(m, "shekara_hub_commit_latency_seconds_bucket", le="+Inf") == 4
    assert (value(m, "shekara_hub_ingest_latency_seconds_sum") or 0) >= 0
    place = {"device": "cam1", "checkpoint": "cp1", "lane": "lane1"}
    assert value(m, "shekara_hub_device_online", **place) == 1
    assert value(m, "shekara_hub_device_outbox_depth", **place) == 4
    assert value(m, "shekara_hub_device_events_stored", **place) == 4
    seen = value(m, "shekara_hub_device_last_seen_timestamp_seconds", **place)
    assert seen is not None and abs(seen - datetime.now(UTC).timestamp()) < 60
    assert value(m, "shekara_hub_mqtt_connected") == 1
    assert value(m, "shekara_hub_mqtt_backlog") == 0
    assert value(m, "shekara_hub_info", version="0.1.0", checkpoint="") == 1
    assert value(m, "shekara_hub_metrics_errors_total", part="devices") == 0
    assert value(m, "process_resident_memory_bytes") is not None
    assert value(m, "shekara_hub_queue_waiting", direction="kz-tm", category="general") == 0


def _next_hour() -> datetime:
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def test_queue_depth_is_read_from_the_queue_at_scrape_time(hub: TestClient) -> None:
    queue: QueueService = hub.app.state.hub.queue  # type: ignore[attr-defined]
    slot = _next_hour()
    for plate, category in (
        ("101ABC02", Category.GENERAL),
        ("202ABC02", Category.GENERAL),
        ("303ABC02", Category.PERISHABLE),
        ("404ABC02", Category.GENERAL),
    ):
        book(queue, plate, slot, category)  # fmt: skip
    assert value(scrape(hub), "shekara_hub_queue_waiting", direction="kz-tm",
                 category="general") == 0  # booked is not waiting yet  # fmt: skip
    now = datetime.now(UTC)
    for plate in ("101ABC02", "202ABC02", "303ABC02"):  # the fourth has not come
        assert queue.on_passage(f"ev-{plate}", "wait-out", [plate], "KZ", now) == "arrived"
    m = scrape(hub)
    assert value(m, "shekara_hub_queue_waiting", direction="kz-tm", category="general") == 2
    assert value(m, "shekara_hub_queue_waiting", direction="kz-tm", category="perishable") == 1
    assert value(m, "shekara_hub_queue_waiting", direction="tm-kz", category="general") == 0


def test_stored_dead_letters_survive_a_restart_the_counters_start_again(
    hub_settings: HubSettings, device: SimDevice, mqttc: TestClientMQTT
) -> None:
    with TestClient(create_app(hub_settings)) as client:
        assert client.app.state.hub.worker.wait_connected(10)  # type: ignore[attr-defined]
        forged = device.craft(seq=1, prev_hash=wire.GENESIS_HASH)
        forged["body"]["text"] = "TAMPERED"
        mqttc.publish(device.topic(), wire.encode(forged))
        mqttc.publish(device.topic(), wire.encode(device.next()))
        store: Store = client.app.state.hub.store  # type: ignore[attr-defined]
        wait_until(lambda: store.count_events() == 1 and store.count_dead_letters() == 1,
                   what="one stored, one dead letter")  # fmt: skip
        before = scrape(client)
    with TestClient(create_app(hub_settings, start_worker=False)) as client:
        after = scrape(client)
    assert value(before, "shekara_hub_dead_letters_total", reason="bad_signature") == 1
    assert value(after, "shekara_hub_dead_letters_total", reason="bad_signature") is None
    for samples in (before, after):
        assert value(samples, "shekara_hub_dead_letters_stored", reason="bad_signature") == 1
    assert value(after, "shekara_hub_device_events_stored", device="cam1", checkpoint="cp1",
                 lane="lane1") == 1  # fmt: skip
    assert value(after, "shekara_hub_mqtt_connected") is None  # no worker, no broker figures


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[TestClient]:
    """A hub whose /metrics wants a bearer token."""
    settings = HubSettings(db_path=tmp_path / "hub.db", metrics_token=TOKEN)
    with TestClient(create_app(settings, start_worker=False)) as client:
        yield client


def test_the_token_guards_metrics(guarded: TestClient) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789"},
                    {"Authorization": TOKEN}, {"Authorization": f"Basic {TOKEN}"}):  # fmt: skip
        refused = guarded.get("/metrics", headers=headers)
        assert refused.status_code == 401, headers
        assert refused.headers["www-authenticate"] == "Bearer"
        assert "shekara_hub" not in refused.text
    samples = scrape(guarded, Authorization=f"Bearer {TOKEN}")
    assert value(samples, "shekara_hub_messages_total", outcome="stored") == 0
    assert "/metrics" not in json.dumps(guarded.get("/openapi.json").json()["paths"])


def test_production_serves_no_metrics_without_a_token(tmp_path: Path) -> None:
    write_keypair(tmp_path / "log.key")
    write_keypair(tmp_path / "witness.key")
    fit = {"env": "production", "db_path": tmp_path / "hub.db", "journal_key": "j" * 32,
           "form_secret": "f" * 32, "log_key_file": tmp_path / "log.key",
           "witness_key_file": tmp_path / "witness.key",
           "mqtt_tls_ca_file": tmp_path / "ca.crt", "mqtt_tls_cert_file": tmp_path / "hub.crt",
           "mqtt_tls_key_file": tmp_path / "hub.key"}  # fmt: skip
    with TestClient(create_app(HubSettings(**fit), start_worker=False)) as client:  # type: ignore[arg-type]
        assert client.get("/metrics").status_code == 404
    settings = HubSettings(**fit, metrics_token=TOKEN)  # type: ignore[arg-type]
    with TestClient(create_app(settings, start_worker=False)) as client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).is_success


def test_a_short_token_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="16 characters or more"):
        HubSettings(metrics_token="short")


def test_a_broken_database_leaves_its_parts_out_and_the_rest_is_served(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = HubSettings(db_path=tmp_path / "hub.db")
    with TestClient(create_app(settings, start_worker=False)) as client:
        # Another process breaks the database under the running hub.
        with sqlite3.connect(settings.db_path) as vandal:
            vandal.execute("ALTER TABLE dead_letters RENAME TO dead_letters_gone")
        with caplog.at_level(logging.WARNING, logger="hub.metrics.collectors"):
            m = scrape(client)
            m = scrape(client)
    assert value(m, "shekara_hub_dead_letters_stored", reason="replay") is None
    assert value(m, "shekara_hub_metrics_errors_total", part="dead_letters") == 2
    assert value(m, "shekara_hub_metrics_errors_total", part="queue") == 0
    assert value(m, "shekara_hub_queue_waiting", direction="kz-tm", category="general") == 0
    assert value(m, "shekara_hub_messages_total", outcome="stored") == 0
    assert "metrics: dead_letters left out of this scrape: no such table" in caplog.text
