"""The checkpoint's X.509 PKI for the broker's mutual TLS: a CA, server and client
certificates, and a revocation list.  RFC 5280 profiles, ECDSA P-256 with SHA-256.

TLS is a second lock beside the Ed25519 event signatures (:mod:`shekara.wire`): the
broker learns who a client is from its certificate (Mosquitto's
``use_identity_as_username`` takes the subject's common name), and its ACL lets a
device write only its own lane's topics.  P-256 rather than Ed25519 here because
every TLS stack on the path (OpenSSL 1.1 in older Raspberry Pi images, Mosquitto,
Python's ``ssl``) negotiates it, and a Pi signs a handshake with it in about a
millisecond.

Layout of a PKI folder (``shekara-pki``, ``deploy/pki/``)::

    ca.crt  ca.key              the checkpoint CA (keep ca.key offline in production)
    server.crt  server.key      the broker's certificate (SAN: its host names and IPs)
    clients/<name>.crt, .key    one per device and one per hub; CN = <name>
    crl.pem                     revoked client certificates, signed by the CA
    revoked.json                serial → {name, reason, at}: what crl.pem is made from
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from shekara.errors import ConfigError

CA_DAYS = 3650
SERVER_DAYS = 825  # the CA/Browser Forum's old ceiling; renewal is a one-line command
CLIENT_DAYS = 397
CRL_DAYS = 30  # the broker refuses every client once the CRL is stale: re-sign monthly
_SKEW = dt.timedelta(minutes=5)  # a device clock slightly behind still accepts a new cert


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _name(common_name: str, org: str = "Shekara") -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def new_key() -> ec.EllipticCurvePrivateKey:
    """A fresh P-256 private key."""
    return ec.generate_private_key(ec.SECP256R1())


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 of the DER certificate, lowercase hex: what the hub records per device."""
    return cert.fingerprint(hashes.SHA256()).hex()


def common_name(cert: x509.Certificate | x509.CertificateSigningRequest) -> str:
    """The subject's CN: the identity Mosquitto uses as the user name."""
    found = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not found:
        raise ConfigError("certificate has no common name")
    return str(found[0].value)


@dataclass(frozen=True)
class Authority:
    """A CA certificate with its private key."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @classmethod
    def create(cls, name: str, days: int = CA_DAYS) -> Authority:
        """A self-signed CA that may sign end-entity certificates only (path length 0)."""
        key = new_key()
        subject = _name(name)
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(_now() - _SKEW)
            .not_valid_after(_now() + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256())
        )
        return cls(cert, key)

    def issue(
        self,
        name: str,
        public_key: ec.EllipticCurvePublicKey,
        *,
        server_hosts: list[str] | None = None,
        days: int | None = None,
        not_before: dt.datetime | None = None,
    ) -> x509.Certificate:
        """An end-entity certificate for ``name``: a TLS server when ``server_hosts`` is
        given (they become its subjectAltName), else a TLS client."""
        start = not_before or _now() - _SKEW
        days = days if days is not None else (SERVER_DAYS if server_hosts else CLIENT_DAYS)
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server_hosts else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(name))
            .issuer_name(self.cert.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(True, False, False, False, False, False, False, False, False),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), False
            )
        )
        if server_hosts:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([_general_name(h) for h in server_hosts]), False
            )
        return builder.sign(self.key, hashes.SHA256())

    def sign_request(self, csr: x509.CertificateSigningRequest, name: str) -> x509.Certificate:
        """A client certificate for a device's own key pair, from its CSR.

        The CSR's signature proves the device holds the key; the name is the one the
        operator approved, whatever the CSR asked for."""
        if not csr.is_signature_valid:
            raise ConfigError("the certificate request's signature does not verify")
        key = csr.public_key()
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise ConfigError("the certificate request's key is not an EC key")
        return self.issue(name, key)

    def crl(
        self, revoked: dict[int, dt.datetime], days: int = CRL_DAYS
    ) -> x509.CertificateRevocationList:
        """A CRL listing ``revoked`` serials with their revocation times."""
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.cert.subject)
            .last_update(_now() - _SKEW)
            .next_update(_now() + dt.timedelta(days=days))
        )
        for serial, at in sorted(revoked.items()):
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(at).build()
            )
        return builder.sign(self.key, hashes.SHA256())


def _general_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def certificate_request(
    name: str, key: ec.EllipticCurvePrivateKey
) -> x509.CertificateSigningRequest:
    """A CSR for ``name`` signed by ``key`` (what a device sends when it enrols)."""
    return (
        x509.CertificateSigningRequestBuilder().subject_name(_name(name)).sign(key, hashes.SHA256())
    )


# --- files --------------------------------------------------------------------------


def pem(
    obj: x509.Certificate | x509.CertificateRevocationList | x509.CertificateSigningRequest,
) -> bytes:
    """PEM encoding of a certificate, CRL or CSR."""
    return obj.public_bytes(serialization.Encoding.PEM)


def key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    """Unencrypted PKCS#8 PEM: the broker and agents start unattended."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def write_private(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write ``data`` readable by its owner only, created that way (never world-readable
    for an instant)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.chmod(path, mode)


