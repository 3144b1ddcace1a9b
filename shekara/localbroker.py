"""Run a throwaway Mosquitto on a free loopback port (tests, demo, benchmarks).

Two kinds.  ``secure=True`` runs the production configuration,
``deploy/mosquitto/shekara.conf``, with only its paths and port rewritten: mutual TLS
from a PKI made on the spot (:mod:`shekara.pki`), identity from the certificate, the
ACL file, the CRL.  The plain kind, for tests about something else, keeps what no
loss needs: persistence on, a short autosave so a crash loses little, and queues
large enough for a long hub outage (Mosquitto's default of 1000 queued messages drops
the rest silently).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from shekara import pki

log = logging.getLogger(__name__)

CONFIG_TEMPLATE = """\
listener {port} 127.0.0.1
allow_anonymous true
persistence true
persistence_location {data_dir}/
autosave_interval 1
max_queued_messages 1000000
max_inflight_messages 0
max_packet_size 16777216
log_dest file {data_dir}/mosquitto.log
log_type error
log_type warning
log_type notice
"""


PRODUCTION_CONF = Path(__file__).resolve().parents[1] / "deploy" / "mosquitto" / "shekara.conf"


def localise(conf: str, values: dict[str, str]) -> str:
    """``conf`` with the value of each directive in ``values`` replaced; every one of
    them must be there exactly once, so the production file cannot drift from this."""
    for directive, value in values.items():
        conf, n = re.subn(rf"^{directive} .*$", f"{directive} {value}", conf, flags=re.M)
        if n != 1:
            raise ValueError(f"{PRODUCTION_CONF.name} has {n} {directive!r} lines, expected 1")
    return conf


@dataclass(frozen=True)
class ClientTLS:
    """What a client needs for mutual TLS: the CA, its certificate and key files."""

    ca_file: Path
    cert_file: Path
    key_file: Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    """Whether nothing listens on ``port`` of 127.0.0.1 right now."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def mosquitto_binary() -> str:
    """Path of the mosquitto executable, or a clear error naming the package."""
    found = shutil.which("mosquitto") or (
        "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
    )
    if not found:
        raise FileNotFoundError("mosquitto is not installed (apt-get install mosquitto)")
    return found


class LocalBroker:
    """A Mosquitto process bound to 127.0.0.1 with its own data directory."""

    def __init__(self, data_dir: Path, port: int | None = None, *, secure: bool = False) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self.secure = secure
        self.pki_dir = data_dir / "pki"
        self.acl_file = data_dir / "broker.acl"
        self.proc: subprocess.Popen[bytes] | None = None
        if secure:
            self._make_pki()

    def _make_pki(self) -> None:
        if (self.pki_dir / "ca.key").exists():
            return  # a restart keeps its CA: the clients' certificates stay valid
        pki.create_authority(self.pki_dir, "Shekara test CA")
        pki.issue_files(self.pki_dir, "localhost", server_hosts=["127.0.0.1", "localhost"])
        self.acl_file.write_text("# nobody may do anything until the hub writes this file\n")

    def client(
        self, name: str, *, days: int | None = None, not_before: datetime | None = None
    ) -> ClientTLS:
        """Issue (once) a client certificate for ``name`` from this broker's CA."""
        cert_file = self.pki_dir / "clients" / f"{name}.crt"
        if not cert_file.exists():
            pki.issue_files(self.pki_dir, name, days=days, not_before=not_before)
        return ClientTLS(self.pki_dir / "ca.crt", cert_file, cert_file.with_suffix(".key"))

    def write_acl(self, text: str) -> None:
        """Replace the ACL file and have the broker reload it."""
        self.acl_file.write_text(text)
        self.reload()

    def reload(self) -> None:
        """SIGHUP: Mosquitto rereads the ACL file and the CRL."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGHUP)

    def _config(self) -> str:
        if not self.secure:
            return CONFIG_TEMPLATE.format(port=self.port, data_dir=self.data_dir)
        conf = localise(PRODUCTION_CONF.read_text(), {
            "listener": f"{self.port} 127.0.0.1",
            "cafile": str(self.pki_dir / "ca.crt"),
            "certfile": str(self.pki_dir / "server.crt"),
            "keyfile": str(self.pki_dir / "server.key"),
            "crlfile": str(self.pki_dir / "crl.pem"),
            "acl_file": str(self.acl_file),
            "persistence_location": f"{self.data_dir}/",
            "autosave_interval": "1",
            "log_dest": f"file {self.data_dir}/mosquitto.log",
        })  # fmt: skip
        # Run as root, Mosquitto would drop to its own user and could not read the 0600
        # keys this process wrote; a throwaway broker keeps the caller's user instead.
        return conf + ("user root\n" if os.geteuid() == 0 else "")

    def start(self, timeout: float = 10.0) -> None:
        """Start (or restart) the broker and wait until it accepts connections."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        conf = self.data_dir / "mosquitto.conf"
        conf.write_text(self._config())
        self.proc = subprocess.Popen(
            [mosquitto_binary(), "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mosquitto exited with {self.proc.returncode}; see {conf}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(f"mosquitto did not listen on {self.port} within {timeout}s")

    def stop(self) -> None:
        """Stop gracefully (Mosquitto saves its persistence file on SIGTERM)."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None

    def kill(self) -> None:
        """Stop abruptly, as a power cut would."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None

    def __enter__(self) -> LocalBroker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
