"""Run a hub and edge agents as real processes on this machine (demo, fault drills, benchmarks).

Everything goes through the same console scripts an operator uses (``shekara-hub``,
``shekara-edge``), so the demo and the drills exercise the shipped code paths, signal
handling included.
"""

from __future__ import annotations

import http.cookiejar
import json
import logging
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from shekara.keys import public_path, write_keypair
from shekara.localbroker import ClientTLS, free_port

log = logging.getLogger(__name__)
BIN = Path(sys.executable).parent


def _script(name: str) -> str:
    found = BIN / name
    return str(found) if found.exists() else name


class _Process:
    """A child process with its log file; killable and restartable."""

    def __init__(self, args: list[str], log_path: Path) -> None:
        self.args, self.log_path = args, log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as out:
            self.proc = subprocess.Popen(self.args, stdout=out, stderr=subprocess.STDOUT)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: no chance to flush or say goodbye."""
        if self.alive():
            assert self.proc is not None
            self.proc.kill()
            self.proc.wait(10)

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM and wait; SIGKILL if it does not stop in time."""
        if not self.alive():
            return self.proc.returncode if self.proc else None
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None


class HubProcess(_Process):
    """``shekara-hub serve`` with its own config, database and HTTP port."""

    def __init__(self, workdir: Path, mqtt_port: int, **settings: Any) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.http_port = int(settings.pop("http_port", 0)) or free_port()
        self.config = workdir / "hub.toml"
        self._values: dict[str, Any] = {}
        self.configure(db_path=str(workdir / "hub.db"), mqtt_port=mqtt_port,
                       http_port=self.http_port, **settings)  # fmt: skip
        super().__init__(
            [_script("shekara-hub"), "serve", "--config", str(self.config)], workdir / "hub.log"
        )
        # An operator login of its own: events, devices and dead letters are operators' data.
        self.operator = ("ops", secrets.token_urlsafe(12))
        self._session = HubSession(self.url, login=self.operator)

    def configure(self, **settings: Any) -> None:
        """Add ``settings`` to the hub's TOML file (before :meth:`start`)."""
        self._values.update(settings)
        self.config.write_text("".join(f"{k} = {json.dumps(v)}\n" for k, v in self._values.items()))

    def verifier_keys(self) -> tuple[str, str]:
        """(log, witness) verifier keys, from ``shekara-hub cert keys`` (which makes
        development key files when missing)."""
        out = self.cli("cert", "keys")
        lines = dict(line.split(None, 1) for line in out.splitlines())
        return lines["log"].strip(), lines["witness"].strip()

    @property
    def url(self) -> str:
        """Base URL of the HTTP API."""
        return f"http://127.0.0.1:{self.http_port}"

    def add_device(self, device_id: str, public_key: Path, checkpoint: str, lane: str) -> None:
        """Register a device through the CLI, as an operator would."""
        self.cli("device", "add", "--id", device_id, "--public-key", str(public_key),
                  "--checkpoint", checkpoint, "--lane", lane)  # fmt: skip

    def start(self, timeout: float = 30.0) -> None:
        """Create the operator login, start, and wait until /healthz answers."""
        self.add_user(self.operator[0], "operator", self.operator[1])
        super().start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"hub exited; see {self.log_path}")
            try:
                self.get("/healthz")
                return
            except (OSError, urllib.error.URLError):
                time.sleep(0.1)
        raise TimeoutError(f"hub did not answer within {timeout}s; see {self.log_path}")

    def cli(self, *args: str, stdin: str | None = None) -> str:
        """Run ``shekara-hub ARGS --config <this hub's>``; its standard output."""
        done = subprocess.run(
            [_script("shekara-hub"), *args, "--config", str(self.config)],
            input=stdin, text=True, check=True, capture_output=True,
        )  # fmt: skip
        return done.stdout

    def add_user(self, username: str, role: str, password: str | None = None) -> HubSession:
        """Create a login through the CLI, as an administrator would; its API session."""
        password = password or secrets.token_urlsafe(12)
        self.cli("user", "add", username, "--role", role, "--password-stdin", stdin=password)
        return HubSession(self.url, login=(username, password))

    def carrier(self, carrier_id: str) -> HubSession:
        """An API session with a fresh carrier token from ``shekara-hub carrier token``."""
        token = self.cli("carrier", "token", carrier_id).strip()
        return HubSession(self.url, token=token)

    def get(self, path: str) -> Any:
        """GET a JSON resource from the hub, logged in as its operator when asked to."""
        return self._session.get(path)


