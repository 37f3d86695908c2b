"""Read an SSH server's host keys, to pin them in a partner file (like ``ssh-keyscan``).

Pinning is a deliberate step an operator (or a provisioning script) takes once; the
transport itself never trusts a key it was not given.
"""

from __future__ import annotations

import base64
import hashlib
import socket

import paramiko

from transports.errors import TransientTransportError

KEY_TYPES = ("ssh-ed25519", "ecdsa-sha2-nistp256", "rsa-sha2-512", "ssh-rsa")


def scan_host_keys(host: str, port: int = 22, types: tuple[str, ...] = ("ssh-ed25519",),
                   timeout: float = 10.0) -> list[tuple[str, str]]:
    """The server's host keys of the given types as ("type base64", "SHA256:...") pairs."""
    found = []
    for key_type in types:
        sock = None
        try:
            sock = socket.create_connection((host, port), timeout)
            transport = paramiko.Transport(sock)
            transport.get_security_options().key_types = [key_type]
            transport.start_client(timeout=timeout)
            key = transport.get_remote_server_key()
            transport.close()
        except paramiko.SSHException:
            continue   # the server has no key of this type
        except OSError as exc:
            raise TransientTransportError(f"cannot reach {host}:{port}: {exc}") from exc
        finally:
            if sock is not None:
                sock.close()
        digest = base64.b64encode(hashlib.sha256(key.asbytes()).digest()).decode().rstrip("=")
        found.append((f"{key.get_name()} {key.get_base64()}", f"SHA256:{digest}"))
    return found
