"""The event's certificate authority: made with the event, it certifies each laptop.

ECDSA P-256 keys and X.509 certificates (cryptography). A laptop's certificate names
its device id (CN), role (OU) and event id (O), and its serial number is derived from
the device id, so the certificate revocation list the CA signs when a laptop is revoked
names it (every laptop then refuses it inside the TLS handshake). The CA's private key
lives only in the coordinator's fieldkit_meta; every laptop holds the CA certificate and
its own key and certificate there (the database is encrypted at rest).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from fieldkit.errors import Refused
from fieldkit.store import Store

META_CA_CERT = "tls_ca_cert"
META_CA_KEY = "tls_ca_key"
META_CERT = "tls_cert"
META_KEY = "tls_key"
_VALID_DAYS = 400
_SKEW = dt.timedelta(days=1)  # laptops with a slightly wrong clock still accept a new certificate


class NotEnrolled(Refused):
    """This database has no certificate for sync; str() says what to do."""

    code = "not_enrolled"


@dataclass(frozen=True)
class DeviceIdentity:
    device_id: str
    role: str
    event_id: str


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _cert_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def device_serial(device_id: str) -> int:
    """The serial number of a laptop's certificate: derived from its device id, so a CRL can
    name the certificate of a revoked laptop from the revocation alone (positive, 19 bytes)."""
    digest = hashlib.sha256(b"fieldkit-device-certificate\x00" + device_id.encode()).digest()
    return int.from_bytes(digest[:19], "big") | 1


def _builder(subject: x509.Name, issuer: x509.Name, public, serial: int | None = None) -> x509.CertificateBuilder:
    """What every certificate of the event shares: names, key, serial, validity, key id."""
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public)
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(_now() - _SKEW)
        .not_valid_after(_now() + dt.timedelta(days=_VALID_DAYS))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )


def _key_usage(*, signs_certificates: bool) -> x509.KeyUsage:
    """The CA signs certificates only; a laptop's key signs TLS handshakes only."""
    return x509.KeyUsage(
        digital_signature=not signs_certificates, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=signs_certificates,
        crl_sign=signs_certificates, encipher_only=False, decipher_only=False,
    )


def create_ca(event_id: str) -> tuple[str, str]:
    """A new event CA: (private key PEM, certificate PEM)."""
    key = _new_key()
    name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, event_id),
        x509.NameAttribute(NameOID.COMMON_NAME, "Field Kit event CA"),
    ])
    cert = (
        _builder(name, name, key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(signs_certificates=True), critical=True)
        .sign(key, hashes.SHA256())
    )
    return _key_pem(key), _cert_pem(cert)


def issue_certificate(ca_key_pem: str, ca_cert_pem: str, identity: DeviceIdentity) -> tuple[str, str]:
    """A key and certificate for one laptop, signed by the event CA."""
    ca_key = serialization.load_pem_private_key(ca_key_pem.encode(), password=None)
    ca_cert = x509.load_pem_x509_certificate(ca_cert_pem.encode())
    key = _new_key()
    subject = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, identity.event_id),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, identity.role),
        x509.NameAttribute(NameOID.COMMON_NAME, identity.device_id),
    ])
    cert = (
        _builder(subject, ca_cert.subject, key.public_key(), device_serial(identity.device_id))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signs_certificates=False), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return _key_pem(key), _cert_pem(cert)


def issue_crl(ca_key_pem: str, ca_cert_pem: str, revoked_device_ids: Iterable[str]) -> str:
    """The event CA's certificate revocation list (PEM) naming the certificates of these
    laptops; valid until the CA certificate itself, so it never goes stale on a laptop
    that receives no newer one (each revocation issues the whole list again)."""
    ca_key = serialization.load_pem_private_key(ca_key_pem.encode(), password=None)
    ca_cert = x509.load_pem_x509_certificate(ca_cert_pem.encode())
    since = _now() - _SKEW
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_cert.subject)
        .last_update(since)
        .next_update(ca_cert.not_valid_after_utc)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()), critical=False)
    )
    for device_id in sorted(set(revoked_device_ids)):
        entry = x509.RevokedCertificateBuilder().serial_number(device_serial(device_id)).revocation_date(since)
        builder = builder.add_revoked_certificate(entry.build())
    return builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()


def identity_of(cert_der: bytes) -> DeviceIdentity:
    """The device id, role and event a (verified) certificate names."""
    cert = x509.load_der_x509_certificate(cert_der)

    def one(oid) -> str:
        values = cert.subject.get_attributes_for_oid(oid)
        return str(values[0].value) if len(values) == 1 else ""

    return DeviceIdentity(
        one(NameOID.COMMON_NAME), one(NameOID.ORGANIZATIONAL_UNIT_NAME), one(NameOID.ORGANIZATION_NAME)
    )


def install_identity(store: Store, ca_cert_pem: str, key_pem: str, cert_pem: str) -> None:
    """Keep this laptop's TLS identity in its (local, unsynced) settings."""
    store.set_meta(META_CA_CERT, ca_cert_pem)
    store.set_meta(META_KEY, key_pem)
    store.set_meta(META_CERT, cert_pem)


def create_event_ca(store: Store) -> None:
    """At `fieldkit init`: the event CA, and the coordinator laptop's own certificate."""
    ca_key, ca_cert = create_ca(store.event_id)
    store.set_meta(META_CA_KEY, ca_key)
    key, cert = issue_certificate(ca_key, ca_cert, DeviceIdentity(store.device_id, store.role, store.event_id))
    install_identity(store, ca_cert, key, cert)


def require_identity(store: Store) -> tuple[str, str, str]:
    """(CA certificate, key, certificate) PEMs, or NotEnrolled."""
    values = [store.meta(k) for k in (META_CA_CERT, META_KEY, META_CERT)]
    if not all(values):
        raise NotEnrolled(
            f"{store.path} has no sync certificate: create the event with `fieldkit init`, "
            "or join one with `fieldkit init --join FILE`."
        )
    return values[0], values[1], values[2]


def ca_fingerprint(ca_cert_pem: str) -> bytes:
    """SHA-256 of the CA certificate's DER: what a pairing code pins and discovery hashes."""
    cert = x509.load_pem_x509_certificate(ca_cert_pem.encode())
    return cert.fingerprint(hashes.SHA256())
