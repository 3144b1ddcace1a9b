"""deploy/hub/install.sh, run for real into a container-like folder (``--root``): what it
writes is a production hub that starts, and a Mosquitto on the config it placed that
lets an enrolled device in with the PKI it made.  A second run changes nothing.

``--python`` points the script at this test environment and ``--no-apt`` leaves the
packages alone.  No systemd runs here, so the test does what the units would: it starts
Mosquitto on the installed config (paths moved into the folder, as
``shekara.localbroker`` does for the repository's copy) and ``shekara-hub serve`` on the
installed hub.toml, and sends the broker the SIGHUP ``shekara-broker-reload.path`` would.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hub_support import SimDevice
from install_helpers import make_root, snapshot, user_ids
from mqtt_helpers import wait_until
from tls_helpers import Attacker

from hub.config import load_settings
from shekara import pki, wire
from shekara.keys import public_key_b64
from shekara.localbroker import ClientTLS, free_port, localise, mosquitto_binary
from shekara.localstack import _script

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "deploy" / "hub" / "install.sh"

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="the installer needs root (useradd)")


@dataclass
class Installed:
    """Where a hub was installed, and how to run its commands from here."""

    root: Path
    http_port: int

    @property
    def etc(self) -> Path:
        return self.root / "etc/shekara"

    def runtime_config(self) -> Path:
        """hub.toml with its paths moved under the root (as the installer runs it)."""
        text = (self.etc / "hub.toml").read_text()
        text = text.replace('"/etc/shekara/', f'"{self.root}/etc/shekara/')
        text = text.replace('"/var/lib/shekara/', f'"{self.root}/var/lib/shekara/')
        out = self.root / "runtime-hub.toml"
        out.write_text(text)
        return out

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [_script("shekara-hub"), *args, "--config", str(self.runtime_config())],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        return done.stdout


def install(root: Path, http_port: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT), "--checkpoint", "temirbaba", "--broker-host", "hub.temirbaba.test",
         "--broker-host", "10.20.0.2", "--listen", f"127.0.0.1:{http_port}", "--root", str(root),
         "--no-apt", "--python", sys.executable],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    if os.geteuid() != 0:
        pytest.skip("the installer needs root (useradd)")
    root = make_root(tmp_path_factory.mktemp("hub") / "root")
    # As if apt had installed mosquitto: its user and group exist.
    with (root / "etc/passwd").open("a") as f:
        f.write("mosquitto:x:101:102::/var/lib/mosquitto:/usr/sbin/nologin\n")
    with (root / "etc/group").open("a") as f:
        f.write("mosquitto:x:102:\n")
    port = free_port()
    done = install(root, port)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "log      shekara.temirbaba/log+" in done.stdout  # the keys to hand out
    return Installed(root, port)


@needs_root
def test_the_config_is_production_ready_and_private(installed: Installed) -> None:
    conf = installed.etc / "hub.toml"
    values = tomllib.loads(conf.read_text())
    assert values["env"] == "production" and values["checkpoint"] == "temirbaba"
    assert values["broker_reload_command"] == []  # shekara-broker-reload.path does it
    settings = load_settings(installed.runtime_config())  # production refuses a weak one
    assert settings.production_problems() == [] and settings.web_problems() == []
    for path in (settings.mqtt_tls_ca_file, settings.mqtt_tls_cert_file,
                 settings.mqtt_tls_key_file, settings.log_key_file, settings.witness_key_file,
                 settings.db_path, settings.broker_acl_file):  # fmt: skip
        assert path is not None and path.is_file(), path
    uid, gid = user_ids(installed.root, "shekara")
    st = conf.stat()
    assert (st.st_mode & 0o777, st.st_uid, st.st_gid) == (0o640, 0, gid)
    for secret in ("keys/log.key", "keys/witness.key", "pki/ca.key",
                   "pki/clients/shekara-hub-temirbaba.key"):  # fmt: skip
        st = (installed.etc / secret).stat()
        assert (st.st_mode & 0o777, st.st_uid) == (0o600, uid), secret
    # Mosquitto reads its key through its own group, and the hub's folders through shekara.
    mosquitto_uid, mosquitto_gid = user_ids(installed.root, "mosquitto")
    st = (installed.etc / "pki/server.key").stat()
    assert (st.st_mode & 0o777, st.st_gid) == (0o640, mosquitto_gid)
    group = next(g for g in (installed.root / "etc/group").read_text().splitlines()
                 if g.startswith("shekara:"))  # fmt: skip
    assert group.endswith(":mosquitto")
    assert (installed.root / "var/lib/shekara/mosquitto").stat().st_uid == mosquitto_uid
    server = pki.load_cert(installed.etc / "pki/server.crt")
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {"hub.temirbaba.test", "localhost"} <= set(names.get_values_for_type(x509.DNSName))
    assert {"10.20.0.2", "127.0.0.1"} <= {str(a) for a in names.get_values_for_type(x509.IPAddress)}


@needs_root
def test_the_units_are_placed_and_enabled(installed: Installed) -> None:
    system = installed.root / "etc/systemd/system"
    units = ("shekara-hub.service", "shekara-broker-reload.path", "shekara-broker-reload.service",
             "shekara-crl.service", "shekara-crl.timer")  # fmt: skip
    for unit in units:
        assert (system / unit).read_text().strip() == (
            (REPO / "deploy/systemd" / unit)
            .read_text()
            .replace("/opt/shekara/bin/", f"{Path(sys.executable).parent}/")
            .strip()
        ), unit
    for wants, unit in (("multi-user.target.wants", "shekara-hub.service"),
                        ("paths.target.wants", "shekara-broker-reload.path"),
                        ("timers.target.wants", "shekara-crl.timer")):  # fmt: skip
        assert os.readlink(system / wants / unit) == f"/etc/systemd/system/{unit}"
    conf = (installed.root / "etc/mosquitto/conf.d/shekara.conf").read_text()
    assert "acl_file /etc/shekara/broker/broker.acl\n" in conf


@needs_root
def test_the_https_proxy_site_is_enabled_and_nginx_accepts_it(
    installed: Installed, tmp_path: Path
) -> None:
    site = installed.root / "etc/nginx/sites-available/shekara"
    text = site.read_text()
    assert f"proxy_pass http://127.0.0.1:{installed.http_port};" in text
    assert "proxy_set_header X-Forwarded-Proto https;" in text
    link = installed.root / "etc/nginx/sites-enabled/shekara"
    assert os.readlink(link) == "/etc/nginx/sites-available/shekara"
    nginx = shutil.which("nginx", path="/usr/sbin:/usr/bin:/sbin:/bin")
    if nginx is None:
        pytest.skip("nginx is not installed here (apt-get install nginx-light): syntax not checked")
    local = tmp_path / "site.conf"
    local.write_text(text.replace("/etc/shekara/", f"{installed.root}/etc/shekara/"))
    main = tmp_path / "nginx.conf"
    main.write_text(f"error_log stderr;\npid {tmp_path}/nginx.pid;\nevents {{}}\n"
                    f"http {{ access_log off; include {local}; }}\n")  # fmt: skip
    done = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(main)],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr


@needs_root
def test_a_second_run_changes_nothing(installed: Installed) -> None:
    before = snapshot(installed.root)
    again = install(installed.root, installed.http_port)
    assert again.returncode == 0, again.stdout + again.stderr
    assert snapshot(installed.root) == before
    assert "exists and is yours: left as it is" in again.stdout
    assert "wrote" not in again.stdout


@dataclass
class _BrokerAt:
    """The installed broker, running (what tls_helpers.Attacker needs of a broker)."""

    host: str
    port: int
    pki_dir: Path
    proc: subprocess.Popen[bytes]

    def reload(self) -> None:
        """What shekara-broker-reload.path does when the ACL changes."""
        self.proc.send_signal(signal.SIGHUP)


@pytest.fixture
def running(installed: Installed, tmp_path: Path) -> Iterator[_BrokerAt]:
    """Mosquitto on the installed config and the hub on the installed hub.toml."""
    root, port = installed.root, free_port()
    while port == installed.http_port:  # chosen earlier but not bound yet: free_port may repeat it
        port = free_port()
    text = (root / "etc/mosquitto/conf.d/shekara.conf").read_text()
    for folder in ("/etc/shekara/", "/var/lib/shekara/", "/var/log/shekara/"):
        text = text.replace(f" {folder}", f" {root}{folder}")
    text = localise(text, {"listener": f"{port} 127.0.0.1"}) + "user root\n"
    (root / "var/log/shekara").mkdir(parents=True, exist_ok=True)
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(text)
    broker = subprocess.Popen([mosquitto_binary(), "-c", str(conf)])
    config = installed.runtime_config()
    env = {**os.environ, "SHEKARA_HUB_MQTT_PORT": str(port)}
    log = (tmp_path / "hub.log").open("w")
    hub = subprocess.Popen([_script("shekara-hub"), "serve", "--config", str(config)], env=env,
                           stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    health = f"http://127.0.0.1:{installed.http_port}/healthz"
    try:
        wait_until(lambda: _health(health).get("mqtt", {}).get("connected"), timeout=30,
                   what="the installed hub connected to the installed broker over TLS")  # fmt: skip
        yield _BrokerAt("127.0.0.1", port, root / "etc/shekara/pki", broker)
    finally:
        hub.send_signal(signal.SIGTERM)
        hub.wait(15)
        log.close()
        broker.terminate()
        broker.wait(10)


def _health(url: str) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            found: dict[str, Any] = json.loads(answer.read())
            return found
    except urllib.error.HTTPError as exc:  # 503 while the broker is not connected yet
        found = json.loads(exc.read())
        return found
    except OSError:
        return {}


@needs_root
def test_installed_hub_and_broker_take_an_enrolled_devices_events(
    installed: Installed, running: _BrokerAt, tmp_path: Path
) -> None:
    broker = running
    pki_dir = installed.etc / "pki"
    subprocess.run([_script("shekara-pki"), "device", "tmb-entry-1", "--dir", str(pki_dir)],
                   check=True, capture_output=True)  # fmt: skip
    key = Ed25519PrivateKey.generate()
    pub = tmp_path / "device.pub"
    pub.write_text(public_key_b64(key.public_key()))
    installed.cli("device", "add", "--id", "tmb-entry-1", "--public-key", str(pub),
                  "--checkpoint", "temirbaba", "--lane", "entry-1")  # fmt: skip
    acl = (installed.etc / "broker/broker.acl").read_text()
    assert "user tmb-entry-1" in acl  # the hub rewrote the ACL the installed broker reads
    broker.reload()
    tls = ClientTLS(pki_dir / "ca.crt", pki_dir / "clients/tmb-entry-1.crt",
                    pki_dir / "clients/tmb-entry-1.key")  # fmt: skip
    device = SimDevice(key, wire.Address("temirbaba", "entry-1", "tmb-entry-1"))
    lane = Attacker(broker, tls)  # type: ignore[arg-type]
    assert lane.accepted()
    wait_until(lambda: lane.may_publish(device.topic(), wire.encode(device.craft(
        seq=1, prev_hash=wire.GENESIS_HASH))), what="the ACL reloaded")  # fmt: skip
    # The API's logins need HTTPS in production (Secure cookies): ask the database instead.
    wait_until(lambda: json.loads(installed.cli("device", "list", "--json"))[0]["stored"] == 1,
               timeout=20, what="the event stored by the installed hub")  # fmt: skip
    lane.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--broker-host", "h"], "--checkpoint is required"),
        (["--checkpoint", "tmb/1", "--broker-host", "h"], "checkpoint 'tmb/1' may hold only"),
        (["--checkpoint", "temirbaba"], "give at least one --broker-host"),
        (["--checkpoint", "temirbaba", "--broker-host", "h", "--listen", "8080"],
         "--listen must be HOST:PORT"),
        (["--checkpoint", "temirbaba", "--broker-host", "h", "--root", "/tmp", "--no-apt"],
         "--root needs --no-apt and --python"),
        (["--checkpoint", "temirbaba", "--broker-host", "h", "--tls"], "unknown argument '--tls'"),
    ],
)  # fmt: skip
def test_bad_arguments_are_one_clear_line(args: list[str], message: str) -> None:
    done = subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith("install.sh: error: ") and message in done.stderr, done.stderr
    assert done.stdout == ""
