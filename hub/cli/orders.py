"""``edihub orders``: import files, show an order, release a held one."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
from rich.table import Table

from hub.cli.common import fail, out, pass_home, print_report, progress_bar
from hub.views import find_order_id, order_view


@click.group()
def orders() -> None:
    """Take orders in and look them up."""


@orders.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--channel", help="Channel of orders that do not name one (e.g. a marketplace export).")
@click.option("--format", "fmt", type=click.Choice(["auto", "json", "jsonl", "csv"]), default="auto",
              show_default=True, help="File format; auto looks at the extension and content.")
@pass_home
def import_(home, file: Path, channel: str | None, fmt: str) -> None:
    """Import orders from a JSON, JSON-lines or marketplace CSV file.

    Bad records are reported with their position and filed as Incidents; good ones are
    imported; running the same file again imports nothing twice.
    """
    hub = home.hub()
    if channel and channel not in hub.settings.channels:
        fail(f"channel {channel!r} is not configured in edihub.toml "
             f"(configured: {', '.join(sorted(hub.settings.channels))})", 2)
    bar = progress_bar()
    if bar is None:
        report = hub.import_file(file, channel, fmt)
    else:
        with bar:
            task = bar.add_task(f"importing {file.name}", total=file.stat().st_size)
            report = hub.import_file(file, channel, fmt,
                                     lambda done, size: bar.update(task, completed=done))
    print_report(report)
    if not report.ok:
        raise SystemExit(1)


@orders.command()
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print the order as JSON.")
@pass_home
def show(home, ref: str, as_json: bool) -> None:
    """Show an order: REF is an order id, channel/channel_order_id, a PO number, a channel
    order id or a control number."""
    hub = home.hub()
    with hub.uow(readonly=True) as uow:
        oid = find_order_id(uow.conn, ref)
        view = order_view(uow.conn, oid) if oid else None
    if view is None:
        fail(f"no order matches {ref!r}")
    if as_json:
        out.print_json(json.dumps(view))
        return
    _print_view(view)


@orders.command()
@click.argument("ref")
@click.option("--note", default="", help="Why (kept in the order's timeline).")
@click.option("--as", "actor", default=lambda: os.environ.get("USER", "operator"),
              help="Who releases it (default: $USER).")
@pass_home
def release(home, ref: str, note: str, actor: str) -> None:
    """Release an order on hold (or one fixed after needing attention): review and route it again."""
    from hub.errors import HubError
    from hub.services.operations import release_order
    hub = home.hub()
    with hub.uow(readonly=True) as uow:
        oid = find_order_id(uow.conn, ref)
    if oid is None:
        fail(f"no order matches {ref!r}")
    try:
        outcome = release_order(hub.context, oid, actor, note)
    except HubError as exc:
        fail(str(exc))
    with hub.uow(readonly=True) as uow:
        state = order_view(uow.conn, oid)["state"]
    out.print(f"order {ref}: {state}, {len(outcome.purchase_orders)} purchase order(s) created")


def _print_view(v: dict) -> None:
    out.print(f"order {v['channel']}/{v['channel_order_id']} (id {v['id']}): {v['state']}")
    if v["hold_reason"]:
        out.print(f"  why: {v['hold_reason']}", markup=False)
    lines = Table("line", "sku", "qty", "price", "purchase orders")
    for ln in v["lines"]:
        pos = "; ".join(f"{p['po_number']}#{p['line_number']} {p['supplier']} {p['state']}"
                        for p in ln["purchase_orders"]) or "-"
        lines.add_row(ln["line_id"], ln["sku"], str(ln["quantity"]), ln["unit_price"], pos)
    out.print(lines)
    for po in v["purchase_orders"]:
        out.print(f"PO {po['po_number']} -> {po['supplier']}: {po['state']}")
        for d in po["documents"]:
            out.print(f"  {d['direction']} {d['doc_type']} {d['control_number']} {d['filename']}: "
                      f"{d['state']}{' - ' + d['last_error'] if d['last_error'] else ''}", markup=False)
    for inc in v["incidents"]:
        out.print(f"incident #{inc['id']} [{inc['code']}] {inc['state']}: {inc['message']}", markup=False)
    out.print("timeline:")
    for item in v["timeline"]:
        out.print(f"  {item['at']}  {item['kind']}: {item['message']}", markup=False)
