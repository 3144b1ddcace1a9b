"""The broker PKI: certificate profiles, CSR signing, revocation."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from shekara import pki
from shekara.errors import ConfigError
from shekara.pki_cli import main


@pytest.fixture(scope="module")
def ca() -> pki.Authority:
    return pki.Authority.create("Test CA")


def test_the_ca_may_sign_end_entities_only(ca: pki.Authority) -> None:
    basic = ca.cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical and basic.value.ca and basic.value.path_length == 0
    usage = ca.cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign and not usage.digital_signature


def test_server_and_client_profiles(ca: pki.Authority) -> None:
    server = ca.issue("broker", pki.new_key().public_key(), server_hosts=["127.0.0.1", "mq.local"])
    client = ca.issue("tmb-entry-1", pki.new_key().public_key())
    for cert in (server, client):
        cert.verify_directly_issued_by(ca.cert)
        assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    eku = x509.ExtendedKeyUsage
    assert list(server.extensions.get_extension_for_class(eku).value) == [
        ExtendedKeyUsageOID.SERVER_AUTH
    ]
    assert list(client.extensions.get_extension_for_class(eku).value) == [
        ExtendedKeyUsageOID.CLIENT_AUTH
    ]
    san = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert san.get_values_for_type(x509.DNSName) == ["mq.local"]
    assert pki.common_name(client) == "tmb-entry-1"
    assert len(pki.fingerprint(client)) == 64


def test_a_csr_is_signed_under_the_approved_name_not_the_asked_one(ca: pki.Authority) -> None:
    key = pki.new_key()
    csr = pki.certificate_request("tmb-exit-1", key)  # asks for another lane's name
    cert = ca.sign_request(csr, "tmb-entry-1")
    assert pki.common_name(cert) == "tmb-entry-1"
    assert cert.public_key() == key.public_key()


def test_a_csr_with_a_broken_signature_is_refused(ca: pki.Authority) -> None:
    der = bytearray(pki.certificate_request("x", pki.new_key()).public_bytes(
        pki.serialization.Encoding.DER))  # fmt: skip
    der[-3] ^= 0x01  # inside the signature
    with pytest.raises(ConfigError, match="signature does not verify"):
        ca.sign_request(x509.load_der_x509_csr(bytes(der)), "x")


def test_cli_makes_a_pki_and_revokes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = ["--dir", str(tmp_path)]
    assert main(["ca", *folder]) == 0
    assert main(["ca", *folder]) == 2  # never a second CA over the first
    assert "would orphan" in capsys.readouterr().err
    assert main(["server", "--host", "127.0.0.1", *folder]) == 0
    assert main(["device", "tmb-entry-1", *folder]) == 0
    assert main(["hub", "shekara-hub-temirbaba", *folder]) == 0
    assert main(["device", "bad/name", *folder]) == 2
    for key in ("ca.key", "server.key", "clients/tmb-entry-1.key"):
        assert stat.S_IMODE((tmp_path / key).stat().st_mode) == 0o600
    device = pki.load_cert(tmp_path / "clients" / "tmb-entry-1.crt")
    device.verify_directly_issued_by(pki.load_cert(tmp_path / "ca.crt"))
    crl = x509.load_pem_x509_crl((tmp_path / "crl.pem").read_bytes())
    assert len(crl) == 0
    cert = str(tmp_path / "clients" / "tmb-entry-1.crt")
    assert main(["revoke", cert, "--reason", "stolen", *folder]) == 0
    crl = x509.load_pem_x509_crl((tmp_path / "crl.pem").read_bytes())
    assert crl.is_signature_valid(pki.load_cert(tmp_path / "ca.crt").public_key())
    assert crl.get_revoked_certificate_by_serial_number(device.serial_number) is not None
    assert pki.revoked_list(tmp_path)[str(device.serial_number)]["reason"] == "stolen"
    assert main(["crl", *folder]) == 0  # re-signed from revoked.json, still listing it
    crl = x509.load_pem_x509_crl((tmp_path / "crl.pem").read_bytes())
    assert crl.get_revoked_certificate_by_serial_number(device.serial_number) is not None


def test_revoking_a_foreign_certificate_is_refused(tmp_path: Path) -> None:
    main(["ca", "--dir", str(tmp_path)])
    other = pki.Authority.create("Other")
    with pytest.raises(ConfigError, match="not issued by this CA"):
        pki.revoke(tmp_path, other.issue("x", pki.new_key().public_key()), "no")
