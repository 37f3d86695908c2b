"""Read TOML configuration with errors that name the file, the key and what is wrong."""

from __future__ import annotations

import difflib
import tomllib
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from hub.errors import ConfigError


def load_toml(path: Path, error: type[ConfigError] = ConfigError) -> dict:
    """Parse a TOML file; a syntax error names the line and column."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise error(path, "", "file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(path, "", f"not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise error(path, "", f"not UTF-8 text: {exc.reason} at byte {exc.start}") from None


class Table:
    """One TOML table with typed getters; each getter raises the given error class."""

    def __init__(self, path: Path | str, data: Any, where: str = "",
                 error: type[ConfigError] = ConfigError):
        self.path, self.where, self.error = path, where, error
        if not isinstance(data, dict):
            raise error(path, where or "(top level)", "must be a table")
        self.data = data

    def _key(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def fail(self, key: str, problem: str) -> ConfigError:
        """An error about ``key`` in this table, for the caller to raise."""
        return self.error(self.path, self._key(key), problem)

    def allow(self, *keys: str) -> None:
        """Refuse keys other than ``keys``, suggesting the closest allowed one."""
        for key in self.data:
            if key not in keys:
                near = difflib.get_close_matches(key, keys, n=1)
                hint = f" (did you mean '{near[0]}'?)" if near else ""
                raise self.fail(key, f"unknown key{hint}; allowed: {', '.join(sorted(keys))}")

    def table(self, key: str, required: bool = False) -> Table:
        """A sub-table (empty when absent and not required)."""
        if key not in self.data:
            if required:
                raise self.fail(key, "missing table")
            return Table(self.path, {}, self._key(key), self.error)
        return Table(self.path, self.data[key], self._key(key), self.error)

    def get(self, key: str, kind: type, default: Any = ..., check=None, hint: str = "") -> Any:
        """A value of ``kind``; missing -> ``default`` (or an error when there is none)."""
        if key not in self.data:
            if default is ...:
                raise self.fail(key, f"required{': ' + hint if hint else ''}")
            return default
        value = self.data[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.fail(key, f"must be {_kind_name(kind)}, got {value!r}")
        if check is not None and not check(value):   # the value is echoed: a person must see it
            raise self.fail(key, f"{hint}, got {value!r}" if hint else f"invalid value {value!r}")
        return value

    def text(self, key: str, default: Any = ..., hint: str = "") -> str:
        """A non-empty string."""
        return self.get(key, str, default, lambda v: bool(v.strip()), hint or "must not be empty")

    def decimal(self, key: str, default: Any = ...) -> Decimal | None:
        """A decimal written as a string ("19.99") or a number."""
        if key not in self.data:
            if default is ...:
                raise self.fail(key, "required")
            return default
        value = self.data[key]
        try:
            if isinstance(value, bool):
                raise InvalidOperation
            number = Decimal(str(value))
            if not number.is_finite():
                raise InvalidOperation
            return number
        except InvalidOperation:
            raise self.fail(key, f"must be a decimal number such as \"19.99\", got {value!r}") from None

    def strings(self, key: str, default: Any = ...) -> tuple[str, ...]:
        """A list of strings."""
        value = self.get(key, list, default)
        if value is default:
            return value
        if not all(isinstance(v, str) for v in value):
            raise self.fail(key, "must be a list of strings")
        return tuple(value)


def _kind_name(kind: type) -> str:
    return {str: "a string", int: "a whole number", float: "a number", bool: "true or false",
            list: "a list", dict: "a table"}.get(kind, kind.__name__)
