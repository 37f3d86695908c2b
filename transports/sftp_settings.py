"""SFTP transport settings: the [transport] table checked, pinned host keys, our private key.

Secrets are never in a partner file: it names the environment variable that holds a
password or key passphrase, read here when the settings are built. Every key is described
in ``transports/README.md``.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

import paramiko

from transports.errors import PermanentTransportError, TransportConfigError

_HOST_KEY_TYPES = ("ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
                   "ecdsa-sha2-nistp521")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_KNOWN = {"type", "host", "port", "username", "key_file", "key_passphrase_env", "password_env",
          "host_keys", "outbox_dir", "inbox_dir", "inbox_pattern", "after_fetch", "archive_dir",
          "connect_timeout", "timeout", "settle_seconds"}
_INLINE_SECRETS = {"password": "password_env", "key_passphrase": "key_passphrase_env",
                   "passphrase": "key_passphrase_env"}
_INBOX_ONLY = ("inbox_pattern", "after_fetch", "archive_dir", "settle_seconds")


@dataclass(frozen=True, slots=True)
class SftpSettings:
    """Where and how to reach one partner's SFTP server; secrets are kept out of repr()."""

    host: str
    username: str
    host_keys: tuple[str, ...]          # pinned "ssh-ed25519 AAAA..." lines
    outbox_dir: str
    port: int = 22
    key_file: Path | None = None
    key_passphrase: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    inbox_dir: str | None = None
    inbox_pattern: str = "*"
    after_fetch: str = "delete"         # or "archive"
    archive_dir: str | None = None
    connect_timeout: float = 15.0
    timeout: float = 30.0
    settle_seconds: float = 0.0

    @classmethod
    def from_mapping(cls, m: dict, base: Path,
                     environ: Mapping[str, str] = os.environ) -> SftpSettings:
        """Build settings from a partner file's [transport] table; key_file is relative to base."""
        _check_keys(m)
        inbox = _text(m, "inbox_dir")
        if inbox is None:
            for key in _INBOX_ONLY:
                if key in m:
                    raise TransportConfigError(key, "only means something with inbox_dir: "
                                                    "set inbox_dir or remove this key")
        after, archive = _after_fetch(m)
        key_file = _text(m, "key_file")
        password = _secret(m, "password_env", environ)
        if key_file is None and password is None:
            raise TransportConfigError("key_file", "no way to log in: set key_file (a private key "
                                       "file) and/or password_env (the name of an environment "
                                       "variable holding the password)")
        if key_file is None and "key_passphrase_env" in m:
            raise TransportConfigError("key_passphrase_env", "set without key_file")
        host, port = _text(m, "host", required=True), _port(m)
        return cls(
            host=host, port=port, username=_text(m, "username", required=True),
            host_keys=_host_keys(m.get("host_keys"), host, port),
            outbox_dir=_text(m, "outbox_dir", required=True),
            key_file=None if key_file is None else (base / key_file).resolve(),
            key_passphrase=_secret(m, "key_passphrase_env", environ), password=password,
            inbox_dir=inbox, inbox_pattern=_text(m, "inbox_pattern") or "*",
            after_fetch=after, archive_dir=archive,
            connect_timeout=_number(m, "connect_timeout", 15.0, positive=True),
            timeout=_number(m, "timeout", 30.0, positive=True),
            settle_seconds=_number(m, "settle_seconds", 0.0, positive=False))


def _check_keys(m: dict) -> None:
    for key in sorted(m):
        if key in _INLINE_SECRETS:
            raise TransportConfigError(key, f"secrets never go in a partner file: put it in an "
                                       f"environment variable and set {_INLINE_SECRETS[key]} to "
                                       f"that variable's name")
        if key not in _KNOWN:
            raise TransportConfigError(key, "unknown setting for an sftp transport")
    if m.get("type", "sftp") != "sftp":
        raise TransportConfigError("type", "must be \"sftp\" for these settings")


def _text(m: dict, key: str, required: bool = False) -> str | None:
    value = m.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise TransportConfigError(key, "required: a non-empty string" if value is None
                                   else "must be a non-empty string")
    return value.strip()


def _port(m: dict) -> int:
    port = m.get("port", 22)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise TransportConfigError("port", "must be a whole number from 1 to 65535")
    return port


def _number(m: dict, key: str, default: float, positive: bool) -> float:
    value = m.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or value < 0 or (positive and value == 0):
        raise TransportConfigError(key, "must be a number of seconds, "
                                   + ("more than 0" if positive else "0 or more"))
    return float(value)


