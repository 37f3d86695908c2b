"""Read TOML configuration with errors that name the file, the key and what is wrong."""

from __future__ import annotations

import difflib
import tomllib
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from hub.errors import ConfigError, all_problems, each_problem

MAX_FILE_BYTES = 1 << 20   # a configuration file is a few KB; this is far above any real one
MAX_DEPTH = 8              # the deepest real one: transport.as2.<table>.<key> (arrays count too)


def load_toml(path: Path, error: type[ConfigError] = ConfigError) -> dict:
    """Parse a TOML file; a syntax error names the line and column. A file too big or nested
    too deep to be a configuration file is refused before anything walks it."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise error(path, "", f"is larger than {MAX_FILE_BYTES:,} bytes; a configuration file "
                                  "is a few KB: is it the right file?")
        data = tomllib.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        raise error(path, "", "file not found") from None
    except IsADirectoryError:
        raise error(path, "", "is a folder, not a file") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(path, "", f"not valid TOML: {exc}{_toml_hint(str(exc))}") from None
    except UnicodeDecodeError as exc:
        raise error(path, "", f"not UTF-8 text: {exc.reason} at byte {exc.start}") from None
    except RecursionError:   # tomllib reads nested arrays and inline tables recursively
        raise error(path, "", f"nested too deep to read; a configuration file needs at most "
                              f"{MAX_DEPTH} levels of tables and lists") from None
    deep = too_deep(data)
    if deep is not None:
        raise error(path, deep, f"nested deeper than {MAX_DEPTH} levels of tables and lists; a "
                                "configuration file needs far fewer")
    return data


def _toml_hint(message: str) -> str:
    """What the parser's words mean, for the mistakes people make most."""
    if message.startswith("Cannot overwrite a value"):
        return "; a key is written twice in the same table: keep one of them"
    if message.startswith("Cannot declare"):
        return "; a table is declared twice: merge the two [sections] into one"
    return ""


def too_deep(data: Any, limit: int = MAX_DEPTH) -> str | None:
    """The key path where ``data`` nests tables and lists deeper than ``limit``, or None."""
    stack = [(data, "", 0)]
    while stack:            # a loop, not recursion: the depth is what is in question
        value, where, depth = stack.pop()
        if isinstance(value, dict):
            children = [(f"{where}.{k}" if where else k, v) for k, v in value.items()]
        elif isinstance(value, list):
            children = [(f"{where}[{n}]", v) for n, v in enumerate(value)]
        else:
            continue
        if depth >= limit:
            return where or "(top level)"
        stack.extend((child, path, depth + 1) for path, child in children)
    return None


class Problems:
    """Every problem one file has. Each check runs through :meth:`take`, which records its
    problem and goes on, so a person fixing the file sees them all in one go; :meth:`refuse`
    then raises one error listing each."""

    def __init__(self, path: Path | str, error: type[ConfigError] = ConfigError):
        self.path, self.error = path, error
        self.found: list[ConfigError] = []

    def __len__(self) -> int:
        return len(self.found)

    def add(self, problem: ConfigError) -> None:
        """Record one problem (or each one a listing error holds). Only the first about a key
        is kept: a second is the same mistake seen by another check (``password = "..."`` is
        an inline secret, and also a key the table does not know). A key is one of a file's:
        line 5 of the catalog is not line 5 of a mapping."""
        for one in each_problem(problem):
            if not one.where or all((p.path, p.where) != (one.path, one.where) for p in self.found):
                self.found.append(one)

    def take(self, read, *args, **kwargs) -> Any:
        """``read(*args, **kwargs)``; None, its problem recorded, when it raises a ConfigError."""
        try:
            return read(*args, **kwargs)
        except ConfigError as exc:
            self.add(exc)
            return None

    def refuse(self) -> None:
        """Raise an error listing every problem recorded (the problem itself when only one)."""
        if self.found:
            raise all_problems(self.error, self.path, self.found)


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
        """Refuse keys other than ``keys`` (each one), suggesting the closest allowed one."""
        unknown = []
        for key in self.data:
            if key not in keys:
                near = difflib.get_close_matches(key, keys, n=1)
                hint = f" (did you mean '{near[0]}'?)" if near else ""
                unknown.append(self.fail(key, f"unknown key{hint}; allowed: {', '.join(sorted(keys))}"))
        if unknown:
            raise all_problems(self.error, self.path, unknown)

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
