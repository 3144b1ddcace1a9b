"""The shekara-hub command: device add/list, help of every command, clear errors, and
`serve` as a real subprocess (logs where it listens, SIGTERM, restart on the same DB)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hub_support import SimDevice
from mqtt_helpers import TestClientMQTT, wait_until

from hub.cli import main
from hub.store import EventFilter, Store
from shekara.keys import key_id, public_key_b64
from shekara.localbroker import LocalBroker, free_port
from shekara.wire import encode

REPO = Path(__file__).resolve().parents[2]


def write_pub(path: Path, key: Ed25519PrivateKey) -> Path:
    path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return path


@pytest.mark.parametrize(
    "argv",
    [[], ["serve"], ["init-config"], ["device"], ["device", "add"], ["device", "list"]],
)
def test_every_command_has_help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--help"])
    assert exc.value.code == 0
    assert "usage: shekara-hub" in capsys.readouterr().out


def test_device_add_and_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "hub.db"
    key = Ed25519PrivateKey.generate()
    pem = write_pub(tmp_path / "cam1.pub", key)
    raw = tmp_path / "cam2.pub"
    raw.write_text(public_key_b64(key.public_key()) + "\n")  # pasted base64 works too
    args = ["--checkpoint", "cp1", "--lane", "lane1", "--db", str(db)]
    assert main(["device", "add", "--id", "cam1", "--public-key", str(pem), *args]) == 0
    assert main(["device", "add", "--id", "cam2", "--public-key", str(raw), *args]) == 0
    assert "added cam1 at cp1/lane1" in capsys.readouterr().out

    assert main(["device", "list", "--db", str(db)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == [
        "device_id", "checkpoint", "lane", "key_id", "state", "last_seq", "stored", "missing"
    ]  # fmt: skip
    assert table[1].split()[:4] == ["cam1", "cp1", "lane1", key_id(key.public_key())]

    assert main(["device", "list", "--json", "--db", str(db)]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [d["device_id"] for d in listed] == ["cam1", "cam2"]
    assert listed[0]["state"] == "unknown" and listed[0]["gaps"] == []


def test_device_add_via_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "hub.toml"
    assert main(["init-config", str(config)]) == 0
    db = tmp_path / "from-config.db"
    config.write_text(config.read_text().replace('db_path = "hub.db"', f'db_path = "{db}"'))
    pub = write_pub(tmp_path / "k.pub", Ed25519PrivateKey.generate())
    argv = ["device", "add", "--id", "c", "--public-key", str(pub), "--checkpoint", "cp",
            "--lane", "l", "--config", str(config)]  # fmt: skip
    assert main(argv) == 0
    with Store(db) as store:
        assert store.get_device("c") is not None


def test_errors_are_one_line_and_non_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "hub.db"
    bad = tmp_path / "bad.pub"
    bad.write_text("this is not a key")
    base = ["device", "add", "--id", "cam1", "--checkpoint", "cp1", "--lane", "lane1"]

    def error(argv: list[str]) -> str:
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("shekara-hub: error: ")
        assert "Traceback" not in err
        return err

    assert "public key is not valid base64" in error(
        [*base, "--public-key", str(bad), "--db", str(db)]
    )
    assert "cannot read public key" in error(
        [*base, "--public-key", str(tmp_path / "missing.pub"), "--db", str(db)]
    )
    good = write_pub(tmp_path / "good.pub", Ed25519PrivateKey.generate())
    assert main([*base, "--public-key", str(good), "--db", str(db)]) == 0
    capsys.readouterr()
    assert "already registered" in error([*base, "--public-key", str(good), "--db", str(db)])
    bad_lane = ["device", "add", "--id", "c", "--checkpoint", "cp", "--lane", "lane 1"]
    assert "lane 'lane 1' must match" in error(
        [*bad_lane, "--public-key", str(good), "--db", str(db)]
    )
    config = tmp_path / "hub.toml"
    config.write_text("colour = 'blue'\n")
    assert "unknown key 'colour'" in error(["serve", "--config", str(config)])
    assert "exists; pass --force" in error(["init-config", str(config)])
    config.write_text(f'db_path = "{tmp_path / "no" / "such" / "dir.db"}"\n')
    assert "cannot open database" in error(["serve", "--config", str(config)])


def _serve(config: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "hub", "serve", "--config", str(config)],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _stop(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=15)


def test_serve_subprocess_sigterm_and_restart(
    tmp_path: Path, broker: LocalBroker, store: Store, device: SimDevice
) -> None:
    port = free_port()
    config = tmp_path / "hub.toml"
    config.write_text(
        f'db_path = "{store.path}"\nmqtt_host = "{broker.host}"\nmqtt_port = {broker.port}\n'
        f"http_port = {port}\n"
    )
    log = tmp_path / "hub.log"
    url = f"http://127.0.0.1:{port}"
    publisher = TestClientMQTT(broker.host, broker.port)

    def mqtt_up() -> bool:
        try:
            return bool(httpx2.get(f"{url}/healthz", timeout=1).json()["mqtt"]["connected"])
        except httpx2.HTTPError:
            return False

    try:
        for round_ in (1, 2):  # the second run restarts on the same database
            proc = _serve(config, log)
            try:
                wait_until(mqtt_up, timeout=20, what="hub serving and subscribed")
                publisher.publish(device.topic(), encode(device.next()))
                wait_until(lambda r=round_: store.count_events() == r, what="event stored")
            finally:
                started = time.monotonic()
                assert _stop(proc) == 0
                assert time.monotonic() - started < 10
    finally:
        publisher.close()
    text = log.read_text()
    assert f"hub listening on http://127.0.0.1:{port}" in text
    assert "MQTT ingest stopped" in text and "Traceback" not in text
    assert [e.seq for e in store.query_events(EventFilter())] == [1, 2]
