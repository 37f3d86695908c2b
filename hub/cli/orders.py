"""``edihub orders``: import files, show an order, release a held one, change orders."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.table import Table

from hub.cli.common import actor_option, err, fail, out, pass_home, print_report, progress_bar
from hub.views import find_orders, matched_orders, order_view
from hub.views.changes import changes_of_order


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


@orders.command("change")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["auto", "json", "jsonl"]), default="auto",
              show_default=True, help="File format; auto looks at the extension and content.")
@actor_option
@pass_home
def change(home, file: Path, fmt: str, actor: str) -> None:
    """Change or cancel orders from a JSON or JSON-lines file of changes.

    Each record names its channel, channel_order_id and change_id, and carries what the
    customer changed (as POST /api/v1/orders/<channel>/<id>/changes takes it; see
    docs/orders.md). Records are taken one by one: a bad record is refused alone, with its
    line, and filed as an Incident; taking the same file again changes nothing twice.
    """
    report = home.hub().change_file(file, fmt, actor)
    for result in report.results:
        if result.status in ("created", "unchanged"):
            out.print(f"{result.source}: {result.message}", markup=False)
        else:
            err.print(result.message, markup=False)
    if report.fatal:
        err.print(f"{file.name}: {report.fatal}", markup=False)
    out.print(report.summary(), markup=False)
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
        view = order_view(uow.conn, one_order(uow.conn, ref))
        view["changes"] = changes_of_order(uow.conn, view["id"])
    if as_json:
        out.print_json(json.dumps(view))
        return
    _print_view(view)


@orders.command()
@click.argument("ref")
@click.option("--note", default="", help="Why (kept in the order's timeline).")
@actor_option
@pass_home
def release(home, ref: str, note: str, actor: str) -> None:
    """Release an order on hold (or one fixed after needing attention): review and route it again."""
    from hub.errors import HubError
    from hub.services.operations import release_order
    hub = home.hub()
    with hub.uow(readonly=True) as uow:
        oid = one_order(uow.conn, ref)
    try:
        outcome = release_order(hub.context, oid, actor, note)
    except HubError as exc:
        fail(str(exc))
    with hub.uow(readonly=True) as uow:
        view = order_view(uow.conn, oid)
    name = f"{view['channel']}/{view['channel_order_id']}"
    if not outcome.purchase_orders:   # review or routing stopped it again: say why, and fail
        fail(f"order {name} was not released: it is {view['state']} again: "
             f"{view['hold_reason'] or 'see its incidents (edihub orders show ' + name + ')'}")
    numbers = ", ".join(f"{p.po_number} to {p.partner_id}" for p in outcome.purchase_orders)
    out.print(f"order {name} released: {view['state']}, purchase order(s) {numbers}", markup=False)


def _act(home, ref: str, action) -> None:
    """Run an order action on the order REF names; print what it did, or why not (exit 1)."""
    from hub.errors import HubError
    hub = home.hub()
    with hub.uow(readonly=True) as uow:
        oid = one_order(uow.conn, ref)
    try:
        result = action(hub, oid)
    except HubError as exc:
        fail(str(exc))
    out.print(result.message, markup=False)


@orders.command()
@click.argument("ref")
@click.option("--set", "changes", multiple=True, required=True, metavar="FIELD=VALUE",
              help="A correction: ship_to.city=Austin, customer.phone=555 0100, lines.2.sku=LAMP-LED-WHT, "
                   "lines.2.quantity=3 (repeat for several).")
@click.option("--reason", required=True, help="Why (kept in the audit log).")
@actor_option
@pass_home
def edit(home, ref: str, changes: tuple[str, ...], reason: str, actor: str) -> None:
    """Correct an order still in review (customer contact, ship-to, a line's SKU, quantity or
    description), then review and route it again."""
    from hub.services.operations import edit_order
    _act(home, ref, lambda hub, oid: edit_order(hub.context, oid, _changes(changes), actor, reason))


@orders.command()
@click.argument("ref")
@click.option("--reason", required=True, help="Why (kept in the audit log).")
@actor_option
@pass_home
def cancel(home, ref: str, reason: str, actor: str) -> None:
    """Cancel an order no supplier has yet (its unsent purchase orders are withdrawn)."""
    from hub.services.operations import cancel_order
    _act(home, ref, lambda hub, oid: cancel_order(hub.context, oid, actor, reason))


@orders.command("cancel-line")
@click.argument("ref")
@click.argument("line_id")
@click.option("--quantity", type=click.IntRange(1), help="Units to cancel (default: every unit that can be).")
@click.option("--reason", required=True, help="Why (kept in the audit log).")
@actor_option
@pass_home
def cancel_line_(home, ref: str, line_id: str, quantity: int | None, reason: str, actor: str) -> None:
    """Cancel a line's units that no supplier fills: rejected ones nobody took on, or units on a
    purchase order that has not left (it is rebuilt without them)."""
    from hub.services.operations import cancel_line
    _act(home, ref, lambda hub, oid: cancel_line(hub.context, oid, line_id, actor, reason, quantity))


@orders.command()
@click.argument("ref")
@click.argument("line_id")
@click.argument("supplier")
@click.option("--quantity", type=click.IntRange(1), help="Units to re-route (default: every unit that can be).")
@click.option("--reason", required=True, help="Why (kept in the audit log).")
@actor_option
@pass_home
def reroute(home, ref: str, line_id: str, supplier: str, quantity: int | None, reason: str, actor: str) -> None:
    """Send a line's units that no supplier fills (rejected, never routed, or on a purchase order
    that has not left) to SUPPLIER, which must sell the SKU."""
    from hub.services.operations import reroute_line
    _act(home, ref, lambda hub, oid: reroute_line(hub.context, oid, line_id, supplier, actor, reason, quantity))


def _changes(pairs: tuple[str, ...]) -> dict:
    """--set FIELD=VALUE pairs as the nested changes edit_order takes."""
    changes: dict = {}
    for pair in pairs:
        path, sep, value = pair.partition("=")
        parts = path.strip().split(".")
        if not sep or len(parts) not in (2, 3) or (parts[0] == "lines") != (len(parts) == 3):
            fail(f"--set {pair!r}: write FIELD=VALUE, e.g. ship_to.city=Austin or lines.2.sku=LAMP-LED-WHT")
        if parts[0] == "lines":
            field = parts[2]
            changes.setdefault("lines", {}).setdefault(parts[1], {})[field] = (
                int(value) if field == "quantity" and value.strip().isdigit() else value)
        else:
            changes.setdefault(parts[0], {})[parts[1]] = value
    return changes


def one_order(conn, ref: str) -> int:
    """The one order REF names; when it names none or several, say so and exit 1."""
    matches = find_orders(conn, ref)
    orders = matched_orders(matches)
    if not orders:
        fail(f"no order matches {ref!r} (tried as order id, channel/order id, channel order id, PO "
             "number, control number of a document sent or received, tracking number, shipment id)")
    if len(orders) > 1:
        err.print(f"{ref!r} matches {len(orders)} orders:", markup=False)
        for oid in orders:
            mine = [m for m in matches if m.order_id == oid]
            err.print(f"  id {oid}  {mine[0].order} ({mine[0].state}): "
                      + "; ".join(m.kind for m in mine), markup=False)
        fail(f"name one: by its id (id:{orders[0]}) or channel/order id ({matches[0].order}), or "
             "a kind of reference (po:, control:, tracking:, shipment:, order:)")
    return orders[0]


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
            dup = f" of document #{d['duplicate_of']}" if d["duplicate_of"] else ""
            out.print(f"  #{d['id']} {d['direction']} {d['doc_type']} {d['control_number'] or '-'} "
                      f"{d['filename']}: {d['state']}{dup}"
                      f"{' - ' + d['last_error'] if d['last_error'] else ''}", markup=False)
    for c in v.get("changes", []):
        out.print(f"change {c['change_id']} ({c['source']}): {c['state']}", markup=False)
        for ln in c["lines"]:
            out.print(f"  line {ln['line_id']}: {ln['before']} -> {ln['after']}"
                      + (f" ({ln['note']})" if ln["note"] else ""), markup=False)
        for p in c["purchase_orders"]:
            out.print(f"  {p['po_number']} {p['supplier']}: {p['how']}, {p['state']}"
                      + (f" - {p['note']}" if p["note"] else ""), markup=False)
    for inc in v["incidents"]:
        out.print(f"incident #{inc['id']} [{inc['code']}] {inc['state']}: {inc['message']}", markup=False)
    out.print("timeline:")
    for item in v["timeline"]:
        out.print(f"  {item['at']}  {item['kind']}: {item['message']}", markup=False)
