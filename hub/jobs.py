"""The worker: scheduled jobs (dispatch, drop folders), one pass or forever.

``edihub run --once`` runs each job once and exits; ``edihub run`` keeps them on their
schedules with APScheduler. SIGTERM or Ctrl-C lets the item in hand finish, then exits:
everything not yet sent stays in the outbox for the next run.
"""

from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from hub.adapters.drop_folders import DropFolder, process
from hub.bootstrap import Hub
from hub.services.dispatch import DispatchReport
from hub.services.imports import ImportReport

log = logging.getLogger("edihub.worker")


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

    def __init__(self, hub: Hub, drop_settle_seconds: float = 2.0):
        self.hub = hub
        self.stop = threading.Event()
        self.drop_settle_seconds = drop_settle_seconds
        self._scheduler = None

    def dispatch(self) -> DispatchReport:
        """Deliver everything due in the outbox."""
        report = self.hub.dispatcher(should_stop=self.stop.is_set).run_until_empty()
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
        """Fetch and apply what one partner left in its inbox."""
        if self.stop.is_set():
            return []
        reports = self.hub.poll_inbox(partner_id)
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

    def run_once(self) -> PassReport:
        """One pass of every job: intake first, so the pass sends what it takes in, then answers."""
        imports = self.drop_folders()
        received = self.poll_all()
        dispatch = self.dispatch()
        return PassReport(dispatch=dispatch, imports=imports, received=received, overdue=self.overdue())

    def wake_dispatch(self) -> None:
        """Run the dispatcher now instead of at its next tick (new documents were queued)."""
        if self._scheduler is not None:
            self._scheduler.modify_job("dispatch", next_run_time=datetime.now(timezone.utc))

    def run_forever(self) -> None:
        """Run the jobs on their schedules until SIGTERM or SIGINT."""
        from apscheduler.schedulers.blocking import BlockingScheduler

        jobs = self.hub.settings.jobs
        scheduler = BlockingScheduler(timezone=timezone.utc)
        now = datetime.now(timezone.utc)
        common = dict(max_instances=1, coalesce=True, next_run_time=now)
        scheduler.add_job(self.dispatch, "interval", seconds=jobs.dispatch_seconds, id="dispatch",
                          **common)
        scheduler.add_job(self.drop_folders, "interval", seconds=jobs.drop_folder_seconds,
                          id="drop_folders", **common)
        scheduler.add_job(self.overdue, "interval", seconds=jobs.overdue_seconds, id="overdue", **common)
        for pid, partner in self.hub.context.partners.items():
            if partner.active:
                scheduler.add_job(self.poll, trigger(partner.poll), args=[pid], id=f"poll:{pid}", **common)
        self._scheduler = scheduler
        self.hub.context.on_queued = self.wake_dispatch

        def stop(signum, _frame):
            log.info("signal %s: finishing the item in hand, then stopping", signum)
            self.stop.set()
            threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}, daemon=True).start()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        log.info("worker started for %s", self.hub.settings.home)
        scheduler.start()
        log.info("worker stopped")
