"""The networked demo's keys, made once into ``keys/`` of the demo instance and kept.

SSH: the embedded SFTP server's host key (pinned in acme's partner file) and the key the hub
logs in with. AS2: a key and a self-signed certificate for the hub and for initech's station.
The keys have no passphrase: they protect nothing but a demo on loopback, and the partner
files name them by file, as they would a real key.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.x509.oid import NameOID

KEYS_DIR = "keys"
CERT_DAYS = 3650          # a demo certificate must not expire under someone trying it
HUB_AS2_ID = "DEMORETAIL"
INITECH_AS2_ID = "INITECH"


@dataclass(frozen=True)
class SshKeyPair:
    """An ed25519 key: the private key file (OpenSSH format) and its public key line."""

    private_file: Path
    public_line: str      # "ssh-ed25519 AAAA..."

    @property
    def fingerprint(self) -> str:
        """The key's SHA256 fingerprint, as ssh-keygen -l and ssh-keyscan show it."""
        return ssh_fingerprint(self.public_line)


@dataclass(frozen=True)
class As2Party:
    """An AS2 party's key and certificate (``key_file``: key then certificate, PEM)."""

    as2_id: str
    key_file: Path
    cert_file: Path


@dataclass(frozen=True)
class DemoKeys:
    """Every key the networked demo uses."""

    folder: Path
    sftp_host: SshKeyPair
    sftp_client: SshKeyPair
    hub_as2: As2Party
    initech_as2: As2Party


def demo_keys(home: Path) -> DemoKeys:
    """The demo's keys in ``home/keys``, made now for any that are missing."""
    folder = home / KEYS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    return DemoKeys(folder, ssh_key_pair(folder / "sftp-host-key"),
                    ssh_key_pair(folder / "sftp-client-key"),
                    as2_party(folder, "hub-as2", HUB_AS2_ID),
                    as2_party(folder, "initech-as2", INITECH_AS2_ID))


def ssh_key_pair(path: Path) -> SshKeyPair:
    """The ed25519 key at ``path`` (public line in ``path.pub``), made if missing."""
    public = path.with_name(path.name + ".pub")
    if not (path.is_file() and public.is_file()):
        key = ed25519.Ed25519PrivateKey.generate()
        _write_private(path, key.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.OpenSSH,
                                               serialization.NoEncryption()))
        public.write_bytes(key.public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH) + b"\n")
    kind, data = public.read_text().split()[:2]
    return SshKeyPair(path, f"{kind} {data}")


def ssh_fingerprint(public_line: str) -> str:
    """``SHA256:...`` of a "type base64" public key line."""
    blob = base64.b64decode(public_line.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def as2_party(folder: Path, stem: str, as2_id: str) -> As2Party:
    """An RSA key and self-signed certificate for ``as2_id`` in ``folder``, made if missing."""
    key_file, cert_file = folder / f"{stem}.pem", folder / f"{stem}-cert.pem"
    if not (key_file.is_file() and cert_file.is_file()):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cert = _certificate(key, as2_id).public_bytes(serialization.Encoding.PEM)
        _write_private(key_file, key.private_bytes(serialization.Encoding.PEM,
                                                   serialization.PrivateFormat.PKCS8,
                                                   serialization.NoEncryption()) + cert)
        cert_file.write_bytes(cert)
    return As2Party(as2_id, key_file, cert_file)


def _certificate(key: rsa.RSAPrivateKey, name: str) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=CERT_DAYS))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, key_encipherment=True, content_commitment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=False,
                crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))


def _write_private(path: Path, data: bytes) -> None:
    # Readable by the owner only, from the first byte: ssh tools refuse looser private keys.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
