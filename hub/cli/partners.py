"""``edihub partners``: check and list partner files."""

from __future__ import annotations

import click
from rich.table import Table

from hub.cli.common import err, fail, out, pass_home


@click.group()
def partners() -> None:
    """Supplier onboarding: partner files, catalog, mappings."""


@partners.command()
@pass_home
def check(home) -> None:
    """Check every partner file, the catalog, each mapping and transport setting."""
    from hub.bootstrap import load_configuration
    from hub.config import load_settings
    from hub.errors import ConfigError
    try:
        settings = load_settings(home.home)
    except ConfigError as exc:
        fail(str(exc), 2)
    cfg = load_configuration(settings)
    for partner in cfg.partners.values():
        ok = partner.id in cfg.renderers
        out.print(f"{'ok ' if ok else 'ERR'} {partner.id}: {partner.name} "
                  f"({partner.po_format}, {partner.transport.type})")
    if cfg.catalog is not None:
        out.print(f"catalog: {len(cfg.catalog.entries)} entries")
    for problem in cfg.errors:
        err.print(f"error: {problem}", markup=False)
    if cfg.errors:
        raise SystemExit(2)
    out.print("all partner files are valid")


@partners.command("list")
@pass_home
def list_(home) -> None:
    """List partners with their format, transport and documents."""
    hub = home.hub()
    table = Table("id", "name", "format", "transport", "active", "test mode", "documents in")
    for p in hub.context.partners.values():
        fmt = f"X12 {p.x12.version}" if p.x12 and p.po_format == "x12" else "XML"
        table.add_row(p.id, p.name, fmt, p.transport.type, "yes" if p.active else "no",
                      "yes" if p.test_mode else "no", ", ".join(p.inbound))
    out.print(table)


@partners.command()
@click.argument("host")
@click.option("--port", default=22, show_default=True, type=int)
@click.option("--type", "key_types", multiple=True, default=["ssh-ed25519"], show_default=True,
              help="Key type(s) to ask for: ssh-ed25519, ecdsa-sha2-nistp256, rsa-sha2-512.")
@click.option("--quiet", is_flag=True, help="Print only the key lines (for scripts).")
def keyscan(host: str, port: int, key_types: tuple[str, ...], quiet: bool) -> None:
    """Show an SFTP server's host keys, to pin in a partner file's host_keys.

    Check the fingerprint with the supplier (by phone, or their documentation) before you
    pin it: the hub refuses any key not pinned.
    """
    from transports.errors import TransportError
    from transports.keyscan import scan_host_keys
    try:
        keys = scan_host_keys(host, port, key_types)
    except TransportError as exc:
        fail(str(exc))
    if not keys:
        fail(f"{host}:{port} offered no key of type {', '.join(key_types)}")
    for line, fingerprint in keys:
        out.print(line if quiet else f"{line}\n  fingerprint {fingerprint}", markup=False)
