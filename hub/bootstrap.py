"""Wire the hub: the one place that chooses concrete classes.

:func:`bootstrap` reads the instance's settings, partner, catalog and mapping files (all
checked, failing fast with file-and-key errors), opens the store and builds the
:class:`Hub` that the command line, the web app, the worker and the tests use.
"""

from __future__ import annotations

import os
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from sqlalchemy import Engine

from hub.adapters.archive import Archive
from hub.adapters.db import make_engine, migrate
from hub.adapters.delivery import TransportFactory, TransportPool
from hub.adapters.order_files import OrderFileError, ReadNotes, detect_format, read_orders
from hub.adapters.partner_files import CATALOG_FILE, load_catalog, load_partners, load_partner
from hub.adapters.toml_table import Problems
from hub.adapters.unit_of_work import SqlUnitOfWork
from hub.config import Settings, load_settings
from hub.domain.model import IncidentDraft
from hub.domain.partner import Catalog, Partner
from hub.edi.document import Renderer
from hub.errors import ConfigError, PartnerConfigError, each_problem
from hub.rwlock import ReadWriteLock
from hub.services.change_files import ChangeFileReport, take_change_records
from hub.services.dispatch import Dispatcher
from hub.services.imports import ImportReport, import_records
from hub.services.inbound import Arrival, ReceiveReport, Receiver
from hub.services.polling import InboxPoller, PollReport, receive_safely
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
    catalog: Catalog | None = None      # None: the catalog could not be read (see errors)
    renderers: dict[str, Renderer] = field(default_factory=dict)
    change_renderers: dict[str, Renderer] = field(default_factory=dict)
    answer_mappings: dict[str, list] = field(default_factory=dict)
    errors: list[ConfigError] = field(default_factory=list)


NO_PARTNERS = ("no partner files yet: copy an example from partners/examples/ to partners/<id>.toml "
               "and fill it in (its comments say how; docs/configuration.md lists every key), then "
               "list the SKUs each supplier sells in partners/catalog.csv")


def load_configuration(settings: Settings, factories: dict[str, TransportFactory] | None = None,
                       environ: dict | None = None, files: Path | None = None) -> Configuration:
    """Load and check every partner, catalog and mapping file; collect all problems.

    ``files`` is a folder holding ``partners/`` and ``mappings/`` to read instead of the
    instance's own (a trial copy with a changed file in place); transport settings still
    resolve key files against the instance home.
    """
    cfg = Configuration()
    partners_dir = files / "partners" if files else settings.partners_dir
    mappings_dir = files / "mappings" if files else settings.mappings_dir
    pool = TransportPool({}, factories or default_transports(), settings.home, settings.channels)
    broken: set[str] = set()   # partner files that exist but did not load (their errors are listed)
    for path in sorted(partners_dir.glob("*.toml")):
        try:
            partner = load_partner(path, pool.check_settings)
        except ConfigError as exc:
            cfg.errors.extend(each_problem(exc))
            broken.add(path.stem)
            continue
        cfg.partners[partner.id] = partner
    if not cfg.partners and not cfg.errors:
        cfg.errors.append(PartnerConfigError(partners_dir, "", NO_PARTNERS))
    found = Problems(partners_dir)
    cfg.catalog = found.take(load_catalog, partners_dir / CATALOG_FILE, cfg.partners, broken)
    mappings: dict[Path, object] = {}
    for partner in cfg.partners.values():
        # each is read on its own: a broken mapping does not hide a broken answer mapping
        renderer = found.take(renderer_for, mappings_dir, partner, mappings, environ)
        if renderer is not None:
            cfg.renderers[partner.id] = renderer
        if partner.change_mapping:
            renderer = found.take(renderer_for, mappings_dir, partner, mappings, environ, change=True)
            if renderer is not None:
                cfg.change_renderers[partner.id] = renderer
        answers = found.take(_answer_mappings, mappings_dir, partner, mappings)
        if answers is not None:
            cfg.answer_mappings[partner.id] = answers
    for name in settings.channels:
        found.take(pool.check_channel, name)
    cfg.errors.extend(found.found)
    # a mapping two partners use is read for each: say each of its problems once
    cfg.errors = list({(e.path, e.where, e.problem): e for e in cfg.errors}.values())
    return cfg


