"""The worker: dispatch, drop folders, inbox polls, late-answer checks; one pass or forever.

``edihub run --once`` runs each job once and exits. ``edihub run`` keeps going: dispatch
runs in a thread of its own, woken the moment documents are queued (by this process, or by
another one through the store: PostgreSQL NOTIFY, SQLite's data_version), and otherwise
every ``[jobs] dispatch_seconds`` for retries that fall due; APScheduler runs the rest, each
partner's inbox on its own schedule. Several workers may share one PostgreSQL: outbox rows
are claimed with SKIP LOCKED and leases, inbox polls with a lease per partner.

SIGTERM (or Ctrl-C) lets the item in hand finish, gives back what was claimed but not
started, and exits; nothing is lost.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hub.adapters.drop_folders import DropFolder, process
from hub.adapters.wakeup import outbox_watcher
from hub.bootstrap import Hub, worker_name
from hub.services.dispatch import DispatchReport
from hub.services.imports import ImportReport

log = logging.getLogger("edihub.worker")
POLL_LEASE = timedelta(minutes=10)


def trigger(schedule: str):
    """An APScheduler trigger from a partner file's poll schedule ("interval:5m", "cron:*/10 * * * *")."""
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger
    kind, _, rest = schedule.partition(":")
    if kind == "cron":
        return CronTrigger.from_crontab(rest, timezone=timezone.utc)
    unit = {"s": 1, "m": 60, "h": 3600}[rest[-1]]
    return IntervalTrigger(seconds=float(rest[:-1]) * unit, timezone=timezone.utc)


@dataclass
class PassReport:
    """What one pass of every job did."""

    dispatch: DispatchReport = field(default_factory=DispatchReport)
    imports: list[ImportReport] = field(default_factory=list)
    received: list = field(default_factory=list)
    overdue: tuple[int, int] = (0, 0)


