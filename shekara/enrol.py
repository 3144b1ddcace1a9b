"""Device enrolment, version 1: the request a new device sends the hub, and its code.

A device makes its Ed25519 event-signing key and a P-256 TLS key, and posts (HTTP,
``POST /api/enrolments``)::

    {"v": 1, "device_id", "checkpoint", "lane",
     "public_key": base64 of the raw Ed25519 public key (32 bytes),
     "csr":        PEM PKCS#10 request for the TLS key, subject CN = device_id (RFC 2986),
     "proof":      base64 Ed25519 signature}

    proof = Ed25519-sign(device key, ENROL_DOMAIN || JCS(request without "proof"))
    ENROL_DOMAIN = b"shekara/v1/enrol\\n"

The CSR's own signature proves the TLS key; ``proof`` proves the event key.  Both
ends print the **enrolment code**: the first 50 bits of SHA-256 over the identity the
request asks for, in Crockford base32, as ``XXXXX-XXXXX``::

    JCS({"v", "device_id", "checkpoint", "lane", "public_key",
         "tls_key": base64 of the CSR key's DER SubjectPublicKeyInfo})

The operator approves only the code the device's screen shows, so a request forged by
someone else (another key, another code) is never the one approved.  The code leaves
out the CSR's ECDSA signature, which is randomised: the same keys give the same code,
so a device may post again after a restart and the hub answers with the kept request.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any, Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shekara import jcs, pki
from shekara.errors import BadSignature, ConfigError, InvalidEnvelope, KeyFileError
from shekara.keys import public_key_b64, public_key_from_b64
from shekara.wire import SEGMENT_PATTERN, SIG_PATTERN, Address

ENROL_DOMAIN = b"shekara/v1/enrol\n"
CODE_PATTERN = r"^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$"
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
MAX_CSR_CHARS = 4096


class EnrolmentRequest(BaseModel):
    """What a new device asks the hub to register."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    v: Literal[1] = Field(description="Enrolment version")
    device_id: str = Field(pattern=SEGMENT_PATTERN, description="The id the device asks for")
    checkpoint: str = Field(pattern=SEGMENT_PATTERN, description="Checkpoint id")
    lane: str = Field(pattern=SEGMENT_PATTERN, description="Lane or zone id")
    public_key: str = Field(
        pattern=r"^[A-Za-z0-9+/]{43}=$", description="base64 raw Ed25519 event-signing key"
    )
    csr: str = Field(max_length=MAX_CSR_CHARS, description="PEM CSR for the TLS key; CN = id")
    proof: str = Field(pattern=SIG_PATTERN, description="The event key's signature")


def _signed_part(request: dict[str, Any]) -> bytes:
    return jcs.canonical_bytes({k: v for k, v in request.items() if k != "proof"})


def code_of(request: dict[str, Any]) -> str:
    """The enrolment code both the device and the hub print (:class:`InvalidEnvelope`
    if the request has no readable CSR)."""
    try:
        csr = x509.load_pem_x509_csr(str(request["csr"]).encode("ascii"))
    except (KeyError, ValueError, UnicodeEncodeError):
        raise InvalidEnvelope("enrolment request: csr is not a PEM certificate request") from None
    spki = csr.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    identity = {k: request.get(k) for k in ("v", "device_id", "checkpoint", "lane", "public_key")}
    identity["tls_key"] = base64.b64encode(spki).decode("ascii")
    digest = int.from_bytes(hashlib.sha256(jcs.canonical_bytes(identity)).digest()[:8], "big")
    digest >>= 14  # the first 50 bits
    chars = "".join(_CROCKFORD[(digest >> (5 * i)) & 31] for i in reversed(range(10)))
    return f"{chars[:5]}-{chars[5:]}"


def make_request(
    device_key: Ed25519PrivateKey, tls_key: ec.EllipticCurvePrivateKey, address: Address
) -> dict[str, Any]:
    """The signed enrolment request of a device at ``address``."""
    csr = pki.certificate_request(address.device, tls_key)
    request: dict[str, Any] = {
        "v": 1,
        "device_id": address.device,
        "checkpoint": address.checkpoint,
        "lane": address.lane,
        "public_key": public_key_b64(device_key.public_key()),
        "csr": pki.pem(csr).decode("ascii"),
    }
    signed = ENROL_DOMAIN + jcs.canonical_bytes(request)
    request["proof"] = base64.b64encode(device_key.sign(signed)).decode("ascii")
    return request


def check(request: dict[str, Any]) -> tuple[EnrolmentRequest, x509.CertificateSigningRequest]:
    """Validate a request and both its proofs; raise a :class:`WireError` saying what fails."""
    try:
        parsed = EnrolmentRequest.model_validate(request)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "request"
        raise InvalidEnvelope(f"enrolment request: {where}: {first['msg']}") from None
    try:
        csr = x509.load_pem_x509_csr(parsed.csr.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise InvalidEnvelope("enrolment request: csr is not a PEM certificate request") from None
    if not isinstance(csr.public_key(), ec.EllipticCurvePublicKey):
        raise InvalidEnvelope("enrolment request: the csr's key must be ECDSA P-256")
    if not csr.is_signature_valid:
        raise BadSignature("enrolment request: the csr's signature does not verify")
    try:
        name = pki.common_name(csr)
    except ConfigError as exc:
        raise InvalidEnvelope(f"enrolment request: {exc}") from None
    if name != parsed.device_id:
        raise InvalidEnvelope(
            f"enrolment request: the csr is for {name!r}, not device {parsed.device_id!r}"
        )
    try:
        key = public_key_from_b64(parsed.public_key)
        key.verify(base64.b64decode(parsed.proof, validate=True),
                   ENROL_DOMAIN + _signed_part(request))  # fmt: skip
    except (KeyFileError, binascii.Error, InvalidSignature):
        raise BadSignature("enrolment request: proof does not verify under public_key") from None
    return parsed, csr
