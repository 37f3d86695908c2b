"""``edihub init`` and ``edihub demo``."""

from __future__ import annotations

import shutil
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
    """Run the demo: create DIRECTORY (default ./demo) if needed, take in the sample orders,
    send the purchase orders, let the demo suppliers answer (997, 855, 856 and their XML
    equivalents) and show every order going from received to shipped."""
    from hub.bootstrap import bootstrap
    from hub.demo.suppliers import demo_suppliers
    from hub.jobs import Worker

    fresh = not (directory / "edihub.toml").exists()
    if fresh:
        _create(directory, True, False)
        out.print(f"created demo instance in {directory.resolve()}")
        # The marketplace export arrives the way real ones do: dropped in the channel's folder.
        shutil.copy(directory / "samples" / "marketplace.csv",
                    directory / "var" / "drop" / "marketplace" / "marketplace-export.csv")
    hub = bootstrap(directory)
    try:
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
            report = worker.run_once()
            applied = sum(r.applied for r in report.received)
            out.print(f"turn {turn}: the suppliers answered with {len(written)} file(s); the hub applied "
                      f"{applied} document(s) and sent {report.dispatch.sent} (purchase orders and 997s)")
        _show(hub)
    finally:
        hub.close()
    if not fresh:
        err.print("(the demo had run before: orders already taken in are not taken twice)")


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