class Worker:
    """Runs the hub's jobs for one instance."""

    def __init__(self, hub: Hub, drop_settle_seconds: float = 2.0, name: str | None = None):
        self.hub = hub
        self.name = name or worker_name()
        self.stop = threading.Event()
        self.wake = threading.Event()
        self.drop_settle_seconds = drop_settle_seconds
        # One dispatcher for the worker's life: its circuit breakers remember failing partners.
        self.dispatcher = hub.dispatcher(self.name, should_stop=self.stop.is_set)

    # -- the jobs ----------------------------------------------------------------------------

    def dispatch(self) -> DispatchReport:
        """Deliver everything due in the outbox."""
        report = self.dispatcher.run_until_empty()
        if report.claimed:
            log.info("dispatch: %s sent (%s already there), %s retrying, %s failed",
                     report.sent, report.already_present, report.retrying, report.failed)
        return report

    def drop_folders(self) -> list[ImportReport]:
        """Import files waiting in every channel's drop folder."""
        reports = []
        for channel in self.hub.settings.channels.values():
            if channel.drop_folder is None or self.stop.is_set():
                continue
            folder = DropFolder(channel.name, channel.drop_folder, channel.drop_format,
                                self.drop_settle_seconds)
            reports += process(folder, self._import)
        return reports

    def _import(self, path: Path, folder: DropFolder) -> ImportReport:
        report = self.hub.import_file(path, folder.channel, folder.fmt)
        log.info("%s", report.summary())
        return report

    def poll(self, partner_id: str) -> list:
        """Fetch and apply what one partner left in its inbox, holding that partner's poll lease."""
        if self.stop.is_set():
            return []
        lease = f"poll:{partner_id}"
        now = self.hub.clock()
        with self.hub.uow() as uow:
            mine = uow.repo.take_lease(lease, self.name, now, now + POLL_LEASE)
            uow.commit()
        if not mine:
            return []  # another worker is reading this inbox right now
        try:
            reports = self.hub.poll_inbox(partner_id, should_stop=self.stop.is_set)
        finally:
            with self.hub.uow() as uow:
                uow.repo.release_lease(lease, self.name)
                uow.commit()
        for r in reports:
            log.info("%s: %s, %s transaction(s), %s applied, %s ack(s) queued", partner_id, r.state,
                     r.transactions, r.applied, r.acks_queued)
        return reports

    def poll_all(self) -> list:
        """Every active partner's inbox, once."""
        return [r for pid, p in self.hub.context.partners.items() if p.active for r in self.poll(pid)]

    def overdue(self) -> tuple[int, int]:
        """Raise and clear Incidents for late 997/855/856."""
        from hub.services.overdue import check_overdue
        return check_overdue(self.hub.context)

    def certificates(self) -> tuple[int, int]:
        """Incidents for AS2 certificates that expire within 30 days (and clear renewed ones)."""
        from hub.services.certificates import check_hub_certificates
        return check_hub_certificates(self.hub)

    def run_once(self) -> PassReport:
        """One pass of every job: intake first, so the pass sends what it takes in, then answers."""
        recover_dead_workers(self.hub)
        imports = self.drop_folders()
        received = self.poll_all()
        dispatch = self.dispatch()
        self.certificates()
        return PassReport(dispatch=dispatch, imports=imports, received=received, overdue=self.overdue())

    # -- running forever -----------------------------------------------------------------------

    def _dispatch_loop(self) -> None:
        interval = self.hub.settings.jobs.dispatch_seconds
        while not self.stop.is_set():
            self.wake.wait(timeout=interval)
            self.wake.clear()
            if self.stop.is_set():
                break
            try:
                self.dispatch()
            except Exception:  # keep the loop alive; the error is logged and the rows stay queued
                log.exception("dispatch pass failed")

    def _watch(self) -> None:
        watcher = outbox_watcher(self.hub.engine)
        try:
            while not self.stop.is_set():
                if watcher.wait(timeout=1.0):
                    self.wake.set()
        except Exception:  # the listening connection broke: the interval still dispatches
            log.exception("outbox watcher stopped; dispatching every %s s",
                          self.hub.settings.jobs.dispatch_seconds)
        finally:
            watcher.close()

    def run_forever(self) -> None:
        """Run until SIGTERM or SIGINT; the item in hand finishes first."""
        from apscheduler.schedulers.background import BackgroundScheduler

        recover_dead_workers(self.hub)
        self.hub.context.on_queued = self.wake.set
        jobs, now = self.hub.settings.jobs, datetime.now(timezone.utc)
        scheduler = BackgroundScheduler(timezone=timezone.utc)
        common = dict(max_instances=1, coalesce=True, next_run_time=now)
        scheduler.add_job(self.drop_folders, "interval", seconds=jobs.drop_folder_seconds,
                          id="drop_folders", **common)
        scheduler.add_job(self.overdue, "interval", seconds=jobs.overdue_seconds, id="overdue", **common)
        scheduler.add_job(self.certificates, "interval", hours=24, id="certificates", **common)
        for pid, partner in self.hub.context.partners.items():
            if partner.active:
                scheduler.add_job(self.poll, trigger(partner.poll), args=[pid], id=f"poll:{pid}", **common)
        threads = [threading.Thread(target=self._dispatch_loop, name="dispatch"),
                   threading.Thread(target=self._watch, name="watch", daemon=True)]

        def stop(signum, _frame):
            log.info("signal %s: finishing the item in hand, then stopping", signum)
            self.stop.set()
            self.wake.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        for t in threads:
            t.start()
        scheduler.start()
        self.wake.set()   # whatever was queued before we started goes out now
        log.info("worker %s started for %s", self.name, self.hub.settings.home)
        self.stop.wait()
        scheduler.shutdown(wait=True)
        threads[0].join()
        log.info("worker %s stopped", self.name)


def recover_dead_workers(hub: Hub) -> int:
    """Give back what workers on this host held when they died (crash, SIGKILL): their leases."""
    host = socket.gethostname()
    with hub.uow() as uow:
        owners = uow.repo.lease_owners(f"{host}:")
        dead = [o for o in owners if not _alive(o.rsplit(":", 1)[-1])]
        freed = uow.repo.release_leases_of(dead, hub.clock())
        uow.commit()
    if freed:
        log.info("took back %s lease(s) of stopped worker(s) %s", freed, ", ".join(dead))
    return freed


def _alive(pid: str) -> bool:
    """True if the process exists and is not a zombie."""
    if not pid.isdigit():
        return True   # not one of ours: leave it to its lease's expiry
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return True
