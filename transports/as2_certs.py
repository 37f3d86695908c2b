"""AS2 key and certificate files: reading them, checking them, and when they expire."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from transports.errors import TransportConfigError

_PEM_KEY = re.compile(rb"-----BEGIN ([A-Z ]*)PRIVATE KEY-----.+?-----END \1PRIVATE KEY-----", re.S)


class CertificateFileError(ValueError):
    """A certificate file cannot be read or holds no certificate."""


@dataclass(frozen=True, slots=True)
class CertificateOnFile:
    """One certificate an AS2 relationship depends on, and when it stops being valid."""

    role: str                      # "key_file" (ours) or "partner_cert_file" (the partner's)
    path: Path
    not_after: datetime | None     # None: the file cannot be read now (see ``problem``)
    problem: str = ""


def cert_not_after(path: Path) -> datetime:
    """When the first certificate in ``path`` to expire stops being valid, in UTC."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise CertificateFileError(f"cannot read certificate file {path}: {exc.strerror}") from exc
    certs = certificates_in(data)
    if not certs:
        raise CertificateFileError(f"{path} holds no certificate (PEM or DER expected)")
    return min(cert.not_valid_after_utc for cert in certs)


def certificate_on_file(role: str, path: Path) -> CertificateOnFile:
    """The expiry of the certificate in ``path`` as it is on disk now, or why it cannot be read."""
    try:
        return CertificateOnFile(role, Path(path), cert_not_after(path))
    except CertificateFileError as exc:
        return CertificateOnFile(role, Path(path), None, str(exc))


def certificates_in(data: bytes) -> list[x509.Certificate]:
    """Every certificate in PEM ``data`` (a bundle may hold several), or the one DER certificate."""
    if b"-----BEGIN CERTIFICATE-----" in data:
        try:
            return x509.load_pem_x509_certificates(data)
        except ValueError:
            return []
    try:
        return [x509.load_der_x509_certificate(data)]
    except ValueError:
        return []


def read_setting_file(path: Path, key: str) -> bytes:
    """The bytes of a file named by setting ``key``; a read error names the setting."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise TransportConfigError(key, f"cannot read {path}: {exc.strerror}") from exc


def load_key_bundle(path: Path, passphrase: str | None) -> bytes:
    """Check the key opens and a certificate matches it; return just those two, as PEM."""
    data = read_setting_file(path, "key_file")
    blocks = [match.group(0) for match in _PEM_KEY.finditer(data)]
    if len(blocks) != 1:
        raise TransportConfigError("key_file", f"{path} must hold one PEM private key (found "
                                   f"{len(blocks)}) followed by our certificate")
    try:
        key = serialization.load_pem_private_key(
            blocks[0], passphrase.encode() if passphrase else None)
    except TypeError as exc:
        problem = ("is encrypted: name the environment variable holding its passphrase in "
                   "key_passphrase_env" if passphrase is None else
                   "is not encrypted: remove key_passphrase_env")
        raise TransportConfigError("key_passphrase_env", f"the key in {path} {problem}") from exc
    except ValueError as exc:
        key_name = "key_file" if passphrase is None else "key_passphrase_env"
        raise TransportConfigError(key_name, f"cannot open the key in {path}: wrong passphrase, "
                                   "or the key is damaged") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TransportConfigError("key_file", f"the key in {path} must be an RSA key for AS2")
    ours = _public_der(key.public_key())
    cert = next((c for c in certificates_in(data) if _public_der(c.public_key()) == ours), None)
    if cert is None:
        raise TransportConfigError("key_file", f"{path} holds no certificate for its key: append "
                                   "our certificate (PEM) after the key")
    # pyas2lib pairs the key with the LAST certificate of a bundle, so hand it only the right one.
    return blocks[0] + b"\n" + cert.public_bytes(serialization.Encoding.PEM)


def _public_der(public_key) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER,
                                   serialization.PublicFormat.SubjectPublicKeyInfo)


def load_partner_cert(path: Path) -> tuple[bytes, bytes | None]:
    """The partner's certificate as PEM, and the CA chain that followed it in the file, if any."""
    certs = certificates_in(read_setting_file(path, "partner_cert_file"))
    if not certs:
        raise TransportConfigError("partner_cert_file",
                                   f"{path} holds no certificate (PEM or DER expected)")
    pem = [cert.public_bytes(serialization.Encoding.PEM) for cert in certs]
    return pem[0], b"".join(pem[1:]) or None


def partner_cert_problem(settings) -> str | None:
    """Why the partner's certificate in ``settings`` cannot be used today, or None."""
    # pyas2lib reports an expired certificate as "Partner Certificate Invalid: d".
    cert = x509.load_pem_x509_certificate(settings.partner_cert_pem)
    now = datetime.now(timezone.utc)
    if now > cert.not_valid_after_utc:
        return (f"the certificate of {settings.partner_as2_id} in {settings.partner_cert_file} "
                f"expired on {cert.not_valid_after_utc:%Y-%m-%d}: get the partner's current "
                "certificate and update partner_cert_file")
    if now < cert.not_valid_before_utc:
        return (f"the certificate of {settings.partner_as2_id} in {settings.partner_cert_file} "
                f"is not valid before {cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC")
    return None
