"""``edihub partners``: check and list partner files; save, compare and roll back versions;
test a connection, send a test document, switch to production."""

from __future__ import annotations

import click
from rich.table import Table

from hub.cli.common import actor_option, err, fail, out, pass_home


@click.group()
def partners() -> None:
    """Supplier onboarding: partner files, catalog, mappings."""


@partners.command()
@click.argument("path", required=False)
@click.argument("file", required=False, type=click.Path(dir_okay=False, allow_dash=True, path_type=str))
@pass_home
def check(home, path: str | None, file: str | None) -> None:
    """Check every partner file, the catalog, each mapping and transport setting, and list
    every problem (exit 2 when there is one). With PATH and FILE (a partner id or
    mappings/..., or catalog): check as if FILE's content were in place of PATH; nothing is
    saved."""
    from hub.bootstrap import load_configuration
    from hub.config import load_settings
    from hub.errors import ConfigError
    if path is not None:
        _check_candidate(home, path, file)
        return
    try:
        settings = load_settings(home.home)
    except ConfigError as exc:
        fail(str(exc), 2)
    cfg = load_configuration(settings)
    for partner in cfg.partners.values():
        ok = partner.id in cfg.renderers
        out.print(f"{'ok ' if ok else 'ERR'} {partner.id}: {partner.name} "
                  f"({partner.po_format}, {partner.transport.type})", markup=False)
    if cfg.catalog is not None:
        out.print(f"catalog: {len(cfg.catalog.entries)} entries")
    for problem in cfg.errors:
        err.print(f"error: {problem}", markup=False)
    if cfg.errors:
        _too_many(len(cfg.errors), len({e.path for e in cfg.errors}))
    out.print("all partner files are valid")


def _too_many(problems: int, files: int) -> None:
    """Say how many problems were listed, and exit 2."""
    err.print(f"{problems} problem(s) in {files} file(s); fix each, then check again", markup=False)
    raise SystemExit(2)


def _check_candidate(home, path: str, file: str | None) -> None:
    """Check the configuration with FILE's content in place of PATH; list every problem."""
    from hub.errors import HubError
    from hub.services.config_files import check as check_files, config_path, decode, max_bytes
    if file is None:
        fail("give both PATH and FILE (the content to check in its place), or neither", 2)
    try:
        rel = config_path(_file_path(path))
        data = _read(file, max_bytes(rel))
        problems = check_files(_config_hub(home), {rel: decode(data, file, max_bytes(rel))})
    except HubError as exc:
        _refused(exc)
    for problem in sorted(problems, key=lambda p: (p.file != rel, p.file, p.line or 0)):
        err.print(f"error: {problem}", markup=False)
    if problems:
        _too_many(len(problems), len({p.file for p in problems}))
    out.print(f"{file} as {rel}: no problems; the whole configuration loads with it in place "
              "(nothing was saved)", markup=False)


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


def _config_hub(home):
    """The hub for commands that change files: it opens even when some file is broken (the
    change may be the fix); the store and the instance settings must be fine."""
    from hub.bootstrap import bootstrap
    from hub.errors import ConfigError
    if home._hub is None:
        try:
            home._hub = bootstrap(home.home, lenient=True)
        except ConfigError as exc:
            fail(f"configuration error: {exc}", 2)
    return home._hub


def _file_path(name: str) -> str:
    """``catalog`` stands for partners/catalog.csv, a partner id for its partner file; anything
    else is a path in the instance."""
    from hub.services.config_files import CATALOG, partner_of
    if name in ("catalog", "catalog.csv"):
        return CATALOG
    return f"partners/{name}.toml" if partner_of(f"partners/{name}.toml") and "/" not in name else name


def _read(file: str, limit: int) -> bytes:
    """FILE's bytes (``-``: standard input), reading at most one more than ``limit``: enough
    to refuse a file too large without reading all of it."""
    with click.open_file(file, "rb") as fh:
        return fh.read(limit + 1)


def _refused(exc) -> None:
    from hub.services.config_files import ConfigRefused
    err.print(f"error: {exc}", markup=False)
    for problem in exc.problems if isinstance(exc, ConfigRefused) else ():
        err.print(f"  {problem}", markup=False)
    raise SystemExit(1)


