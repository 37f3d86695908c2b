"""``edihub init`` and ``edihub demo``."""

from __future__ import annotations

import shutil
from contextlib import ExitStack
from pathlib import Path

import click
from rich.table import Table

from hub.cli.common import command_name, err, fail, out, print_report
from hub.cli.worker import print_waiting

DEMO_ADMIN = "admin"
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
    edihub = f"{command_name()} --home {directory}"
    if with_demo:
        out.print(f"next: {edihub} partners check, then {command_name()} demo {directory}", markup=False)
        return
    out.print("next:\n"
              f"  1. copy a supplier from {directory / 'partners/examples'} to {directory / 'partners'}/<id>.toml"
              " and fill it in\n"
              f"  2. list the SKUs it sells in {directory / 'partners/catalog.csv'}\n"
              f"  3. check both: {edihub} partners check\n"
              f"  4. add a channel token (edihub.toml [channels]) and run: {edihub} run", markup=False)


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
@click.option("--serve", is_flag=True, help="Then keep the suppliers' servers, a worker and the console up "
                                            "on 127.0.0.1 (a demo admin's password is printed) until Ctrl-C.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535),
              help="The console's port with --serve.")
def demo(directory: Path, serve: bool, port: int) -> None:
    """Run the demo: create DIRECTORY (default ./demo) if needed, with Acme reached over SFTP
    and Initech over AS2 on loopback; take in the sample orders, send the purchase orders, let
    the demo suppliers answer (997, 855, 856 and their XML equivalents) and show every order
    going from received to shipped. With --serve, the console stays up to work the demo's
    incidents in a browser."""
    from hub.bootstrap import bootstrap
    from hub.demo.http_server import LoopbackHttpServer
    from hub.demo.network import DemoNetwork, demo_app, is_networked

    url = ""
    fresh = not (directory / "edihub.toml").exists()
    if fresh:
        _create(directory, True, False)
        out.print(f"created demo instance in {directory.resolve()}")
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
            url = stack.enter_context(network.serve_hub(hub, port if serve else 0))
            for line in network.describe():
                out.print(line, markup=False)
        elif serve:
            url = stack.enter_context(LoopbackHttpServer(demo_app(hub), "demo-console", port, threaded=True)).url
        first = _first_run(hub)
        if first:
            # The marketplace export arrives the way real ones do: dropped in the channel's folder.
            shutil.copy(directory / "samples" / "marketplace.csv",
                        directory / "var" / "drop" / "marketplace" / "marketplace-export.csv")
        _run(hub, directory, network)
        if not first:
            err.print("(the demo had run before: orders already taken in are not taken twice)")
        if serve:
            _serve(hub, url)


def _serve(hub, url: str) -> None:
    """Keep everything up, with a worker, until Ctrl-C; print where and how to sign in."""
    import secrets as _secrets

    from hub.errors import HubError
    from hub.jobs import Worker
    from hub.services.users import add_user, set_password
    password = _secrets.token_urlsafe(12)
    try:
        add_user(hub.context, DEMO_ADMIN, "admin", password, actor="demo")
    except HubError:   # there from an earlier run: a new password for this one
        set_password(hub.context, DEMO_ADMIN, password, actor="demo")
    Worker(hub, drop_settle_seconds=0).run_forever(ready=lambda: out.print(
        f"\nThe console: {url}/  (user {DEMO_ADMIN}, password {password})\nWork the demo's incidents "
        "there; a worker keeps sending and polling. Ctrl-C stops it all.", markup=False))


def _first_run(hub) -> bool:
    """True when the instance has taken no order in yet."""
    from hub.views import order_count
    with hub.uow(readonly=True) as uow:
        return order_count(uow.conn) == 0


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
    print_waiting(hub)
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
    from hub.views import open_incidents, orders_overview
    with hub.uow(readonly=True) as uow:
        orders = orders_overview(uow.conn)
        incidents = open_incidents(uow.conn)
    table = Table(title="Orders")
    for col in ("order", "state", "purchase orders"):
        table.add_column(col)
    for o in orders:
        mine = ", ".join(f"{p['po_number']} -> {p['supplier']} ({p['state']})" for p in o["purchase_orders"])
        table.add_row(o["order"], o["state"], mine or "-")
    out.print(table)
    if incidents:
        out.print(f"\nOpen incidents ({len(incidents)}): the exceptions queue")
        for inc in incidents:
            out.print(f"  [{inc['code']}] {inc['message']}", markup=False)
    edihub = f"{command_name()} --home {hub.settings.home}"
    out.print(f"\nEvery document in and out is under {hub.settings.archive_dir}.\n"
              f"Look closer at one order: {edihub} orders show WS-10002", markup=False)
