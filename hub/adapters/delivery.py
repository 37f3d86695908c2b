"""Transports per partner, built once from partner files, speaking hub errors to services.

The services never import ``transports``: they call :meth:`TransportPool.send` and get a
receipt dictionary or a :class:`~hub.errors.DeliveryError` saying whether to retry.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from hub.domain.partner import Partner, TransportConfig
from hub.errors import ConfigError, DeliveryError, DeliveryWithdrawnError, PartnerConfigError
from transports.base import OutboundFile, Transport
from transports.errors import (PermanentTransportError, TransientTransportError,
                               TransportConfigError, WithdrawnError)

# type name -> function(settings dict, instance home) -> Transport
TransportFactory = Callable[[dict, Path], Transport]


class TransportPool:
    """One transport per partner, created on first use and reused (connections included)."""

    def __init__(self, partners: dict[str, Partner], factories: dict[str, TransportFactory],
                 home: Path, channels: dict | None = None):
        self.partners, self.factories, self.home = partners, factories, home
        self.channels = channels or {}
        self._open: dict[str, Transport] = {}

    def check_settings(self, source: str, transport: TransportConfig) -> None:
        """Build a transport from a partner file's [transport] table (``source`` names the
        file) and close it: PartnerConfigError naming the setting when one is wrong."""
        self._make(source, transport).close()

    def get(self, partner_id: str) -> Transport:
        """The transport for a partner id, or for ``channel:<name>:<notify-webhook|notify-file>``."""
        if partner_id.startswith("channel:"):
            if partner_id not in self._open:
                self._open[partner_id] = self._channel_transport(partner_id)
            return self._open[partner_id]
        if partner_id not in self._open:
            partner = self.partners.get(partner_id)
            if partner is None:
                raise DeliveryError(f"no partner file partners/{partner_id}.toml: nothing can be sent "
                                    f"to or read from {partner_id!r} until it exists", False,
                                    "partner.unknown")
            self._open[partner_id] = self._build(partner)
        return self._open[partner_id]

    def send(self, partner_id: str, filename: str, payload: bytes, content_type: str,
             attempt: int = 1, may_publish: Callable[[], bool] | None = None) -> dict:
        """Deliver one document; return the receipt as a dictionary.

        ``attempt`` numbers this try (see OutboundFile); ``may_publish`` is asked just before
        the document becomes visible: False raises DeliveryWithdrawnError, nothing published.
        """
        transport = self.get(partner_id)
        file = OutboundFile(filename, payload, content_type, attempt,
                            **({"may_publish": may_publish} if may_publish else {}))
        try:
            receipt = transport.send(file)
        except WithdrawnError as exc:
            raise DeliveryWithdrawnError(f"{partner_id}: {exc}") from exc
        except TransientTransportError as exc:
            raise DeliveryError(str(exc), True, exc.incident_code,
                                getattr(exc, "retry_after", None)) from exc
        except PermanentTransportError as exc:
            raise DeliveryError(str(exc), False, exc.incident_code) from exc
        return {"transport": receipt.transport, "remote_name": receipt.remote_name,
                "delivered_at": receipt.delivered_at.isoformat(),
                "already_present": receipt.already_present, "detail": receipt.detail}

    def probe(self, partner_id: str) -> list[str]:
        """Reach a partner's server as sending does and say what was found, line by line; a
        failure is a DeliveryError in words (a bad setting: a PartnerConfigError)."""
        transport = self.get(partner_id)
        probe = getattr(transport, "probe", None)
        if probe is None:
            return [f"{transport.name}: there is nothing to test for this transport"]
        try:
            return probe()
        except TransientTransportError as exc:
            raise DeliveryError(str(exc), True, exc.incident_code) from exc
        except PermanentTransportError as exc:
            raise DeliveryError(str(exc), False, exc.incident_code) from exc

    def _channel_transport(self, key: str) -> Transport:
        """A channel's webhook or notification folder, from its [channels.<name>] settings."""
        _, name, target = (key.split(":") + ["", ""])[:3]
        channel = self.channels.get(name)
        if channel is None:
            raise DeliveryError(f"channel {name!r} is not configured any more: its notification "
                                "cannot be sent", False, "channel.unknown")
        if target == "notify-webhook" and channel.webhook_url:
            settings = {"type": "webhook", "url": channel.webhook_url,
                        "secret_env": channel.webhook_secret_env}
            kind = "webhook"
        elif target == "notify-file" and channel.notify_folder is not None:
            settings, kind = {"type": "folder", "path": str(channel.notify_folder)}, "folder"
        else:
            raise DeliveryError(f"channel {name!r} has no {target} configured any more", False,
                                "channel.unknown")
        try:
            return self.factories[kind](settings, self.home)
        except TransportConfigError as exc:
            raise ConfigError("edihub.toml", f"channels.{name}.{'webhook_' if kind == 'webhook' else 'notify_'}"
                                             f"{exc.key}", exc.problem) from None

    def check_channel(self, name: str) -> None:
        """Build a channel's notification transports now, so a wrong setting fails at start-up."""
        channel = self.channels[name]
        targets = (["notify-webhook"] if channel.webhook_url else []) + \
            (["notify-file"] if channel.notify_folder is not None else [])
        for target in targets:
            self._channel_transport(f"channel:{name}:{target}").close()

    def _build(self, partner: Partner) -> Transport:
        return self._make(partner.source, partner.transport)

    def _make(self, source: str, transport: TransportConfig) -> Transport:
        factory = self.factories.get(transport.type)
        if factory is None:
            raise PartnerConfigError(source, "transport.type", f"unknown transport {transport.type!r}")
        try:
            return factory(transport.settings, self.home)
        except TransportConfigError as exc:
            raise PartnerConfigError(source, f"transport.{exc.key}", exc.problem) from None

    def close(self) -> None:
        """Close every open transport."""
        for transport in self._open.values():
            transport.close()
        self._open.clear()
