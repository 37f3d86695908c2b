"""``edihub init`` and ``edihub demo``."""

from __future__ import annotations

import shutil
from contextlib import ExitStack
from pathlib import Path

import click
from rich.table import Table
from sqlalchemy import select

from hub.cli.common import err, fail, out, print_report
from hub.errors import ConfigError


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--demo", "with_demo", is_flag=True,
              help="Add two demo suppliers, a catalog and sample orders.")
@click.option("--force", is_flag=True, help="Overwrite configuration files of an existing instance.")
def init(directory: Path, with_demo: bool, force: bool) -> None:
    """Create an instance folder: edihub.toml, partners/, mappings/, var/."""
    try:
        written = _create(directory, with_demo, force)
    except ConfigError as exc:
        fail(str(exc), 2)
    out.print(f"created instance in {directory.resolve()} ({len(written)} files)")
    out.print(f"next: edihub --home {directory} partners check")


def _create(directory: Path, with_demo: bool, force: bool) -> list[Path]:
    from hub.adapters.db import make_engine, migrate
    from hub.config import load_settings
    from hub.instance import create_instance
    written = create_instance(directory, demo=with_demo, force=force)
    engine = make_engine(load_settings(directory).database_url)
    migrate(engine)
    engine.dispose()
    return written


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default="demo")
def demo(directory: Path) -> None:
    """Run the demo: create DIRECTORY (default ./demo) if needed, with Acme reached over SFTP
    and Initech over AS2 on loopback; take in the sample orders, send the purchase orders, let
    the demo suppliers answer (997, 855, 856 and their XML equivalents) and show every order
    going from received to shipped."""
    from hub.bootstrap import bootstrap
    from hub.demo.network import DemoNetwork, is_networked

    fresh = not (directory / "edihub.toml").exists()
    if fresh:
        _create(directory, True, False)
        out.print(f"created demo instance in {directory.resolve()}")
        # The marketplace export arrives the way real ones do: dropped in the channel's folder.
        shutil.copy(directory / "samples" / "marketplace.csv",
                    directory / "var" / "drop" / "marketplace" / "marketplace-export.csv")
    with ExitStack() as stack:
        # An instance made by `edihub init --demo` keeps its folders; the demo's own is networked.
        networked = fresh or is_networked(directory)
        network = stack.enter_context(DemoNetwork(directory)) if networked else None
        try:
            hub = bootstrap(directory)
        except ConfigError as exc:
            fail(f"configuration error: {exc}", 2)
        stack.callback(hub.close)
        if network is not None:
            stack.enter_context(network.serve_hub(hub))
            for line in network.describe():
                out.print(line, markup=False)
        _run(hub, directory, network)
    if not fresh:
        err.print("(the demo had run before: orders already taken in are not taken twice)")


def _run(hub, directory: Path, network) -> None:
    from hub.demo.network import applied_over_as2
    from hub.demo.suppliers import demo_suppliers
    from hub.jobs import Worker

    print_report(hub.import_file(directory / "samples" / "orders.jsonl"))
    worker = Worker(hub, drop_settle_seconds=0)
    report = worker.run_once()
    for imp in report.imports:
        print_report(imp)
    out.print(f"sent {report.dispatch.sent} purchase order(s) to the suppliers")
    suppliers = demo_suppliers(directory)
    for turn in range(1, 4):
        written = [name for s in suppliers for name in s.turn(hub.clock())]
        if not written:
            break
        # initech's station posts its answers to the hub's /as2 (applied as they arrive);
        # the worker then fetches acme's over SFTP and sends what is due.
        over_as2 = network.deliver_answers() if network is not None else []
        report = worker.run_once()
        applied = sum(r.applied for r in report.received) + applied_over_as2(hub, over_as2)
        via = f" ({len(over_as2)} posted over AS2)" if network is not None else ""
        out.print(f"turn {turn}: the suppliers answered with {len(written)} file(s){via}; the hub "
                  f"applied {applied} document(s) and sent {report.dispatch.sent} (purchase "
                  "orders and 997s)")
    if network is not None:
        for line in network.summary():
            out.print(line, markup=False)
    _show(hub)


def _show(hub) -> None:
    from hub.adapters import tables as t
    with hub.uow(readonly=True) as uow:
        orders = uow.conn.execute(select(t.orders.c.id, t.orders.c.channel, t.orders.c.channel_order_id,
                                         t.orders.c.state).order_by(t.orders.c.id)).all()
        pos = uow.conn.execute(select(t.purchase_orders.c.order_id, t.purchase_orders.c.po_number,
                                      t.purchase_orders.c.partner_id, t.purchase_orders.c.state)).all()
        incidents = uow.conn.execute(select(t.incidents.c.code, t.incidents.c.message)
                                     .where(t.incidents.c.state == "open").order_by(t.incidents.c.id)).all()
    table = Table(title="Orders")
    for col in ("order", "state", "purchase orders"):
        table.add_column(col)
    for oid, channel, coid, state in orders:
        mine = ", ".join(f"{n} -> {p} ({s})" for o, n, p, s in pos if o == oid)
        table.add_row(f"{channel}/{coid}", state, mine or "-")
    out.print(table)
    for partner in hub.context.partners.values():
        folder = partner.transport.settings.get("path")
        if folder:
            files = sorted((hub.settings.home / folder).glob("*"))
            out.print(f"{partner.name}: {len(files)} file(s) in {hub.settings.home / folder}")
    if incidents:
        out.print(f"\nOpen incidents ({len(incidents)}): the exceptions queue")
        for code, message in incidents:
            out.print(f"  [{code}] {message}", markup=False)
    out.print(f"\nLook closer: edihub --home {hub.settings.home} orders show webshop/WS-10001")
