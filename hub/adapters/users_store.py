"""Console users as stored: names, roles, password hashes, sign-in counters."""

from __future__ import annotations

from sqlalchemy import Connection, func, insert, select, update

from hub.adapters import tables as t


class UsersStore:
    """Reads and writes the users table on one connection."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def by_name(self, name: str, any_case: bool = False) -> dict | None:
        """A user row by name (case-insensitive when asked), or None."""
        u = t.users
        cond = func.lower(u.c.name) == name.lower() if any_case else u.c.name == name
        row = self.conn.execute(select(u).where(cond)).mappings().first()
        return None if row is None else dict(row)

    def active_by_id(self, user_id: int) -> dict | None:
        """An active user's id, name and role, or None."""
        u = t.users
        row = self.conn.execute(select(u.c.id, u.c.name, u.c.role)
                                .where(u.c.id == user_id, u.c.active)).mappings().first()
        return None if row is None else dict(row)

    def add(self, **row) -> int:
        """Insert a user; return its id."""
        return self.conn.execute(insert(t.users).returning(t.users.c.id), row).scalar_one()

    def change(self, user_id: int, **values) -> None:
        """Update one user's columns."""
        self.conn.execute(update(t.users).where(t.users.c.id == user_id).values(**values))

    def all(self) -> list[dict]:
        """Every user without the password hash, by name."""
        u = t.users
        return [dict(r) for r in self.conn.execute(
            select(u.c.name, u.c.role, u.c.active, u.c.last_login_at, u.c.locked_until)
            .order_by(u.c.name)).mappings()]