def renderer_for(mappings_dir: Path, partner: Partner, cache: dict | None = None,
                 environ: dict | None = None, change: bool = False) -> Renderer:
    """The renderer writing ``partner``'s purchase orders (``change``: its purchase-order
    changes) with its mapping from ``mappings_dir``."""
    cache = {} if cache is None else cache
    if partner.po_format == "x12":
        from hub.adapters.mapping_files import load_x12_mapping
        from hub.edi.x12.pochange860 import ChangeRenderer
        from hub.edi.x12.po850 import X12Renderer
        name = partner.x12.change_mapping if change else partner.x12.mapping
        path = _mapping_path(mappings_dir, partner, name)
        if path not in cache:
            cache[path] = load_x12_mapping(path)
        return (ChangeRenderer if change else X12Renderer)(partner, cache[path])
    from hub.adapters.xml_mapping_files import load_xml_mapping, resolve_secrets
    from hub.edi.xml.po import CHANGE, PURCHASE_ORDER, XmlRenderer
    path = _mapping_path(mappings_dir, partner, partner.xml.change_mapping if change else partner.xml.mapping)
    if path not in cache:
        cache[path] = load_xml_mapping(path)
    wanted = CHANGE if change else PURCHASE_ORDER
    if cache[path].document != wanted:
        raise PartnerConfigError(partner.source, "xml.change_mapping" if change else "xml.mapping",
                                 f"mappings/{path.name} reads a {cache[path].document}, not a "
                                 f"{wanted}: its edihub:mapping says document=\"{cache[path].document}\"")
    return XmlRenderer(partner, cache[path], resolve_secrets(partner, environ))


def _answer_mappings(mappings_dir: Path, partner: Partner, cache: dict) -> list:
    if partner.xml is None or not partner.xml.answers:
        return []
    from hub.adapters.xml_answer_mapping_files import load_answer_mapping
    out = []
    for name in partner.xml.answers:
        path = _mapping_path(mappings_dir, partner, name)
        if path not in cache:
            cache[path] = load_answer_mapping(path)
        out.append(cache[path])
    return out


def channel_targets(settings: Settings) -> dict[str, tuple[str, ...]]:
    """Per channel, how it hears of shipments: a webhook, a file, or both."""
    return {name: (("notify-webhook",) if c.webhook_url else ()) + (("notify-file",) if c.notify_folder else ())
            for name, c in settings.channels.items()}


def _mapping_path(mappings_dir: Path, partner: Partner, name: str) -> Path:
    path = (mappings_dir / name).resolve()
    if mappings_dir.resolve() not in path.parents:
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
    factories: dict[str, TransportFactory] = field(default_factory=default_transports)
    environ: dict | None = None
    stamp: tuple = ()               # the configuration files as they were when last loaded
    # Jobs (and web requests) read the configuration under the read side; reload() swaps it
    # under the write side, so nothing ever sees half of an old and half of a new one.
    config_lock: ReadWriteLock = field(default_factory=ReadWriteLock)
    reload_lock: threading.Lock = field(default_factory=threading.Lock)   # one reload at a time

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
        except OrderFileError as exc:
            report = ImportReport(label, fatal=str(exc))
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

    def change_file(self, path: Path, fmt: str = "auto", actor: str = "") -> ChangeFileReport:
        """Take the changes of a JSON or JSON-lines file, streamed: each record is one change
        naming its channel, channel_order_id and change_id."""
        notes = ReadNotes()
        report = ChangeFileReport(path.name)
        try:
            fmt = detect_format(path, fmt)
            if fmt == "csv":
                raise OrderFileError("changes are read from JSON or JSON lines, not CSV")
            with open(path, "rb") as fh:
                report = take_change_records(self.context, read_orders(fh, fmt, notes), path.name, actor)
        except OSError as exc:
            report.fatal = f"cannot read {path}: {exc.strerror or exc}"
        except OrderFileError as exc:
            report.fatal = str(exc)
        report.fatal = report.fatal or notes.fatal
        return report

    def receive_stream(self, stream, source: str, remote_name: str = "",
                       partner_id: str | None = None, beside: str = "") -> ReceiveReport:
        """Archive an inbound file from a stream (``beside`` another archived file, e.g. the AS2
        message that carried it), then read and apply it."""
        path, sha, size = self.archive.store_in(stream, self.clock(), beside=beside)
        return receive_safely(self.context, self.receiver, Arrival(source, self.archive.relative(path), sha,
                                                                   size, remote_name, partner_id))

    def poll_inbox(self, partner_id: str, should_stop=lambda: False) -> PollReport:
        """Fetch every waiting file from a partner's inbox: archive, apply, then let it go."""
        return InboxPoller(self.context, self.pool, self.archive, self.receiver).poll(partner_id, should_stop)

    def load_configuration(self, files: Path | None = None) -> Configuration:
        """Read and check the partner, catalog and mapping files now (``files``: a trial copy)."""
        return load_configuration(self.settings, self.factories, self.environ, files)

    def renderer(self, partner: Partner) -> Renderer:
        """A renderer for ``partner`` as given (e.g. switched to test mode), its mapping as on disk."""
        return renderer_for(self.settings.mappings_dir, partner, environ=self.environ)

    def probe(self, partner: Partner) -> list[str]:
        """Test the connection to ``partner`` with its settings as given, on a connection of
        its own (closed afterwards); DeliveryError in words when it fails."""
        pool = TransportPool({partner.id: partner}, self.factories, self.settings.home)
        try:
            return pool.probe(partner.id)
        finally:
            pool.close()

    def send_once(self, partner: Partner, filename: str, payload: bytes, content_type: str) -> dict:
        """Deliver one document to ``partner`` with its settings as given, on a connection of
        its own; the receipt, or DeliveryError."""
        pool = TransportPool({partner.id: partner}, self.factories, self.settings.home)
        try:
            return pool.send(partner.id, filename, payload, content_type)
        finally:
            pool.close()

    def config_changed(self) -> bool:
        """True when a partner, catalog or mapping file changed on disk since the last load."""
        return config_stamp(self.settings) != self.stamp

    def reload(self, then: Callable[[], None] | None = None) -> list[ConfigError]:
        """Read the partner, catalog and mapping files again and swap them in, between jobs.

        When any file has a problem nothing changes: the problems are returned and the hub
        keeps the configuration it runs with. ``then`` runs under the same lock, after the swap.
        """
        with self.reload_lock:   # two at once could swap an older reading in last
            stamp = config_stamp(self.settings)
            cfg = self.load_configuration()
            if cfg.errors:
                self.stamp = stamp      # said once; the next change to a file is tried again
                return cfg.errors
            pool = TransportPool(cfg.partners, self.factories, self.settings.home, self.settings.channels)
            with self.config_lock.writing():
                old, self.pool = self.pool, pool
                c = self.context
                c.partners, c.catalog, c.renderers, c.answer_mappings = (
                    cfg.partners, cfg.catalog, cfg.renderers, cfg.answer_mappings)
                c.change_renderers = cfg.change_renderers
                self.stamp = stamp
                if then is not None:
                    then()
        old.close()   # no job holds it now: every reader started after the swap
        return []

    def close(self) -> None:
        """Close transports and the store's connections."""
        self.pool.close()
        self.engine.dispose()


