"""Self-signed certificates shaped like a gateway's (O=Tesla, CN=<32 hex>)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

CERT_FILE = "gateway-cert.pem"
KEY_FILE = "gateway-key.pem"
# A fixed validity start (as a gateway's factory certificate has): no wall clock is read, and
# clients pin the fingerprint rather than check dates.
NOT_BEFORE = dt.datetime(2017, 1, 1, tzinfo=dt.UTC)


def generate(cert_path: Path, key_path: Path) -> None:
    """Write a new key and a self-signed certificate valid until 2048, as gateways have."""
    key = ec.generate_private_key(ec.SECP256R1())
    common_name = secrets.token_hex(16)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Tesla"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Tesla Energy Products"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(dt.datetime(2048, 1, 1, tzinfo=dt.UTC))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("teg"), x509.DNSName("powerwall"), x509.DNSName("powerpack")]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def ensure(cert_dir: Path, *, rotate: bool = False) -> tuple[Path, Path]:
    """Return (cert, key) paths in ``cert_dir``, generating them if absent or when rotating."""
    cert_dir.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = cert_dir / CERT_FILE, cert_dir / KEY_FILE
    if rotate or not (cert_path.exists() and key_path.exists()):
        generate(cert_path, key_path)
    return cert_path, key_path


def fingerprint(cert_path: Path) -> str:
    """SHA-256 of the certificate's DER encoding, lower-case hex without separators."""
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
