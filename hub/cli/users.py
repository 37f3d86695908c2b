"""``edihub users``: who may use the console, and with which role."""

from __future__ import annotations

import sys

import click
from rich.table import Table

from hub.cli.common import actor_option, fail, out, pass_home
from hub.services.users import ROLES


def _password(confirm: bool = True) -> str:
    """The password from a prompt on a terminal, else the first line of stdin (never an argument)."""
    if sys.stdin.isatty():
        return click.prompt("password", hide_input=True, confirmation_prompt=confirm)
    return sys.stdin.readline().rstrip("\r\n")


def _run(action) -> None:
    from hub.errors import HubError
    try:
        action()
    except HubError as exc:
        fail(str(exc))


@click.group()
def users() -> None:
    """Console users and their roles (viewer, operator, admin)."""


@users.command()
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True)
@actor_option
@pass_home
def add(home, name: str, role: str, actor: str) -> None:
    """Add a user; the password is asked for (or read from stdin), never given as an argument."""
    from hub.services.users import add_user
    hub = home.hub()
    password = _password()
    _run(lambda: add_user(hub.context, name, role, password, actor))
    out.print(f"user {name} added ({role})", markup=False)


@users.command()
@click.argument("name")
@actor_option
@pass_home
def passwd(home, name: str, actor: str) -> None:
    """Set a user's password (asked for, or read from stdin); unlocks a locked account."""
    from hub.services.users import set_password
    hub = home.hub()
    password = _password()
    _run(lambda: set_password(hub.context, name, password, actor))
    out.print(f"password of {name} changed", markup=False)


@users.command("set")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES))
@click.option("--disable/--enable", "disabled", default=None, help="Stop (or allow again) signing in.")
@actor_option
@pass_home
def set_(home, name: str, role: str | None, disabled: bool | None, actor: str) -> None:
    """Change a user's role, or disable the account."""
    from hub.services.users import change_user
    if role is None and disabled is None:
        fail("say what to change: --role, --disable or --enable")
    _run(lambda: change_user(home.hub().context, name, actor, role,
                             None if disabled is None else not disabled))
    out.print(f"user {name} changed", markup=False)


@users.command("list")
@pass_home
def list_(home) -> None:
    """Users, roles, and when each last signed in."""
    from hub.services.users import list_users
    table = Table("name", "role", "active", "last sign-in", "locked until")
    for u in list_users(home.hub().context):
        table.add_row(u["name"], u["role"], "yes" if u["active"] else "no",
                      f"{u['last_login_at']:%Y-%m-%d %H:%M}" if u["last_login_at"] else "-",
                      f"{u['locked_until']:%H:%M}" if u["locked_until"] else "-")
    out.print(table)
