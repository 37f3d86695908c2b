"""Where in a configuration file an error is: from the key it names to the line it is on.

Errors about partner and mapping files name a key path (``x12.receiver_qualifier``,
``transport.host_keys[0]``, ``header[3] (N4) element 2``) or already a line (TOML syntax,
XML). :func:`error_line` turns either into a line number of the text the person gave, so
the console can show the error beside that line.
"""

from __future__ import annotations

import re

_KEY = r'(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|\'[^\']*\')'
_KEY_PATH = rf"{_KEY}(?:\s*\.\s*{_KEY})*"
_ARRAY_TABLE = re.compile(rf"^\s*\[\[\s*({_KEY_PATH})\s*\]\]")
_TABLE = re.compile(rf"^\s*\[\s*({_KEY_PATH})\s*\]")
_ASSIGN = re.compile(rf"^\s*({_KEY_PATH})\s*=")
_ONE_KEY = re.compile(_KEY)
_AT_LINE = re.compile(r"\bat line (\d+)")
_LINE = re.compile(r"^line (\d+)\b")
_INDEX = re.compile(r"\[\d+\]$")


def _parts(path: str) -> list[str]:
    """The keys of a dotted key path, unquoted."""
    return [k[1:-1] if k[:1] in "\"'" else k for k in _ONE_KEY.findall(path)]


def toml_key_lines(text: str) -> dict[str, int]:
    """Every table and key of a TOML text by its dotted path, with its 1-based line.

    Arrays of tables are numbered from 1 as mapping errors count them: ``header[2].id``.
    Lines inside multi-line strings and arrays are not mistaken for keys.
    """
    lines: dict[str, int] = {}
    table: list[str] = []
    counts: dict[str, int] = {}
    scanner = _ValueScanner()
    for number, line in enumerate(text.splitlines(), start=1):
        if scanner.inside:
            scanner.feed(line)
            continue
        if m := _ARRAY_TABLE.match(line):
            name = ".".join(_parts(m[1]))
            counts[name] = counts.get(name, 0) + 1
            table = [f"{name}[{counts[name]}]"]
            lines.setdefault(table[0], number)
            lines.setdefault(name, number)
        elif m := _TABLE.match(line):
            table = [".".join(_parts(m[1]))]
            lines.setdefault(table[0], number)
        elif m := _ASSIGN.match(line):
            key = ".".join([*table, *_parts(m[1])])
            lines.setdefault(key, number)
            scanner.feed(line[m.end():])
    return lines


class _ValueScanner:
    """Follows strings and brackets across lines: is the next line still inside a value?"""

    def __init__(self):
        self.depth = 0
        self.string: str | None = None    # the multi-line string delimiter we are inside

    @property
    def inside(self) -> bool:
        """True while a value continues on the next line."""
        return self.depth > 0 or self.string is not None

    def feed(self, text: str) -> None:
        """Read one line (or the rest of one, after ``key =``)."""
        i = 0
        while i < len(text):
            if self.string is not None:
                end = text.find(self.string, i)
                if end < 0:
                    return
                self.string, i = None, end + 3
                continue
            ch = text[i]
            if ch == "#":
                return
            if text.startswith(('"""', "'''"), i):
                self.string, i = text[i:i + 3], i + 3
                continue
            if ch in "\"'":
                i = self._skip_string(text, i, ch)
                continue
            if ch in "[{":
                self.depth += 1
            elif ch in "]}":
                self.depth = max(self.depth - 1, 0)
            i += 1

    @staticmethod
    def _skip_string(text: str, i: int, quote: str) -> int:
        j = i + 1
        while j < len(text) and text[j] != quote:
            j += 2 if quote == '"' and text[j] == "\\" else 1
        return j + 1


def key_line(lines: dict[str, int], where: str) -> int | None:
    """The line of a key path as errors write it, or of the nearest table holding it."""
    segment = re.search(r" \([^)]*\)", where)               # header[3] (N4): a segment
    path = where[:segment.start()] + where[segment.end():] if segment else where
    suffix = re.search(r" (element \d+|when)$", path)
    if suffix or segment:         # header[3] element 2 -> its elements; header[3] (N4) -> its id
        path = path[:suffix.start()].strip() if suffix else path
        inner = f"{path}.{'id' if not suffix else 'when' if suffix[1] == 'when' else 'elements'}"
        if inner in lines:
            return lines[inner]
    while path:
        if path in lines:
            return lines[path]
        if _INDEX.search(path):
            path = _INDEX.sub("", path)                       # host_keys[0] -> host_keys
            continue
        last = path.rsplit(".", 1)[-1]
        ending = [k for k in lines if k == last or k.endswith("." + last)]
        if len(ending) == 1 and "." not in path:              # "mapping" -> x12.mapping
            return lines[ending[0]]
        if "." not in path:
            return None
        path = path.rsplit(".", 1)[0]
    return None


def error_line(text: str, where: str, problem: str, toml: bool) -> int | None:
    """The 1-based line of ``text`` an error is about, or None when it names no place."""
    m = _LINE.match(where or "")
    if m:
        return int(m[1])
    if toml:
        m = _AT_LINE.search(problem)
        if m and "TOML" in problem:
            return int(m[1])
        if where and where != "(top level)":
            return key_line(toml_key_lines(text), where)
    return None


def set_top_level_key(text: str, key: str, value: str) -> str:
    """``text`` with the top-level ``key`` set to the TOML ``value`` (written as given): its
    line changed in place, comment kept, or a new line before the first table."""
    lines = text.splitlines(keepends=True)
    scanner = _ValueScanner()
    for i, line in enumerate(lines):
        if scanner.inside:
            scanner.feed(line)
            continue
        if _TABLE.match(line) or _ARRAY_TABLE.match(line):
            return "".join(lines[:i] + [f"{key} = {value}\n"] + lines[i:])
        m = _ASSIGN.match(line)
        if m and _parts(m[1]) == [key]:
            rest = line[m.end():]
            comment = re.search(r"\s+#.*$", rest.rstrip("\r\n"))
            end = "\r\n" if line.endswith("\r\n") else "\n" if line.endswith("\n") else ""
            lines[i] = f"{line[:m.end()]} {value}{comment[0] if comment else ''}{end}"
            return "".join(lines)
        if m:
            scanner.feed(line[m.end():])
    tail = "" if not text or text.endswith("\n") else "\n"
    return f"{text}{tail}{key} = {value}\n"