def worker_name() -> str:
    """A name for this worker process, unique on the host: host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


def config_stamp(settings: Settings) -> tuple:
    """What the partner, catalog and mapping files look like on disk: names, sizes, times."""
    paths = [*settings.partners_dir.glob("*.toml"), settings.partners_dir / CATALOG_FILE,
             *settings.mappings_dir.rglob("*")]
    stamp = []
    for path in sorted(paths):
        try:
            st = path.stat()
        except OSError:
            continue
        if not path.is_dir():
            stamp.append((str(path), st.st_mtime_ns, st.st_size, st.st_ino))
    return tuple(stamp)


def bootstrap(home: Path | str | None = None, settings: Settings | None = None,
              clock: Callable[[], datetime] = utc_now,
              transports: dict[str, TransportFactory] | None = None,
              migrate_store: bool = True, environ: dict | None = None, lenient: bool = False) -> Hub:
    """Build a Hub for an instance; raise ConfigError listing every configuration problem.

    ``lenient`` builds it anyway, with the partners that load (for commands that fix files).
    """
    settings = settings or load_settings(home, environ)
    factories = transports or default_transports()
    stamp = config_stamp(settings)
    cfg = load_configuration(settings, factories, environ)
    if cfg.errors and not lenient:
        raise ConfigError(settings.home, "", "configuration problems:\n  " +
                          "\n  ".join(str(e) for e in cfg.errors))
    engine = make_engine(settings.database_url)
    if migrate_store:
        migrate(engine)
    archive = Archive(settings.archive_dir)
    pool = TransportPool(cfg.partners, factories, settings.home, settings.channels)
    context = HubContext(uow=lambda readonly=False: SqlUnitOfWork(engine, readonly), partners=cfg.partners,
                         catalog=cfg.catalog or Catalog([]), renderers=cfg.renderers,
                         change_renderers=cfg.change_renderers,
                         channels=frozenset(settings.channels), review=settings.review,
                         routing=settings.routing, company=settings.company,
                         po_prefix=settings.po_prefix, clock=clock,
                         channel_targets=channel_targets(settings),
                         answer_mappings=cfg.answer_mappings)
    return Hub(settings, engine, context, pool, archive, clock, Receiver(context, archive.root),
               factories, environ, stamp)


__all__ = ["Hub", "bootstrap", "config_stamp", "load_configuration", "load_partners", "renderer_for",
           "utc_now"]
