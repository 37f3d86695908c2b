"""Console users: roles, hashed passwords, sign-in with a lock-out after repeated failures.

Passwords are hashed with werkzeug's scrypt (salted, memory-hard) and never stored, logged or
taken as a command-line argument. Five wrong passwords in a row lock the account for
fifteen minutes, so a password cannot be guessed at the speed of the network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from werkzeug.security import check_password_hash, generate_password_hash

from hub.services.audit import ActionRefused, audit
from hub.services.ports import HubContext

ROLES = ("viewer", "operator", "admin")   # each may do what the ones before it may
MAX_FAILURES = 5
LOCK = timedelta(minutes=15)
MIN_PASSWORD = 12
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,79}$")
_dummy: list[str] = []   # a hash to check when the name is unknown: a wrong name costs as much


@dataclass(frozen=True, slots=True)
class User:
    """Who is signed in, and what they may do."""

    id: int
    name: str
    role: str

    def can(self, role: str) -> bool:
        """True when this user's role includes ``role`` (admin > operator > viewer)."""
        return ROLES.index(self.role) >= ROLES.index(role)


class SignInRefused(ActionRefused):
    """Wrong name or password, or a locked or disabled account (said without telling which)."""


def add_user(hub: HubContext, name: str, role: str, password: str, actor: str = "cli") -> User:
    """Create a user; the name must be new, the role known and the password long enough."""
    if not _NAME.match(name or ""):
        raise ActionRefused("a user name is 1 to 80 letters, digits, '.', '_', '@' or '-'")
    _check_role(role)
    _check_password(password)
    now = hub.clock()
    with hub.uow() as uow:
        if uow.users.by_name(name, any_case=True) is not None:
            raise ActionRefused(f"there is a user {name!r} already")
        uid = uow.users.add(name=name, password_hash=generate_password_hash(password), role=role,
                            active=True, created_at=now)
        audit(uow, now, actor, "user.add", f"user {name}", after={"role": role})
        uow.commit()
    return User(uid, name, role)


def set_password(hub: HubContext, name: str, password: str, actor: str = "cli") -> None:
    """Give a user a new password (and unlock the account)."""
    _check_password(password)
    now = hub.clock()
    with hub.uow() as uow:
        row = _user(uow, name)
        uow.users.change(row["id"], password_hash=generate_password_hash(password), failed_logins=0,
                         locked_until=None)
        audit(uow, now, actor, "user.password", f"user {name}")
        uow.commit()


def change_user(hub: HubContext, name: str, actor: str, role: str | None = None,
                active: bool | None = None) -> None:
    """Change a user's role, or disable (or enable) the account."""
    if role is not None:
        _check_role(role)
    now = hub.clock()
    with hub.uow() as uow:
        row = _user(uow, name)
        values = {k: v for k, v in (("role", role), ("active", active)) if v is not None}
        uow.users.change(row["id"], **values)
        audit(uow, now, actor, "user.change", f"user {name}",
              before={"role": row["role"], "active": row["active"]}, after=values)
        uow.commit()


def authenticate(hub: HubContext, name: str, password: str) -> User:
    """The user these credentials belong to; SignInRefused otherwise (the same words whether the
    name or the password was wrong). Failures count toward a lock-out."""
    now = hub.clock()
    with hub.uow() as uow:
        row = uow.users.by_name(name or "")
        if row is None:
            if not _dummy:
                _dummy.append(generate_password_hash("not anyone's password"))
            check_password_hash(_dummy[0], password or "")
            raise SignInRefused("wrong user name or password")
        if row["locked_until"] is not None and row["locked_until"] > now:
            raise SignInRefused(f"too many wrong passwords: this account is locked until "
                                f"{row['locked_until']:%H:%M} UTC")
        if not check_password_hash(row["password_hash"], password or ""):
            failures = row["failed_logins"] + 1
            locked = now + LOCK if failures >= MAX_FAILURES else None
            uow.users.change(row["id"], failed_logins=0 if locked else failures, locked_until=locked)
            if locked:
                audit(uow, now, row["name"], "user.locked", f"user {row['name']}",
                      reason=f"{failures} wrong passwords in a row")
            uow.commit()
            raise SignInRefused("wrong user name or password")
        if not row["active"]:
            raise SignInRefused("this account is disabled: ask an admin")
        uow.users.change(row["id"], failed_logins=0, locked_until=None, last_login_at=now)
        uow.commit()
    return User(row["id"], row["name"], row["role"])


def load_user(hub: HubContext, user_id: int) -> User | None:
    """The active user with this id (for a session), or None."""
    with hub.uow(readonly=True) as uow:
        row = uow.users.active_by_id(user_id)
    return None if row is None else User(row["id"], row["name"], row["role"])


def list_users(hub: HubContext) -> list[dict]:
    """Every user: name, role, active, last sign-in (no hashes)."""
    with hub.uow(readonly=True) as uow:
        return uow.users.all()


def _user(uow, name: str) -> dict:
    row = uow.users.by_name(name)
    if row is None:
        raise ActionRefused(f"there is no user {name!r}")
    return row


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ActionRefused(f"role must be one of {', '.join(ROLES)}, got {role!r}")


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise ActionRefused(f"a password has at least {MIN_PASSWORD} characters")
