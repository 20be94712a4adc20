"""The TLS side of sync: this laptop's context (identity, the event CA, its revocation list)
and what a failed handshake means, in a sentence.

TLS 1.3 only; both sides present a certificate signed by the event CA and require the
other's. Once the coordinator has revoked a laptop, each revocation carries the CA's
revocation list (fieldkit/event/ca.py issue_crl), and a context built with it refuses that
laptop's certificate inside the handshake, on either side.
"""

from __future__ import annotations

import functools
import os
import secrets
import socket
import ssl
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from fieldkit.errors import Refused
from fieldkit.event.ca import require_identity
from fieldkit.store import Store
from sync.protocol import SyncRefused


class SyncFailed(Refused):
    """A sync could not start or finish; str() says what to do."""

    code = "sync_failed"


def tls_context(store: Store, side: int) -> ssl.SSLContext:
    """This laptop's TLS context as of now: its identity, and the newest revocation list it holds."""
    return _context_for(*require_identity(store), revocation_list(store), side)


def revocation_list(store: Store) -> str | None:
    """The newest certificate revocation list the coordinator issued with a revocation (each
    names every laptop revoked until then), or None if no revocation carried one."""
    row = store.db.execute(
        "SELECT crl FROM device_revocations WHERE crl IS NOT NULL ORDER BY hlc DESC LIMIT 1"
    ).fetchone()
    return row[0] if row else None


@functools.lru_cache(maxsize=8)
def _context_for(ca_pem: str, key_pem: str, cert_pem: str, crl_pem: str | None, side: int) -> ssl.SSLContext:
    # Cached: sealing the key for the file below costs more than a whole small sync.
    context = ssl.SSLContext(side)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.maximum_version = ssl.TLSVersion.TLSv1_3
    context.check_hostname = False
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cadata=ca_pem)
    if crl_pem:
        # A revoked laptop's certificate is then refused inside the handshake, both ways
        # (OpenSSL checks the list's signature by the event CA; `cadata` takes certificates only).
        with tempfile.TemporaryDirectory(prefix="fieldkit-crl-") as folder:
            crl_file = Path(folder) / "revoked.pem"
            crl_file.write_text(crl_pem)
            context.load_verify_locations(cafile=crl_file)
        context.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
    load_identity(context, key_pem, cert_pem)
    return context


def load_identity(context: ssl.SSLContext, key_pem: str, cert_pem: str) -> None:
    """Give `context` this laptop's key and certificate (also used by pairing's server side)."""
    # ssl loads keys only from files: the key goes to disk encrypted under a one-time
    # password, in a private directory that is removed at once.
    password = secrets.token_bytes(32)
    key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    sealed = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(password),
    )
    with tempfile.TemporaryDirectory(prefix="fieldkit-tls-") as private:
        cert_file, key_file = Path(private) / "cert.pem", Path(private) / "key.pem"
        cert_file.write_text(cert_pem)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(sealed)
        context.load_cert_chain(cert_file, key_file, password=password)


def tls_reason(exc: Exception) -> str:
    reason = getattr(exc, "reason", None) or exc.__class__.__name__
    detail = getattr(exc, "verify_message", None)  # e.g. "certificate revoked"
    return f"{reason} ({detail})" if detail else reason


_CERT_REVOKED = 23  # X509_V_ERR_CERT_REVOKED: the certificate is on the event CA's revocation list


def revoked_here(host: str, port: int) -> SyncRefused:
    return SyncRefused(
        f"The laptop at {host}:{port} refused this laptop in the TLS handshake: the coordinator revoked it, "
        "so it can no longer sync with this event. Hand it back to the coordinator."
    )


def handshake_failed(host: str, port: int, exc: Exception, waited: float) -> SyncFailed:
    """Why the TLS handshake with host:port failed, in a sentence that says what to check."""
    if isinstance(exc, socket.timeout):
        return SyncFailed(
            f"The laptop at {host}:{port} did not answer within {waited:g} s: it may be busy "
            "with many connections; try again in a minute, and check the address if it keeps happening."
        )
    reason = tls_reason(exc)
    if getattr(exc, "verify_code", None) == _CERT_REVOKED:
        return SyncFailed(
            f"The laptop at {host}:{port} was revoked by the coordinator: this laptop does not sync with it."
        )
    if "CERTIFICATE_REVOKED" in reason:
        return revoked_here(host, port)
    if "ALERT" in reason:
        # The other side speaks TLS with this event's certificate but refused this laptop's.
        return SyncFailed(
            f"The laptop at {host}:{port} did not accept this laptop's certificate ({reason}): "
            "enroll both laptops from the same event."
        )
    # No TLS at all (it closed, or answered like a web server), or a certificate that is
    # not from this event's CA: either way not a laptop this one can sync with.
    return SyncFailed(
        f"{host}:{port} is not a Field Kit laptop serving sync (or it is another event's): check the address."
    )
