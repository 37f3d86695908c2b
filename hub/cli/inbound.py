"""``edihub inbound``: take a partner's file in by hand, or poll inboxes now."""

from __future__ import annotations

from pathlib import Path

import click

from hub.cli.common import fail, out, pass_home


@click.group()
def inbound() -> None:
    """Suppliers' documents coming in (997/999, 855, 856, XML answers)."""


@inbound.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--partner", help="The partner it came from (needed for XML; X12 says it in its ISA).")
@pass_home
def receive(home, file: Path, partner: str | None) -> None:
    """Receive FILE as if the partner had sent it: archive, read, apply, acknowledge."""
    hub = home.hub()
    if partner and partner not in hub.context.partners:
        fail(f"no partner {partner!r} (see edihub partners list)", 2)
    with open(file, "rb") as fh:
        report = hub.receive_stream(fh, "cli", file.name, partner)
    out.print(f"{file.name}: {report.state}: {report.interchanges} interchange(s), "
              f"{report.transactions} transaction(s), {report.applied} applied, "
              f"{report.acks_queued} acknowledgement(s) queued")
    for problem in report.problems:
        out.print(f"  {problem}", markup=False)
    if report.state == "rejected":
        raise SystemExit(1)


@inbound.command()
@click.argument("partner", required=False)
@pass_home
def poll(home, partner: str | None) -> None:
    """Fetch and apply what PARTNER (default: every active partner) left in its inbox."""
    from hub.jobs import Worker
    hub = home.hub()
    worker = Worker(hub)
    reports = worker.poll(partner) if partner else worker.poll_all()
    out.print(f"{len(reports)} file(s) received, {sum(r.applied for r in reports)} document(s) applied")
