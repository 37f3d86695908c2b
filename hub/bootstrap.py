"""Wire the hub: the one place that chooses concrete classes.

:func:`bootstrap` reads the instance's settings, partner, catalog and mapping files (all
checked, failing fast with file-and-key errors), opens the store and builds the
:class:`Hub` that the command line, the web app, the worker and the tests use.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from sqlalchemy import Engine

from hub.adapters.archive import Archive
from hub.adapters.db import make_engine, migrate
from hub.adapters.delivery import TransportFactory, TransportPool
from hub.adapters.order_files import ReadNotes, detect_format, read_orders
from hub.adapters.partner_files import CATALOG_FILE, load_catalog, load_partners, load_partner
from hub.adapters.unit_of_work import SqlUnitOfWork
from hub.config import Settings, load_settings
from hub.domain.model import IncidentDraft
from hub.domain.partner import Catalog, Partner
from hub.edi.document import Renderer
from hub.errors import ConfigError, DeliveryError, PartnerConfigError
from transports.errors import PermanentTransportError
from hub.services.dispatch import Dispatcher
from hub.services.imports import ImportReport, import_records
from hub.services.inbound import Arrival, ReceiveReport, Receiver
from hub.services.inbox import note_skipped
from hub.services.ports import HubContext


def utc_now() -> datetime:
    """The real clock."""
    return datetime.now(timezone.utc)


def default_transports() -> dict[str, TransportFactory]:
    """Transport types a partner file may name, each built from its [transport] table."""
    def folder(m: dict, home: Path):
        from transports.folder import FolderSettings, FolderTransport
        return FolderTransport(FolderSettings.from_mapping(m, home))

    def sftp(m: dict, home: Path):
        from transports.sftp import SftpSettings, SftpTransport
        return SftpTransport(SftpSettings.from_mapping(m, home))

    def as2(m: dict, home: Path):
        from transports.as2 import As2Settings, As2Transport
        return As2Transport(As2Settings.from_mapping(m, home))

    def webhook(m: dict, home: Path):
        from transports.webhook import WebhookSettings, WebhookTransport
        return WebhookTransport(WebhookSettings.from_mapping(m, base=home))

    return {"folder": folder, "sftp": sftp, "as2": as2, "webhook": webhook}


@dataclass
class Configuration:
    """Partner files, catalog and compiled mappings of an instance, or what is wrong with them."""

    partners: dict[str, Partner] = field(default_factory=dict)
    catalog: Catalog = field(default_factory=lambda: Catalog([]))
    renderers: dict[str, Renderer] = field(default_factory=dict)
    answer_mappings: dict[str, list] = field(default_factory=dict)
    errors: list[ConfigError] = field(default_factory=list)


def load_configuration(settings: Settings, factories: dict[str, TransportFactory] | None = None,
                       environ: dict | None = None) -> Configuration:
    """Load and check every partner, catalog and mapping file; collect all problems."""
    cfg = Configuration()
    for path in sorted(settings.partners_dir.glob("*.toml")):
        try:
            partner = load_partner(path)
        except ConfigError as exc:
            cfg.errors.append(exc)
            continue
        cfg.partners[partner.id] = partner
    if not cfg.partners and not cfg.errors:
        cfg.errors.append(PartnerConfigError(settings.partners_dir, "", "no partner files (*.toml)"))
    try:
        cfg.catalog = load_catalog(settings.partners_dir / CATALOG_FILE, cfg.partners)
    except ConfigError as exc:
        cfg.errors.append(exc)
    mappings: dict[Path, object] = {}
    pool = TransportPool(cfg.partners, factories or default_transports(), settings.home,
                         settings.channels)
    for partner in cfg.partners.values():
        try:
            cfg.renderers[partner.id] = _renderer(settings, partner, mappings, environ)
            cfg.answer_mappings[partner.id] = _answer_mappings(settings, partner, mappings)
            pool.check(partner)
        except ConfigError as exc:
            cfg.errors.append(exc)
    for name in settings.channels:
        try:
            pool.check_channel(name)
        except ConfigError as exc:
            cfg.errors.append(exc)
    return cfg


def _renderer(settings: Settings, partner: Partner, cache: dict, environ: dict | None) -> Renderer:
    if partner.po_format == "x12":
        from hub.adapters.mapping_files import load_x12_mapping
        from hub.edi.po850 import X12Renderer
        path = _mapping_path(settings, partner, partner.x12.mapping)
        if path not in cache:
            cache[path] = load_x12_mapping(path)
        return X12Renderer(partner, cache[path])
    from hub.adapters.xml_mapping_files import load_xml_mapping, resolve_secrets
    from hub.edi.xml_po import XmlRenderer
    path = _mapping_path(settings, partner, partner.xml.mapping)
    if path not in cache:
        cache[path] = load_xml_mapping(path)
    return XmlRenderer(partner, cache[path], resolve_secrets(partner, environ))


def _answer_mappings(settings: Settings, partner: Partner, cache: dict) -> list:
    if partner.xml is None or not partner.xml.answers:
        return []
    from hub.adapters.xml_answer_mapping_files import load_answer_mapping
    out = []
    for name in partner.xml.answers:
        path = _mapping_path(settings, partner, name)
        if path not in cache:
            cache[path] = load_answer_mapping(path)
        out.append(cache[path])
    return out


def channel_targets(settings: Settings) -> dict[str, tuple[str, ...]]:
    """Per channel, how it hears of shipments: a webhook, a file, or both."""
    return {name: (("notify-webhook",) if c.webhook_url else ()) + (("notify-file",) if c.notify_folder else ())
            for name, c in settings.channels.items()}


def _mapping_path(settings: Settings, partner: Partner, name: str) -> Path:
    path = (settings.mappings_dir / name).resolve()
    if settings.mappings_dir.resolve() not in path.parents:
        raise PartnerConfigError(partner.source, "mapping", f"{name!r} is outside mappings/")
    if not path.is_file():
        raise PartnerConfigError(partner.source, "mapping", f"no mapping file mappings/{name}")
    return path


@dataclass
class Hub:
    """A running instance: settings, store, configuration and collaborators."""

    settings: Settings
    engine: Engine
    context: HubContext
    pool: TransportPool
    archive: Archive
    clock: Callable[[], datetime]
    receiver: Receiver

    def uow(self, readonly: bool = False) -> SqlUnitOfWork:
        """A new unit of work on the store."""
        return SqlUnitOfWork(self.engine, readonly)

    def dispatcher(self, worker_id: str | None = None, should_stop=lambda: False) -> Dispatcher:
        """A dispatcher delivering the outbox through the partners' transports."""
        return Dispatcher(self.context, self.pool, self.archive, worker_id or worker_name(),
                          self.settings.jobs.max_attempts, self.settings.jobs.retry_base_seconds,
                          should_stop=should_stop)

    def import_file(self, path: Path, channel: str | None = None, fmt: str = "auto",
                    progress: Callable[[int, int], None] = lambda done, size: None) -> ImportReport:
        """Import an order file (JSON, JSON lines or CSV), streamed; ``progress`` gets bytes read."""
        notes = ReadNotes()
        label = path.name
        try:
            fmt = detect_format(path, fmt)
            size = path.stat().st_size
            with open(path, "rb") as fh:
                def tick(_records: int) -> None:
                    progress(fh.tell(), size)
                report = import_records(self.context, read_orders(fh, fmt, notes), label, channel, tick)
        except OSError as exc:
            report = ImportReport(label, fatal=f"cannot read {path}: {exc.strerror or exc}")
        report.notes.extend(notes.notes)
        report.fatal = report.fatal or notes.fatal
        if report.fatal:
            with self.uow() as uow:
                uow.repo.file_incidents([IncidentDraft(
                    code="intake.unreadable_file", channel=channel or "",
                    message=f"{label}: {report.fatal}", detail={"file": str(path)},
                    dedupe_key=f"intake.unreadable:{path}")], self.clock())
                uow.commit()
        return report

    def receive_stream(self, stream, source: str, remote_name: str = "",
                       partner_id: str | None = None) -> ReceiveReport:
        """Archive an inbound file from a stream, then read and apply it."""
        path, sha, size = self.archive.store_in(stream, self.clock())
        return self.receiver.receive(Arrival(source, self.archive.relative(path), sha, size,
                                             remote_name, partner_id))

    def poll_inbox(self, partner_id: str, should_stop=lambda: False) -> list[ReceiveReport]:
        """Fetch every waiting file from a partner's inbox: archive, apply, then let it go.

        A transport failure becomes an Incident (one per partner, cleared by the next good poll).
        """
        from transports.errors import TransportError
        key = f"poll:{partner_id}"
        try:
            reports = self._poll(partner_id, should_stop)
        except (TransportError, DeliveryError) as exc:
            transient = not isinstance(exc, PermanentTransportError) and getattr(exc, "transient", True)
            with self.uow() as uow:
                uow.repo.file_incidents([IncidentDraft(
                    code=exc.incident_code, partner_id=partner_id, dedupe_key=key,
                    message=f"cannot fetch {partner_id}'s documents: {exc}"
                            + ("; retrying at the next poll" if transient else ""))], self.clock())
                uow.commit()
            return []
        with self.uow() as uow:
            uow.repo.resolve_incidents([key], self.clock(), "the inbox was read again")
            uow.commit()
        return reports

    def _poll(self, partner_id: str, should_stop) -> list[ReceiveReport]:
        transport = self.pool.get(partner_id)
        reports = []
        listing = transport.list_inbox()
        # Files skipped for their names never block the others; an operator hears of them.
        note_skipped(self.context, partner_id, getattr(listing, "skipped", ()))
        for remote in listing:
            if should_stop():
                break   # the files left wait for the next poll, untouched
            path, sha, size = self.archive.store_in_with(lambda sink: transport.fetch(remote.name, sink),
                                                         self.clock())
            arrival = Arrival(transport.name, self.archive.relative(path), sha, size, remote.name,
                              partner_id)
            reports.append(self._receive_safely(arrival))
            transport.done(remote.name)   # only now: the bytes are safe and the outcome recorded
        return reports

    def _receive_safely(self, arrival: Arrival) -> ReceiveReport:
        """Receive; an unexpected failure is recorded against the archived bytes, not retried forever."""
        try:
            return self.receiver.receive(arrival)
        except Exception as exc:  # a bug must not lose the file nor stop the other files
            logging.getLogger("edihub.inbound").exception("processing %s failed", arrival.archive_path)
            from hub.services.inbound import record_failure
            return record_failure(self.context, arrival, exc)

    def close(self) -> None:
        """Close transports and the store's connections."""
        self.pool.close()
        self.engine.dispose()


