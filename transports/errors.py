"""Transport errors: transient ones are retried, permanent ones become Incidents."""

from __future__ import annotations


class TransportError(Exception):
    """Root of transport errors."""

    incident_code = "transport.error"


class TransientTransportError(TransportError):
    """Worth retrying later: a timeout, a refused or dropped connection, a busy server."""

    incident_code = "transport.unreachable"


class PermanentTransportError(TransportError):
    """Retrying will not help until someone changes something: bad key, host key, permission."""

    incident_code = "transport.refused"


class HostKeyError(PermanentTransportError):
    """The server's host key is unknown or differs from the one pinned in the partner file."""

    incident_code = "transport.host_key"


class WithdrawnError(TransportError):
    """The sender withdrew a document just before publishing it (``may_publish`` said no):
    nothing was published and nothing is left under a temporary name."""

    incident_code = "transport.withdrawn"


class TransportConfigError(Exception):
    """A transport setting is missing or wrong; ``key`` names it within the [transport] table."""

    def __init__(self, key: str, problem: str):
        self.key, self.problem = key, problem
        super().__init__(f"transport.{key}: {problem}")
