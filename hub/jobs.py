"""The worker: dispatch, drop folders, inbox polls, late-answer checks; one pass or forever.

``edihub run --once`` runs each job once and exits. ``edihub run`` keeps going: dispatch
runs in a thread of its own, woken the moment documents are queued (by this process, or by
another one through the store: PostgreSQL NOTIFY, SQLite's data_version), and otherwise
every ``[jobs] dispatch_seconds`` for retries that fall due; APScheduler runs the rest, each
partner's inbox on its own schedule. Several workers may share one PostgreSQL: outbox rows
are claimed with SKIP LOCKED and leases, inbox polls with a lease per partner.

SIGTERM (or Ctrl-C) lets the item in hand finish, gives back what was claimed but not
started, and exits; nothing is lost.

Partner, catalog and mapping files are looked at every :data:`CONFIG_CHECK_SECONDS` (and at
once on SIGHUP): when one changed, the worker reads them all again and swaps them in between
jobs (:meth:`hub.bootstrap.Hub.reload`), polls following the new schedules. Files with a
problem are not taken: the worker keeps what it runs with and files an Incident.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hub.adapters.drop_folders import DropFolder, process
from hub.adapters.wakeup import outbox_watcher
from hub.bootstrap import Hub, worker_name
from hub.domain.model import IncidentDraft
from hub.services.dispatch import DispatchReport
from hub.services.imports import ImportReport
from hub.services.inbound import ReceiveReport
from hub.services.polling import PollReport

log = logging.getLogger("edihub.worker")
POLL_LEASE = timedelta(minutes=10)
HEARTBEAT_SECONDS = 10.0   # a running worker notes it is alive at most this often
CONFIG_CHECK_SECONDS = 10.0
_RELOAD_KEY = "worker.config_reload"


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
    """What one pass of every job did, and the jobs that failed (each also an Incident)."""

    dispatch: DispatchReport = field(default_factory=DispatchReport)
    imports: list[ImportReport] = field(default_factory=list)
    polls: list[PollReport] = field(default_factory=list)
    overdue: tuple[int, int] = (0, 0)
    faults: list[str] = field(default_factory=list)

    @property
    def received(self) -> list[ReceiveReport]:
        """Every file the polls received."""
        return [r for p in self.polls for r in p.files]

    @property
    def ok(self) -> bool:
        """True when every job ran and every inbox could be read."""
        return not self.faults and not any(p.error for p in self.polls)


class Worker:
    """Runs the hub's jobs for one instance."""

    def __init__(self, hub: Hub, drop_settle_seconds: float = 2.0, name: str | None = None):
        self.hub = hub
        self.name = name or worker_name()
        self.stop = threading.Event()
        self.wake = threading.Event()
        self.drop_settle_seconds = drop_settle_seconds
        self._clear: set[str] = set()   # jobs whose Incident this worker knows to be closed
        self._forever = False
        self.ticks = time.monotonic          # paces the heartbeats
        self._last_beat = float("-inf")      # ticks() at the last heartbeat written
        self._scheduler = None
        self._polls: dict[str, str] = {}  # poll job id -> the schedule it runs on
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

    def poll(self, partner_id: str) -> PollReport:
        """Fetch and apply what one partner left in its inbox, holding that partner's poll lease."""
        if self.stop.is_set():
            return PollReport(partner_id, skipped="the worker is stopping")
        lease = f"poll:{partner_id}"
        now = self.hub.clock()
        with self.hub.uow() as uow:
            mine = uow.repo.take_lease(lease, self.name, now, now + POLL_LEASE)
            uow.commit()
        if not mine:
            return PollReport(partner_id, skipped="another worker is reading this inbox right now")
        try:
            report = self.hub.poll_inbox(partner_id, should_stop=self.stop.is_set)
        finally:
            with self.hub.uow() as uow:
                uow.repo.release_lease(lease, self.name)
                uow.commit()
        if report.error:   # a running worker's log is where it says so; one pass prints it
            log.log(logging.WARNING if self._forever else logging.INFO, "%s", report.error)
        for r in report.files:
            log.info("%s: %s, %s transaction(s), %s applied, %s ack(s) queued", partner_id, r.state,
                     r.transactions, r.applied, r.acks_queued)
        return report

    def poll_all(self) -> list[PollReport]:
        """Every active partner's inbox, once; a partner that fails does not stop the others."""
        return [self.poll(pid) for pid, p in self.hub.context.partners.items() if p.active]

    def overdue(self) -> tuple[int, int]:
        """Raise and clear Incidents for late 997/855/856."""
        from hub.services.overdue import check_overdue
        return check_overdue(self.hub.context)

    def certificates(self) -> tuple[int, int]:
        """Incidents for AS2 certificates that expire within 30 days (and clear renewed ones)."""
        from hub.services.certificates import check_hub_certificates
        return check_hub_certificates(self.hub)

    def run_once(self) -> PassReport:
        """One pass of every job: intake first, so the pass sends what it takes in, then answers.

        A job that fails is reported (and filed as an Incident); the jobs after it still run.
        """
        report = PassReport()
        self.run_job("recovery", lambda: recover_dead_workers(self.hub), report)
        report.imports = self.run_job("drop folders", self.drop_folders, report) or []
        report.polls = self.run_job("inbox polls", self.poll_all, report) or []
        report.dispatch = self.run_job("dispatch", self.dispatch, report) or DispatchReport()
        self.run_job("certificate check", self.certificates, report)
        report.overdue = self.run_job("overdue check", self.overdue, report) or (0, 0)
        d = report.dispatch
        self.beat(report.ok, "; ".join([f"pass: {d.sent} sent, {d.retrying} retrying, {d.failed} failed",
                                        *report.faults]))
        return report

    def beat(self, ok: bool, detail: str) -> None:
        """Note in the store that this worker is alive (heartbeat ``worker:<name>``) and how its
        last work went; /healthz and /metrics read it."""
        self._last_beat = self.ticks()
        try:
            with self.hub.uow() as uow:
                uow.repo.beat(f"worker:{self.name}", self.hub.clock(), ok, detail)
                uow.commit()
        except Exception:  # the store itself is the fault: the log is all that is left
            log.exception("cannot record this worker's heartbeat")

    def run_job(self, name: str, job, report: PassReport | None = None):
        """Run one job; a failure becomes a log entry, an Incident and a line in ``report``
        (one open Incident per job, cleared when the job next runs through)."""
        key = f"worker.job:{name}"
        try:
            with self.hub.config_lock.reading():   # a reload waits until the job is done
                result = job()
        except Exception as exc:  # one job's fault must not stop the others
            log.exception("%s failed", name)
            fault = f"{name} failed: {type(exc).__name__}: {exc}"
            if report is not None:
                report.faults.append(fault)
            self._note_job(key, fault)
            return None
        if key not in self._clear:   # the first good run since a failure (or since start)
            self._note_job(key, "")
        return result

    def _note_job(self, key: str, fault: str) -> None:
        (self._clear.discard if fault else self._clear.add)(key)
        now = self.hub.clock()
        try:
            with self.hub.uow() as uow:
                if fault:
                    uow.repo.file_incidents([IncidentDraft(
                        code="worker.job_failed", dedupe_key=key,
                        message=f"{fault}; nothing was lost: the job runs again at its next turn "
                                "(the worker's log has the details)")], now)
                else:
                    uow.repo.resolve_incidents([key], now, "the job ran through again")
                uow.commit()
        except Exception:  # the store itself is the fault: the log is all that is left
            log.exception("cannot record the state of %s", key)

    # -- configuration changes ---------------------------------------------------------------

    def check_config(self, force: bool = False) -> bool | None:
        """Take changed partner, catalog and mapping files (all of them, or none): True when a
        new configuration was taken, False when it was refused (an Incident says why), None
        when nothing changed."""
        if not force and not self.hub.config_changed():
            return None
        errors = self.hub.reload(then=self._rewire)
        now = self.hub.clock()
        try:
            with self.hub.uow() as uow:
                if errors:
                    uow.repo.file_incidents([IncidentDraft(
                        code="config.reload_refused", dedupe_key=_RELOAD_KEY,
                        message="partner, catalog or mapping files changed but have problems, so this "
                                "worker keeps the configuration it had: " + "; ".join(map(str, errors))
                                + ". Fix the files (`edihub partners check` lists every problem): "
                                "they are read again as soon as they change")], now)
                else:
                    uow.repo.resolve_incidents([_RELOAD_KEY], now, "the configuration files were read "
                                               "again without a problem")
                uow.commit()
        except Exception:  # the store itself is the fault: the log is all that is left
            log.exception("cannot record the configuration reload")
        if errors:
            log.error("configuration files changed but have problems; keeping the current "
                      "configuration: %s", "; ".join(map(str, errors)))
            return False
        self._schedule_polls()
        log.info("configuration reloaded: %s partner(s): %s", len(self.hub.context.partners),
                 ", ".join(sorted(self.hub.context.partners)))
        return True

    def _rewire(self) -> None:
        # Under the reload's lock: the dispatcher sends through the new transports from now on.
        self.dispatcher.sender = self.hub.pool

    def _schedule_polls(self) -> None:
        """One poll job per active partner on its schedule; jobs of partners gone or made
        inactive are removed, changed schedules replaced, new partners polled at once."""
        scheduler = self._scheduler
        if scheduler is None:
            return
        wanted = {f"poll:{pid}": p for pid, p in self.hub.context.partners.items() if p.active}
        for job_id in list(self._polls):
            if job_id not in wanted:
                scheduler.remove_job(job_id)
                del self._polls[job_id]
        for job_id, partner in wanted.items():
            if self._polls.get(job_id) == partner.poll:
                continue
            first = {} if job_id in self._polls else {"next_run_time": datetime.now(timezone.utc)}
            scheduler.add_job(self.run_job, trigger(partner.poll), id=job_id, replace_existing=True,
                              args=[f"poll of {partner.id}", lambda pid=partner.id: self.poll(pid)],
                              max_instances=1, coalesce=True, **first)
            self._polls[job_id] = partner.poll

    def _config_job(self, force: bool = False) -> None:
        try:
            self.check_config(force)
        except Exception:  # never let a reload stop the scheduler; said in the log
            log.exception("configuration check failed")

    # -- running forever -----------------------------------------------------------------------

    def _dispatch_loop(self) -> None:
        interval = self.hub.settings.jobs.dispatch_seconds
        while not self.stop.is_set():
            self.wake.wait(timeout=interval)
            self.wake.clear()
            if self.stop.is_set():
                break
            report = self.run_job("dispatch", self.dispatch)   # a failure is filed; the rows stay queued
            if self.ticks() - self._last_beat >= HEARTBEAT_SECONDS:   # not a write per document
                self.beat(report is not None, "running; the last dispatch failed (its Incident says why)"
                          if report is None else f"running; last dispatch: {report.sent} sent, "
                          f"{report.retrying} retrying, {report.failed} failed")

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

    def run_forever(self, ready=lambda: None) -> None:
        """Run until SIGTERM or SIGINT; the item in hand finishes first. ``ready()`` is called
        once the jobs run and the signals are taken care of."""
        from apscheduler.schedulers.background import BackgroundScheduler

        self._forever = True
        recover_dead_workers(self.hub)
        self.hub.context.on_queued = self.wake.set
        jobs, now = self.hub.settings.jobs, datetime.now(timezone.utc)
        scheduler = BackgroundScheduler(timezone=timezone.utc)
        common = dict(max_instances=1, coalesce=True, next_run_time=now)
        scheduler.add_job(self.run_job, "interval", args=["drop folders", self.drop_folders],
                          seconds=jobs.drop_folder_seconds, id="drop_folders", **common)
        scheduler.add_job(self.run_job, "interval", args=["overdue check", self.overdue],
                          seconds=jobs.overdue_seconds, id="overdue", **common)
        scheduler.add_job(self.run_job, "interval", args=["certificate check", self.certificates],
                          hours=24, id="certificates", **common)
        # Not through run_job: a reload takes the write side of the lock jobs read under.
        scheduler.add_job(self._config_job, "interval", seconds=CONFIG_CHECK_SECONDS, id="config",
                          max_instances=1, coalesce=True)
        self._scheduler = scheduler
        self._schedule_polls()
        threads = [threading.Thread(target=self._dispatch_loop, name="dispatch"),
                   threading.Thread(target=self._watch, name="watch", daemon=True)]

        def stop(signum, _frame):
            log.info("signal %s: finishing the item in hand, then stopping", signum)
            self.stop.set()
            self.wake.set()

        def reload_now(_signum, _frame):
            log.info("SIGHUP: reading the configuration files again")
            scheduler.add_job(self._config_job, kwargs={"force": True}, id="config-now",
                              replace_existing=True)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGHUP, reload_now)
        for t in threads:
            t.start()
        scheduler.start()
        self.wake.set()   # whatever was queued before we started goes out now
        log.info("worker %s started for %s", self.name, self.hub.settings.home)
        self.beat(True, "started")
        ready()
        self.stop.wait()
        scheduler.shutdown(wait=True)
        threads[0].join()
        self.beat(True, "stopped")
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
