"""``edihub inbound``: take a partner's file in by hand, or poll inboxes now."""

from __future__ import annotations

from pathlib import Path

import click

from hub.cli.common import err, fail, out, pass_home, print_problems


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
    if report.duplicate_of and not report.interchanges:   # the very same bytes
        out.print(f"{file.name}: duplicate: the same {report.duplicate_of} came in before; recorded, "
                  "not applied again", markup=False)
    else:
        out.print(f"{file.name}: {report.state}: {report.interchanges} interchange(s), "
                  f"{report.transactions} transaction(s), {report.applied} applied, "
                  f"{report.acks_queued} acknowledgement(s) queued")
        if report.duplicate_of:
            out.print(f"  {report.duplicate_of} came in before: recorded, not applied again", markup=False)
    print_problems(report.problems)
    if report.state == "rejected":
        raise SystemExit(1)


@inbound.command()
@click.argument("partner", required=False)
@pass_home
def poll(home, partner: str | None) -> None:
    """Fetch and apply what PARTNER (default: every active partner) left in its inbox.

    Exits 1 when an inbox could not be read (each failure is also an Incident).
    """
    from hub.jobs import Worker
    hub = home.hub()
    if partner is not None:
        known = hub.context.partners.get(partner)
        if known is None:
            fail(f"no partner {partner!r} (partners: {', '.join(sorted(hub.context.partners))})", 2)
        if not known.active:
            fail(f"{partner} is not active (active = false in partners/{partner}.toml): its inbox is "
                 "not read")
    worker = Worker(hub)
    reports = [worker.poll(partner)] if partner else worker.poll_all()
    if not reports:
        fail("no active partner to poll")
    for report in reports:
        (err if report.error else out).print(report.summary(), markup=False)
        for r in report.files:
            print_problems(r.problems)
    if any(r.error for r in reports):
        raise SystemExit(1)