@partners.command()
@click.argument("path")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=str))
@click.option("--note", default="", help="What changed and why (kept with the version).")
@actor_option
@pass_home
def save(home, path: str, file: str, note: str, actor: str) -> None:
    """Save FILE's content as a new version of PATH (a partner id, partners/<id>.toml,
    mappings/..., or catalog for partners/catalog.csv): the whole configuration is checked
    with it in place first; a problem refuses it (exit 1) and changes nothing."""
    from hub.errors import HubError
    from hub.services.config_files import Change, decode, max_bytes, save as save_files
    rel = _file_path(path)
    data = _read(file, max_bytes(rel))
    hub = _config_hub(home)
    try:
        result = save_files(hub, [Change(rel, decode(data, file, max_bytes(rel)))], actor, note)
    except HubError as exc:
        _refused(exc)
    out.print(result.message, markup=False)


@partners.command()
@click.argument("path")
@pass_home
def history(home, path: str) -> None:
    """The versions of a partner, catalog or mapping file (a partner id stands for its
    partner file, ``catalog`` for partners/catalog.csv)."""
    from hub.errors import HubError
    from hub.services.config_files import history as file_history
    hub = _config_hub(home)
    try:
        versions = file_history(hub, _file_path(path))
    except HubError as exc:
        _refused(exc)
    if not versions:
        out.print(f"no versions of {_file_path(path)} yet", markup=False)
    table = Table("version", "id", "saved", "by", "note", "sha256")
    for v in versions:
        table.add_row(str(v["number"]), str(v["id"]), f"{v['at']:%Y-%m-%d %H:%M}", v["actor"], v["note"],
                      v["sha256"][:12])
    if versions:
        out.print(table)


def _report(outcome) -> None:
    """Print a connection or send test's outcome with its details; exit 1 when it failed."""
    (out if outcome.ok else err).print(outcome.message, markup=False)
    for line in outcome.details:
        out.print(f"  {line}", markup=False)
    if not outcome.ok:
        raise SystemExit(1)


@partners.command()
@click.argument("old_id", type=int)
@click.argument("new_id", type=int)
@pass_home
def diff(home, old_id: int, new_id: int) -> None:
    """What changed between two versions (their ids, as `partners history` lists them)."""
    from hub.errors import HubError
    from hub.services.config_files import diff as version_diff
    try:
        lines = version_diff(_config_hub(home), old_id, new_id)
    except HubError as exc:
        _refused(exc)
    for _, line in lines:
        out.print(line, markup=False)


@partners.command()
@click.argument("version_id", type=int)
@click.option("--note", default="", help="Why (kept with the new version).")
@actor_option
@pass_home
def rollback(home, version_id: int, note: str, actor: str) -> None:
    """Bring a version back as a new version (checked like any change)."""
    from hub.errors import HubError
    from hub.services.config_files import rollback as roll_back
    try:
        result = roll_back(_config_hub(home), version_id, actor, None, note)
    except HubError as exc:
        _refused(exc)
    out.print(result.message, markup=False)


@partners.command("test-connection")
@click.argument("partner_id")
@actor_option
@pass_home
def test_connection(home, partner_id: str, actor: str) -> None:
    """Log in to the partner's SFTP server (pinned host key) and list its folders, or post an
    AS2 test message and read the MDN; exit 1 when it fails."""
    from hub.errors import HubError
    from hub.services.onboarding import connection_test as probe
    try:
        outcome = probe(_config_hub(home), partner_id, actor)
    except HubError as exc:
        _refused(exc)
    _report(outcome)


@partners.command("send-test")
@click.argument("partner_id")
@actor_option
@pass_home
def send_test(home, partner_id: str, actor: str) -> None:
    """Send a sample purchase order in test mode (ISA15 = T) through the partner's transport."""
    from hub.errors import HubError
    from hub.services.onboarding import send_test_document
    try:
        outcome = send_test_document(_config_hub(home), partner_id, actor)
    except HubError as exc:
        _refused(exc)
    _report(outcome)


@partners.command()
@click.argument("partner_id")
@click.argument("mode", type=click.Choice(["production", "test"]))
@click.option("--note", default="", help="Why (kept with the new version).")
@actor_option
@pass_home
def mode(home, partner_id: str, mode: str, actor: str, note: str) -> None:
    """Switch a partner to production (test_mode = false) or back to test mode."""
    from hub.errors import HubError
    from hub.services.onboarding import set_test_mode
    try:
        result = set_test_mode(_config_hub(home), partner_id, mode == "test", actor, None, note)
    except HubError as exc:
        _refused(exc)
    out.print(result.message, markup=False)