class HubSession:
    """JSON over HTTP with one hub: as a login (cookie and CSRF token kept) or a carrier
    token; logs in again when the session has lapsed."""

    def __init__(
        self, base_url: str, *, login: tuple[str, str] | None = None, token: str | None = None
    ) -> None:
        self.base_url, self._login, self._csrf = base_url, login, ""
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def _send(self, method: str, path: str, data: bytes | None, content_type: str) -> bytes:
        headers = {**self._headers, "X-CSRF-Token": self._csrf, "Content-Type": content_type}
        request = urllib.request.Request(  # noqa: S310  (our own hub's URL)
            self.base_url + path, data=data, method=method, headers=headers
        )
        with self._opener.open(request, timeout=10) as response:
            result: bytes = response.read()
            return result

    def request(
        self, method: str, path: str, data: bytes | None = None,
        content_type: str = "application/json",
    ) -> bytes:  # fmt: skip
        """The response body; HTTPError for any status but 2xx."""
        try:
            return self._send(method, path, data, content_type)
        except urllib.error.HTTPError as exc:
            if exc.code != 401 or self._login is None:
                raise
        username, password = self._login
        login = json.dumps({"username": username, "password": password}).encode()
        self._csrf = json.loads(self._send("POST", "/api/auth/login", login, content_type))["csrf"]
        return self._send(method, path, data, content_type)

    def get(self, path: str) -> Any:
        """GET a JSON resource."""
        return json.loads(self.request("GET", path))

    def post(self, path: str, body: Any = None) -> Any:
        """POST ``body`` as JSON; the decoded JSON answer (None when empty)."""
        answer = self.request("POST", path, None if body is None else json.dumps(body).encode())
        return json.loads(answer) if answer else None


class EdgeProcess(_Process):
    """``shekara-edge run`` for one device, with a generated key and config."""

    def __init__(
        self,
        workdir: Path,
        *,
        device_id: str,
        checkpoint: str,
        lane: str,
        source: str,
        mqtt_port: int,
        role: str = "entry_lane",
        fps: float = 10.0,
        loop: bool = False,
        heartbeat_s: float = 60.0,
        until_drained: bool = False,
        plates: bool = False,
        tls: ClientTLS | None = None,
    ) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.device_id, self.checkpoint, self.lane = device_id, checkpoint, lane
        self.key_file = workdir / f"{device_id}.key"
        if not self.key_file.exists():
            write_keypair(self.key_file)
        self.outbox_path = workdir / f"{device_id}-outbox.db"
        self.config = workdir / f"{device_id}.toml"
        files = {"ca": tls.ca_file, "cert": tls.cert_file, "key": tls.key_file} if tls else {}
        mqtt_tls = "".join(f'tls_{kind}_file = "{path}"\n' for kind, path in files.items())
        self.config.write_text(
            f'device_id = "{device_id}"\ncheckpoint = "{checkpoint}"\nlane = "{lane}"\n'
            f'role = "{role}"\nkey_file = "{self.key_file}"\n'
            f"[mqtt]\nport = {mqtt_port}\n{mqtt_tls}"
            f'[camera]\nsource = "{source}"\nfps = {fps}\nloop = {str(loop).lower()}\n'
            f"[status]\nheartbeat_s = {heartbeat_s}\n"
            f'[outbox]\npath = "{self.outbox_path}"\n'
            f"[plates]\nenabled = {str(plates).lower()}\n"
        )
        self.evidence_dir = self.outbox_path.parent / "evidence"
        args = [_script("shekara-edge"), "run", "--config", str(self.config)]
        super().__init__(
            args + (["--until-drained"] if until_drained else []), workdir / f"{device_id}.log"
        )

    @property
    def public_key(self) -> Path:
        """The device's public key file, for registration at the hub."""
        return public_path(self.key_file)