def worker_name() -> str:
    """A name for this worker process, unique on the host: host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


def bootstrap(home: Path | str | None = None, settings: Settings | None = None,
              clock: Callable[[], datetime] = utc_now,
              transports: dict[str, TransportFactory] | None = None,
              migrate_store: bool = True, environ: dict | None = None) -> Hub:
    """Build a Hub for an instance; raise ConfigError listing every configuration problem."""
    settings = settings or load_settings(home, environ)
    factories = transports or default_transports()
    cfg = load_configuration(settings, factories, environ)
    if cfg.errors:
        raise ConfigError(settings.home, "", "configuration problems:\n  " +
                          "\n  ".join(str(e) for e in cfg.errors))
    engine = make_engine(settings.database_url)
    if migrate_store:
        migrate(engine)
    archive = Archive(settings.archive_dir)
    pool = TransportPool(cfg.partners, factories, settings.home, settings.channels)
    context = HubContext(uow=lambda: SqlUnitOfWork(engine), partners=cfg.partners,
                         catalog=cfg.catalog, renderers=cfg.renderers,
                         channels=frozenset(settings.channels), review=settings.review,
                         routing=settings.routing, company=settings.company,
                         po_prefix=settings.po_prefix, clock=clock,
                         channel_targets=channel_targets(settings),
                         answer_mappings=cfg.answer_mappings)
    return Hub(settings, engine, context, pool, archive, clock, Receiver(context, archive.root))


__all__ = ["Hub", "bootstrap", "load_configuration", "load_partners", "utc_now"]