def _after_fetch(m: dict) -> tuple[str, str | None]:
    archive = _text(m, "archive_dir")
    after = m.get("after_fetch", "archive" if archive else "delete")
    if after not in ("archive", "delete"):
        raise TransportConfigError("after_fetch", "must be \"archive\" or \"delete\"")
    if after == "archive" and archive is None:
        raise TransportConfigError("archive_dir", "required when after_fetch = \"archive\": the "
                                   "remote folder fetched files are moved to")
    if after == "delete" and archive is not None:
        raise TransportConfigError("archive_dir", "set, but after_fetch = \"delete\": remove one")
    return after, archive


def _secret(m: dict, key: str, environ: Mapping[str, str]) -> str | None:
    name = m.get(key)
    if name is None:
        return None
    if not isinstance(name, str) or not _ENV_NAME.match(name):
        raise TransportConfigError(key, "must be the NAME of an environment variable, "
                                        "e.g. \"ACME_SFTP_PASSWORD\"")
    value = environ.get(name)
    if not value:
        state = "is not set" if value is None else "is empty"
        raise TransportConfigError(key, f"environment variable {name} {state}: set it in the "
                                        "hub's environment before starting it")
    return value


def keyscan_hint(host: str, port: int) -> str:
    """The command that prints a server's ed25519 host key, to check with the partner."""
    return f"edihub partners keyscan {host}{'' if port == 22 else f' --port {port}'}"


def _host_keys(value: object, host: str, port: int) -> tuple[str, ...]:
    how = (f"get the server's key with `{keyscan_hint(host, port)}`, confirm its fingerprint "
           "with the partner, and pin it as host_keys = [\"ssh-ed25519 AAAA...\"]")
    if value is None or value == []:
        raise TransportConfigError("host_keys", f"required: no host key is ever trusted unless "
                                                f"pinned; {how}")
    if not isinstance(value, list):
        raise TransportConfigError("host_keys", f"must be a list of key lines; {how}")
    return tuple(_pin(line, i, how) for i, line in enumerate(value))


def _pin(line: object, i: int, how: str) -> str:
    """Normalise one pinned line to "type base64"; accepts ssh-keyscan's "host type base64"."""
    parts = line.split() if isinstance(line, str) else []
    if len(parts) >= 3 and parts[0] not in _HOST_KEY_TYPES:
        parts = parts[1:]
    if len(parts) < 2 or parts[0] not in _HOST_KEY_TYPES:
        raise TransportConfigError(f"host_keys[{i}]", f"not a public key line; {how}")
    try:
        parse_host_key(f"{parts[0]} {parts[1]}")
    except ValueError:
        raise TransportConfigError(f"host_keys[{i}]", f"the key data is damaged; {how}") from None
    return f"{parts[0]} {parts[1]}"


def parse_host_key(line: str) -> paramiko.PKey:
    """A paramiko public key from a "type base64" line; ValueError if it is not one."""
    kind, data = line.split()[:2]
    try:
        key = paramiko.PKey.from_type_string(kind, base64.b64decode(data, validate=True))
    except (binascii.Error, ValueError, TypeError, paramiko.SSHException,
            paramiko.UnknownKeyType) as exc:
        raise ValueError(f"not a {kind} public key") from exc
    if key.get_name() != kind:
        raise ValueError(f"the key data is a {key.get_name()} key, not {kind}")
    return key


def load_client_key(path: Path, passphrase: str | None) -> paramiko.PKey:
    """Read our private key; a PermanentTransportError names the file and what to do."""
    secret = None if passphrase is None else passphrase.encode()
    try:
        return paramiko.PKey.from_path(path, password=secret)
    except OSError as exc:
        problem = f"cannot read key_file {path}: {exc.strerror or exc}"
    except TypeError:
        problem = (f"key_file {path} is protected by a passphrase: set key_passphrase_env to the "
                   "name of an environment variable holding it")
    except (ValueError, paramiko.SSHException, paramiko.UnknownKeyType):
        problem = (f"cannot load key_file {path}: it is not an OpenSSH or PEM private key, or "
                   "the passphrase is wrong")
    raise PermanentTransportError(problem)


def host_key_algorithms(pins: Iterable[str]) -> list[str]:
    """The host-key algorithms to offer: only those of the pinned keys, in pinned order."""
    algorithms: list[str] = []
    for line in pins:
        kind = line.split()[0]
        # paramiko signs with SHA-2 for RSA keys; plain ssh-rsa (SHA-1) is not offered.
        for name in ("rsa-sha2-512", "rsa-sha2-256") if kind == "ssh-rsa" else (kind,):
            if name not in algorithms:
                algorithms.append(name)
    return algorithms
