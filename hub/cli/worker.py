"""``edihub run`` (the worker) and ``edihub serve`` (the web app)."""

from __future__ import annotations

import signal

import click

from hub.cli.common import err, fail, out, pass_home, print_report, settle_startup_heap
from hub.errors import ConfigError


@click.command()
@click.option("--once", is_flag=True, help="One pass of every job, then exit.")
@pass_home
def run(home, once: bool) -> None:
    """Run the worker: dispatch the outbox, pick up drop folders."""
    from hub.jobs import Worker
    worker = Worker(home.hub())
    if not once:
        settle_startup_heap()
        worker.run_forever()
        return
    report = worker.run_once()
    for imp in report.imports:
        print_report(imp)
    for poll in report.polls:
        (err if poll.error else out).print(poll.summary(), markup=False)
    d = report.dispatch
    out.print(f"dispatch: {d.sent} sent ({d.already_present} already there), {d.retrying} "
              f"retrying, {d.failed} failed")
    for _, problem in d.problems:
        err.print(f"  {problem}", markup=False)
    print_waiting(worker.hub, said={to for to, _ in d.problems})
    for fault in report.faults:
        err.print(f"error: {fault}", markup=False)
    if not report.ok or d.failed or d.retrying or any(not imp.ok for imp in report.imports):
        raise SystemExit(1)


def print_waiting(hub, said: set[str] = frozenset()) -> None:
    """Say what still waits in the outbox (to be retried, or given up): nothing waits silently.
    The last error is repeated only for destinations not ``said`` about already."""
    from hub.views import outbox_waiting
    with hub.uow(readonly=True) as uow:
        waiting = outbox_waiting(uow.conn)
    for w in waiting:
        why = f": {w['last_error']}" if w["last_error"] and w["to"] not in said else ""
        if w["queued"]:
            due = (w["next_attempt_at"] or "now")[:19].replace("T", " ")
            tried = f" after {w['attempts']} attempt(s)" if w["attempts"] else ""
            out.print(f"waiting: {w['queued']} document(s) to {w['to']}, next attempt at {due} UTC"
                      f"{tried}{why}", markup=False)
        if w["failed"]:
            out.print(f"failed: {w['failed']} document(s) to {w['to']} given up, waiting for an operator"
                      f"{why}", markup=False)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@pass_home
def serve(home, host: str, port: int, threads: int) -> None:
    """Run the web app (the order API; the operators' console grows here)."""
    import logging

    import waitress

    from web import create_app
    logging.getLogger("edihub.access").setLevel(logging.INFO)   # the request log, line by line
    try:
        app = create_app(hub=home.hub())
    except ConfigError as exc:
        fail(f"configuration error: {exc}", 2)
    out.print(f"serving {home.hub().settings.home} on http://{host}:{port} (the console: sign in with a "
              "user made by `edihub users add`)")
    # SIGTERM (a container or service stop) ends the server as Ctrl-C does: waitress lets the
    # requests in hand finish, then the orders still queued are committed before the exit.
    signal.signal(signal.SIGTERM, _stop)
    settle_startup_heap()
    try:
        waitress.serve(app, host=host, port=port, threads=threads, ident="edihub")
    finally:
        from web import api
        api.close(app)
    out.print("stopped")


def _stop(_signum, _frame) -> None:
    raise SystemExit(0)
