"""What every read model shares."""

from __future__ import annotations


def iso(value) -> str | None:
    """A UTC datetime as ISO 8601 with a Z, or None."""
    return None if value is None else value.isoformat().replace("+00:00", "Z")
