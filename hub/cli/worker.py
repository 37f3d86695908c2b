"""``edihub run`` (the worker) and ``edihub serve`` (the web app)."""

from __future__ import annotations

import click

from hub.cli.common import out, pass_home


@click.command()
@click.option("--once", is_flag=True, help="One pass of every job, then exit.")
@pass_home
def run(home, once: bool) -> None:
    """Run the worker: dispatch the outbox, pick up drop folders."""
    from hub.jobs import Worker
    worker = Worker(home.hub())
    if not once:
        worker.run_forever()
        return
    report = worker.run_once()
    for imp in report.imports:
        out.print(imp.summary())
    d = report.dispatch
    out.print(f"dispatch: {d.sent} sent ({d.already_present} already there), {d.retrying} "
              f"retrying, {d.failed} failed")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@pass_home
def serve(home, host: str, port: int, threads: int) -> None:
    """Run the web app (the order API; the operators' console grows here)."""
    import waitress

    from web import create_app
    app = create_app(hub=home.hub())
    out.print(f"serving {home.hub().settings.home} on http://{host}:{port}")
    waitress.serve(app, host=host, port=port, threads=threads, ident="edihub")
