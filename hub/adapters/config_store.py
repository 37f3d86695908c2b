"""Versions of partner and mapping files saved through the console or the command line."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from hub.adapters import tables as t

_LOCK = "config_versions"   # a counter row every save updates: saves take turns


class ConfigStore:
    """Reads and writes the config_versions table on one connection."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def lock(self) -> None:
        """Take the saving turn until the transaction ends (one save of any file at a time)."""
        c = t.counters
        take = c.update().where(c.c.name == _LOCK).values(value=c.c.value + 1)
        if self.conn.execute(take).rowcount:
            return
        try:   # the first save ever: make the row (another first save may make it meanwhile)
            with self.conn.begin_nested():
                self.conn.execute(insert(c).values(name=_LOCK, value=1))
        except IntegrityError:
            self.conn.execute(take)    # it exists now: wait for its holder like any save

    def versions(self, path: str) -> list[dict]:
        """Every version of one file, oldest first, numbered from 1 (without the content)."""
        v = t.config_versions
        rows = self.conn.execute(select(v.c.id, v.c.path, v.c.sha256, v.c.actor, v.c.at, v.c.note,
                                        func.length(v.c.content).label("size"))
                                 .where(v.c.path == path).order_by(v.c.id)).mappings()
        return [{**row, "number": n} for n, row in enumerate(rows, start=1)]

    def version(self, version_id: int) -> dict | None:
        """One version with its content and its number among its file's versions, or None."""
        v = t.config_versions
        row = self.conn.execute(select(v).where(v.c.id == version_id)).mappings().first()
        if row is None:
            return None
        number = self.conn.scalar(select(func.count()).where(v.c.path == row["path"], v.c.id <= row["id"]))
        return {**row, "number": number}

    def latest(self, path: str) -> dict | None:
        """The newest version of a file (with content), or None when it has none."""
        v = t.config_versions
        newest = self.conn.scalar(select(func.max(v.c.id)).where(v.c.path == path))
        return None if newest is None else self.version(newest)

    def add(self, path: str, content: str, sha256: str, actor: str, at: datetime, note: str) -> int:
        """Record a version; return its id."""
        v = t.config_versions
        return self.conn.execute(insert(v).returning(v.c.id), {
            "path": path, "content": content, "sha256": sha256, "actor": actor[:80], "at": at,
            "note": note}).scalar_one()

    def remove(self, version_ids: list[int]) -> None:
        """Take back versions whose file could not be written after all."""
        v = t.config_versions
        self.conn.execute(delete(v).where(v.c.id.in_(version_ids)))

    def files(self) -> list[dict]:
        """Every file with versions: path, how many, and the newest's id, time and author."""
        v = t.config_versions
        newest = (select(v.c.path, func.count().label("versions"), func.max(v.c.id).label("id"))
                  .group_by(v.c.path).subquery())
        rows = self.conn.execute(select(newest.c.path, newest.c.versions, newest.c.id, v.c.at, v.c.actor)
                                 .join(v, v.c.id == newest.c.id).order_by(newest.c.path)).mappings()
        return [dict(r) for r in rows]

    def last_test_document(self, partner_id: str) -> int:
        """The id of the newest test document sent to a partner from the console, or 0."""
        a = t.audit_log
        return self.conn.scalar(select(func.max(a.c.interchange_id)).where(
            a.c.action == "partner.test_send", a.c.partner_id == partner_id)) or 0