def load_cert(path: Path) -> x509.Certificate:
    """A PEM certificate, or a ConfigError naming the file."""
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: not a readable PEM certificate ({exc})") from None


def load_authority(folder: Path) -> Authority:
    """The CA of a PKI folder."""
    cert = load_cert(folder / "ca.crt")
    try:
        key = serialization.load_pem_private_key((folder / "ca.key").read_bytes(), None)
    except (OSError, ValueError, TypeError) as exc:
        raise ConfigError(f"{folder / 'ca.key'}: not a readable CA key ({exc})") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ConfigError(f"{folder / 'ca.key'}: not an EC key")
    return Authority(cert, key)


def create_authority(folder: Path, name: str, days: int = CA_DAYS) -> Authority:
    """Write a new CA into ``folder`` (ca.crt, ca.key, an empty crl.pem); never over one."""
    if (folder / "ca.key").exists():
        raise ConfigError(f"{folder / 'ca.key'} exists: a second CA would orphan every cert")
    authority = Authority.create(name, days)
    write_private(folder / "ca.key", key_pem(authority.key))
    (folder / "ca.crt").write_bytes(pem(authority.cert))
    write_crl(folder, authority)
    return authority


def issue_files(
    folder: Path,
    name: str,
    *,
    server_hosts: list[str] | None = None,
    days: int | None = None,
    not_before: dt.datetime | None = None,
) -> Path:
    """A fresh key and certificate from the folder's CA: ``server.crt``/``.key`` for the
    broker (``server_hosts`` given), else ``clients/<name>.crt``/``.key``; the cert path."""
    authority = load_authority(folder)
    stem = folder / "server" if server_hosts else folder / "clients" / name
    key = new_key()
    cert = authority.issue(
        name, key.public_key(), server_hosts=server_hosts, days=days, not_before=not_before
    )
    write_private(stem.with_suffix(".key"), key_pem(key))
    stem.with_suffix(".crt").write_bytes(pem(cert))
    return stem.with_suffix(".crt")


def revoked_list(folder: Path) -> dict[str, dict[str, str]]:
    """``revoked.json`` of a PKI folder: serial (decimal) → name, reason, time."""
    path = folder / "revoked.json"
    if not path.exists():
        return {}
    data: dict[str, dict[str, str]] = json.loads(path.read_text(encoding="utf-8"))
    return data


def write_crl(folder: Path, authority: Authority) -> Path:
    """Sign ``crl.pem`` afresh from ``revoked.json``."""
    revoked = {
        int(serial): dt.datetime.fromisoformat(entry["at"])
        for serial, entry in revoked_list(folder).items()
    }
    path = folder / "crl.pem"
    path.write_bytes(pem(authority.crl(revoked)))
    return path


def revoke(folder: Path, cert: x509.Certificate, reason: str) -> Path:
    """Add ``cert`` to the folder's revocation list and re-sign the CRL."""
    authority = load_authority(folder)
    if cert.issuer != authority.cert.subject:
        raise ConfigError("that certificate was not issued by this CA")
    entries = revoked_list(folder)
    entries[str(cert.serial_number)] = {
        "name": common_name(cert), "reason": reason, "at": _now().isoformat(),
    }  # fmt: skip
    (folder / "revoked.json").write_text(json.dumps(entries, indent=1), encoding="utf-8")
    return write_crl(folder, authority)
