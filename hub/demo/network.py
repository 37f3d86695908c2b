"""The networked demo: acme reached over SFTP, initech over AS2, every server on loopback.

:class:`DemoNetwork` starts the embedded SFTP server on acme's folder and initech's AS2
station, then points the two partner files at them (fresh ports at every run). Once the hub
is bootstrapped, :meth:`DemoNetwork.serve_hub` serves the hub's own web app, whose ``/as2``
takes initech's answers. Leaving the ``with`` blocks stops every server and thread.
"""

from __future__ import annotations

import json
import secrets
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import select

from hub.demo.as2_station import SupplierAs2Station
from hub.demo.http_server import LoopbackHttpServer
from hub.demo.keys import DemoKeys, demo_keys
from hub.demo.partner_transports import (SFTP_USER, as2_table, sftp_table, transport_type,
                                         write_transport)
from hub.demo.sftp_server import EmbeddedSftpServer
from hub.demo.suppliers import demo_suppliers


def demo_app(hub):
    """The hub's web app as the demo serves it on loopback: the API gets throwaway tokens
    nobody knows (so it stays closed, without a warning about unset ones), the console a
    session key of its own and cookies that plain http on 127.0.0.1 carries."""
    from web import create_app
    names = [hub.settings.secret_key_env] + [c.token_env for c in hub.settings.channels.values() if c.token_env]
    return create_app(hub, environ={name: secrets.token_urlsafe(32) for name in names}, demo=True)


def is_networked(home: Path) -> bool:
    """True when the instance's demo suppliers are reached over SFTP and AS2."""
    return transport_type(home, "acme") == "sftp"


class DemoNetwork:
    """The loopback servers of the networked demo, and what went through them."""

    def __init__(self, home: Path):
        self.home = home.resolve()
        self.keys: DemoKeys | None = None
        self.sftp: EmbeddedSftpServer | None = None
        self.station: SupplierAs2Station | None = None
        self._station_server: LoopbackHttpServer | None = None
        self._hub_server: LoopbackHttpServer | None = None

    def __enter__(self) -> DemoNetwork:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _start(self) -> None:
        self.keys = keys = demo_keys(self.home)
        acme, initech = demo_suppliers(self.home)
        acme_root = acme.inbox.parent
        (acme_root / "fetched").mkdir(exist_ok=True)      # where fetched answers are moved
        self.sftp = EmbeddedSftpServer(acme_root, keys.sftp_host.private_file,
                                       keys.sftp_client.public_line, SFTP_USER)
        sftp_port = self.sftp.start()
        self.station = SupplierAs2Station(keys.initech_as2, keys.hub_as2, initech.inbox,
                                          initech.outbox, initech.inbox.parent / "sent")
        self._station_server = LoopbackHttpServer(self.station, "demo-initech-as2").start()
        partners = self.home / "partners"
        write_transport(partners / "acme.toml", sftp_table(keys, sftp_port), "SFTP")
        write_transport(partners / "initech.toml",
                        as2_table(keys, f"{self._station_server.url}/as2"), "AS2")

    @contextmanager
    def serve_hub(self, hub, port: int = 0) -> Iterator[str]:
        """Serve the hub's web app (its /as2 for initech's answers, the console); yield its base URL."""
        self._hub_server = LoopbackHttpServer(demo_app(hub), "demo-hub-web", port, threaded=True).start()
        self.station.hub_url = self._hub_server.url
        try:
            yield self._hub_server.url
        finally:
            self.station.hub_url = None
            self._hub_server.stop()
            self._hub_server = None

    def describe(self) -> list[str]:
        """How each demo supplier is reached, for the demo's output."""
        keys, hub_port = self.keys, self._hub_server.port if self._hub_server else "-"
        return [f"acme: SFTP on 127.0.0.1:{self.sftp.port} (host key {keys.sftp_host.fingerprint},"
                f" pinned in partners/acme.toml; we log in as {SFTP_USER} with "
                f"{keys.sftp_client.private_file.relative_to(self.home)})",
                f"initech: AS2 to 127.0.0.1:{self._station_server.port} (signed, encrypted, "
                f"synchronous MDN), its answers to the hub's /as2 on 127.0.0.1:{hub_port}"]

    def deliver_answers(self) -> list[str]:
        """initech's station sends what the supplier wrote; the Message-IDs the hub confirmed."""
        return self.station.send_outbox()

    def summary(self) -> list[str]:
        """What went over the network during this run."""
        log = self.station.log
        lines = [f"initech's AS2 station: {len(log.received)} document(s) received from the "
                 f"hub, {len(log.sent)} answer(s) sent to the hub's /as2"]
        lines += [f"  problem: {problem}" for problem in log.problems]
        return lines

    def stop(self) -> None:
        """Stop every server this network started (safe to call more than once)."""
        for server in (self._hub_server, self._station_server, self.sftp):
            if server is not None:
                server.stop()
        self._hub_server = self._station_server = None


def applied_over_as2(hub, message_ids: list[str]) -> int:
    """Documents the hub applied from the AS2 messages with these Message-IDs."""
    from hub.adapters import tables as t
    from hub.adapters.as2_store import message_key
    if not message_ids:
        return 0
    i = t.interchanges
    with hub.uow(readonly=True) as uow:
        receipts = uow.conn.scalars(select(i.c.receipt).where(
            i.c.direction == "in", i.c.doc_type == "as2",
            i.c.remote_name.in_([message_key(m) for m in message_ids]))).all()
    return sum(json.loads(r or "{}").get("documents", {}).get("applied", 0) for r in receipts)
