"""The enrolment request: its code, its two proofs, and tampering with each part."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.oid import NameOID

from shekara import enrol, pki
from shekara.errors import BadSignature, InvalidEnvelope
from shekara.wire import Address

ADDRESS = Address("temirbaba", "entry-1", "tmb-entry-1")
DEVICE_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


@pytest.fixture(scope="module")
def tls_key() -> Any:
    return pki.new_key()


@pytest.fixture
def request_(tls_key: Any) -> dict[str, Any]:
    return enrol.make_request(DEVICE_KEY, tls_key, ADDRESS)


def test_a_request_checks_and_names_the_device(request_: dict[str, Any]) -> None:
    parsed, csr = enrol.check(request_)
    assert (parsed.device_id, parsed.checkpoint, parsed.lane) == (
        "tmb-entry-1", "temirbaba", "entry-1",
    )  # fmt: skip
    assert pki.common_name(csr) == "tmb-entry-1"


def test_the_code_is_short_unambiguous_and_the_same_for_the_same_keys(
    request_: dict[str, Any], tls_key: Any
) -> None:
    code = enrol.code_of(request_)
    assert re.fullmatch(enrol.CODE_PATTERN, code)
    assert not set(code) & set("ILOU")  # Crockford: no letters read as digits
    again = enrol.make_request(DEVICE_KEY, tls_key, ADDRESS)
    assert enrol.code_of(again) == code == enrol.code_of({**again, "proof": "x"})


def test_a_known_answer_for_the_code() -> None:
    tls_key = ec.derive_private_key(20261121, ec.SECP256R1())
    csr = pki.pem(pki.certificate_request("d", tls_key)).decode()
    fixed = {"v": 1, "device_id": "d", "checkpoint": "c", "lane": "l", "public_key": "k",
             "csr": csr}  # fmt: skip
    # Worked from the layout: the first 50 bits of SHA-256 over the JCS of the identity
    # (keys sorted, no spaces), five bits a Crockford base32 character.
    spki = tls_key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    identity = ('{"checkpoint":"c","device_id":"d","lane":"l","public_key":"k",'
                f'"tls_key":"{base64.b64encode(spki).decode()}","v":1}}')  # fmt: skip
    bits = "".join(f"{b:08b}" for b in hashlib.sha256(identity.encode()).digest())[:50]
    chars = "".join("0123456789ABCDEFGHJKMNPQRSTVWXYZ"[int(bits[i : i + 5], 2)]
                    for i in range(0, 50, 5))  # fmt: skip
    assert enrol.code_of(fixed) == f"{chars[:5]}-{chars[5:]}" == "V1VAG-QZ9MH"
    # A CSR signed afresh (ECDSA is randomised) over the same key: the same code.
    again = pki.pem(pki.certificate_request("d", tls_key)).decode()
    assert again != csr and enrol.code_of({**fixed, "csr": again}) == enrol.code_of(fixed)
    assert enrol.code_of(fixed) != enrol.code_of({**fixed, "lane": "m"})


@pytest.mark.parametrize(
    ("field", "value"), [("lane", "exit-1"), ("checkpoint", "garabogaz"), ("device_id", "x")]
)
def test_a_changed_field_breaks_the_proof(request_: dict[str, Any], field: str, value: str) -> None:
    with pytest.raises((BadSignature, InvalidEnvelope)):
        enrol.check({**request_, field: value})


def test_someone_elses_key_cannot_sign_for_the_device(request_: dict[str, Any]) -> None:
    other = Ed25519PrivateKey.generate()
    forged = enrol.make_request(other, pki.new_key(), ADDRESS)
    forged["public_key"] = request_["public_key"]
    with pytest.raises(BadSignature, match="proof does not verify"):
        enrol.check(forged)


def test_a_csr_for_another_name_is_refused(tls_key: Any) -> None:
    request = enrol.make_request(DEVICE_KEY, tls_key, ADDRESS)
    other_csr = pki.pem(pki.certificate_request("tmb-exit-1", tls_key)).decode()
    resigned = _resign({**request, "csr": other_csr})
    with pytest.raises(InvalidEnvelope, match="csr is for 'tmb-exit-1'"):
        enrol.check(resigned)


def test_a_csr_with_a_broken_signature_is_refused(request_: dict[str, Any]) -> None:
    csr = x509.load_pem_x509_csr(request_["csr"].encode())
    der = bytearray(csr.public_bytes(pki.serialization.Encoding.DER))
    der[-3] ^= 0x01  # inside the signature
    broken = base64.encodebytes(bytes(der)).decode()
    pem = f"-----BEGIN CERTIFICATE REQUEST-----\n{broken}-----END CERTIFICATE REQUEST-----\n"
    with pytest.raises((BadSignature, InvalidEnvelope)):
        enrol.check(_resign({**request_, "csr": pem}))


def test_a_csr_without_an_ec_key_is_refused() -> None:
    ed = Ed25519PrivateKey.generate()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ADDRESS.device)])
    csr = x509.CertificateSigningRequestBuilder().subject_name(name).sign(ed, None)
    request = enrol.make_request(DEVICE_KEY, pki.new_key(), ADDRESS)
    with pytest.raises(InvalidEnvelope, match="ECDSA P-256"):
        enrol.check(_resign({**request, "csr": pki.pem(csr).decode()}))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"csr": "not a certificate request"}, "csr is not a PEM"),
        ({"v": 2}, "v:"),
        ({"device_id": "a/b"}, "device_id:"),
        ({"extra": 1}, "extra:"),
        ({"public_key": "short"}, "public_key:"),
    ],
)
def test_malformed_requests_say_what_is_wrong(
    request_: dict[str, Any], change: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidEnvelope, match=message):
        enrol.check(_resign({**request_, **change}))


def test_an_sha256_csr_is_what_make_request_sends(request_: dict[str, Any]) -> None:
    csr = x509.load_pem_x509_csr(request_["csr"].encode())
    assert isinstance(csr.signature_hash_algorithm, hashes.SHA256)


def _resign(request: dict[str, Any]) -> dict[str, Any]:
    """Sign a changed request properly, so only the change itself is under test."""
    unsigned = {k: v for k, v in request.items() if k != "proof"}
    sig = DEVICE_KEY.sign(enrol.ENROL_DOMAIN + enrol.jcs.canonical_bytes(unsigned))
    return {**unsigned, "proof": base64.b64encode(sig).decode()}
