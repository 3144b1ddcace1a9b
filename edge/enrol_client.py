"""``shekara-edge enrol``: make the device's keys, ask the hub, wait for the operator.

The device's two keys are made here when missing (the Ed25519 event key at
``key_file``, the P-256 TLS key at ``mqtt.tls_key_file``; both 0600), the request
(:mod:`shekara.enrol`) is posted to the hub, and its code is printed for the operator
to approve.  Then the hub is polled until the operator decides; on approval the
client certificate is written to ``mqtt.tls_cert_file`` and, when the device has no
CA file yet, the CA the hub sends (its fingerprint is printed, to compare with the
operator's).  A CA file already on the device is trusted over the hub's answer: the
certificate must be issued by it.  Only the standard library speaks HTTP here, since a
lane box installs no web stack.
"""

from __future__ import annotations

import json
import logging
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from edge.config import DeviceConfig
from shekara import enrol, pki
from shekara.errors import ConfigError, ShekaraError
from shekara.keys import load_private_key, write_keypair

log = logging.getLogger(__name__)

APPROVED, REJECTED, PENDING = 0, 1, 3  # exit codes of ``shekara-edge enrol``


class HubRefused(ShekaraError):
    """The hub answered the request with an error."""


@dataclass(frozen=True, slots=True)
class TLSFiles:
    """Where the device keeps its broker TLS material."""

    ca: Path
    cert: Path
    key: Path

    @classmethod
    def of(cls, config: DeviceConfig) -> TLSFiles:
        """From the config's ``[mqtt]`` table; all three must be set."""
        m = config.mqtt
        if m.tls_ca_file is None or m.tls_cert_file is None or m.tls_key_file is None:
            raise ConfigError(
                "enrolment needs mqtt.tls_ca_file, mqtt.tls_cert_file and mqtt.tls_key_file "
                "in the device config (where to keep the broker's CA, the certificate and its key)"
            )
        return cls(m.tls_ca_file, m.tls_cert_file, m.tls_key_file)


def _tls_key(path: Path) -> ec.EllipticCurvePrivateKey:
    if not path.exists():
        key = pki.new_key()
        pki.write_private(path, pki.key_pem(key))
        return key
    loaded = serialization.load_pem_private_key(path.read_bytes(), None)
    if not isinstance(loaded, ec.EllipticCurvePrivateKey):
        raise ConfigError(f"{path}: the TLS key must be an EC (P-256) key")
    return loaded


def build_request(config: DeviceConfig) -> dict[str, Any]:
    """The device's signed request, making either key first if it is missing."""
    files = TLSFiles.of(config)
    if not config.key_file.exists():
        write_keypair(config.key_file)
    return enrol.make_request(
        load_private_key(config.key_file), _tls_key(files.key), config.address
    )


class HubClient:
    """The two enrolment calls, over HTTP(S)."""

    def __init__(self, base_url: str, ca_file: Path | None = None, timeout: float = 10) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError(f"the hub URL must start with http:// or https://, not {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.context = ssl.create_default_context(cafile=ca_file) if ca_file else None

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        data = json.dumps(body).encode() if body is not None else None
        # The scheme is checked in __init__: only http(s) reaches here.
        request = urllib.request.Request(  # noqa: S310
            self.base_url + path, data=data, method=method,
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )  # fmt: skip
        try:
            with urllib.request.urlopen(  # noqa: S310
                request, timeout=self.timeout, context=self.context
            ) as r:
                answer: dict[str, Any] = json.loads(r.read())
                return answer
        except urllib.error.HTTPError as exc:
            raise HubRefused(f"the hub refused ({exc.code}): {_detail(exc)}") from None

    def submit(self, request: dict[str, Any]) -> dict[str, Any]:
        """Post the request; the hub's view of it."""
        return self._call("POST", "/api/enrolments", request)

    def state(self, code: str) -> dict[str, Any]:
        """The request's state now."""
        return self._call("GET", f"/api/enrolments/{code}")


def _detail(exc: urllib.error.HTTPError) -> str:
    try:
        detail = json.loads(exc.read()).get("detail", "")
    except (ValueError, AttributeError, OSError):
        return exc.reason
    return detail if isinstance(detail, str) else json.dumps(detail)[:300]


def install(config: DeviceConfig, answer: dict[str, Any], say: Callable[[str], None]) -> None:
    """Write an approved request's certificate (and CA, if the device has none)."""
    files = TLSFiles.of(config)
    cert = x509.load_pem_x509_certificate(str(answer["certificate"]).encode("ascii"))
    if cert.public_key() != _tls_key(files.key).public_key():
        raise ConfigError("the hub's certificate is not for this device's TLS key")
    if files.ca.exists():
        ca = pki.load_cert(files.ca)
    elif answer.get("ca_certificate"):
        ca = x509.load_pem_x509_certificate(str(answer["ca_certificate"]).encode("ascii"))
        files.ca.parent.mkdir(parents=True, exist_ok=True)
        files.ca.write_bytes(pki.pem(ca))
        say(f"CA certificate written to {files.ca}; its fingerprint: {pki.fingerprint(ca)}")
    else:
        raise ConfigError(f"the hub sent no CA certificate and {files.ca} does not exist")
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature) as exc:
        raise ConfigError(f"the certificate is not issued by the CA in {files.ca}: {exc}") from None
    files.cert.parent.mkdir(parents=True, exist_ok=True)
    files.cert.write_bytes(pki.pem(cert))
    say(f"certificate written to {files.cert}; its fingerprint: {pki.fingerprint(cert)}")


def _say(line: str) -> None:
    print(line, flush=True)  # the operator (or a supervising script) reads the code at once


def run(
    config: DeviceConfig,
    client: HubClient,
    *,
    wait_s: float,
    poll_s: float = 5.0,
    say: Callable[[str], None] = _say,
) -> int:
    """Ask, print the code, and wait up to ``wait_s`` for the decision; an exit code."""
    request = build_request(config)
    code = enrol.code_of(request)
    say(f"enrolment code: {code}")
    say(f"  on the hub: shekara-hub device approve {code}   (check the code matches)")
    deadline = time.monotonic() + wait_s
    started, answer = time.monotonic(), None
    while answer is None or answer["state"] == "pending":
        try:
            answer = client.submit(request) if answer is None else client.state(code)
        except (urllib.error.URLError, OSError) as exc:
            log.warning("hub unreachable: %s", exc)  # a lane box may boot before the network
        if answer is not None and answer["state"] != "pending":
            break
        if time.monotonic() >= deadline:
            say(f"still pending after {wait_s:.0f} s; run the same command again to keep "
                "waiting (the code stays the same)")  # fmt: skip
            return PENDING
        say(f"waiting for the operator… {time.monotonic() - started:.0f} s")
        time.sleep(min(poll_s, max(deadline - time.monotonic(), 0.05)))
    if answer["state"] == "rejected":
        say(f"rejected by the hub: {answer.get('reason')}")
        return REJECTED
    if answer.get("certificate"):
        install(config, answer, say)
    else:
        say("approved, but the hub holds no CA: install the client certificate from "
            f"shekara-pki at {TLSFiles.of(config).cert}")  # fmt: skip
    say(f"enrolled as {config.device_id} at {config.checkpoint}/{config.lane}")
    return APPROVED
