"""Partner, catalog and mapping files changed through the console or the command line.

A change is checked first as part of the whole configuration (every partner file, the
catalog, every mapping, each transport's settings, with the new text in place); a change
that leaves anything broken is refused and nothing is touched, each problem located at its
line. A change that passes is written to disk and kept as a new version in the store
(``config_versions``), audited; any version can be compared with another or brought back
(as a new version, checked like any change). Running workers take the new files between
jobs (see :mod:`hub.jobs`).
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from hub.adapters.config_lines import error_line
from hub.adapters.config_trial import check_mapping, locate, read_text, trial_copy, write_text
from hub.adapters.partner_files import CATALOG_FILE, MAX_CATALOG_BYTES
from hub.adapters.toml_table import MAX_FILE_BYTES
from hub.errors import ConfigError
from hub.services.audit import ActionRefused, audit

MAX_BYTES = MAX_FILE_BYTES    # what the loaders read: a larger upload is refused before any check
CATALOG = f"partners/{CATALOG_FILE}"
_PARTNER = re.compile(r"partners/([a-z0-9][a-z0-9_-]{0,39})\.toml")
_NAME = r"[A-Za-z0-9_][A-Za-z0-9._-]{0,99}"
_MAPPING = re.compile(rf"mappings/(?:{_NAME}/){{0,4}}{_NAME}\.(?:toml|xsl|xslt)")


class ConfigRefused(ActionRefused):
    """A change that would leave the configuration broken; ``problems`` locates each one."""

    def __init__(self, message: str, problems: list[Problem]):
        self.problems = problems
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class Problem:
    """One configuration problem, located: the file (relative to the instance when it is in
    it), the line of the text checked when known, the key, and what is wrong."""

    file: str
    line: int | None
    where: str
    problem: str

    @property
    def key(self) -> str:
        """Where in the line: the key, or the catalog's column ("" when only a line is named)."""
        return re.sub(r"^line \d+(, )?", "", self.where or "")

    def __str__(self) -> str:
        at = f" line {self.line}" if self.line else ""
        key = f" ({self.key})" if self.key else ""
        return f"{self.file}{at}{key}: {self.problem}"


@dataclass(frozen=True, slots=True)
class Change:
    """New text for one file; ``base`` is the sha256 of the text it was edited from ("" for a
    new file), so a change made on a stale copy is refused; None skips that check."""

    path: str
    text: str
    base: str | None = None


@dataclass
class SaveResult:
    """What a save did: the versions written, by path, and a sentence for the person."""

    message: str
    versions: dict[str, int] = field(default_factory=dict)


def sha256(text: str | None) -> str:
    """The sha256 of a file's text ("" for no file)."""
    return "" if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest()


def config_path(path: str) -> str:
    """``path`` if it names a partner file (partners/<id>.toml), the catalog
    (partners/catalog.csv) or a mapping file under mappings/ (.toml, .xsl, .xslt);
    ActionRefused otherwise, saying why."""
    path = (path or "").strip()
    if "\\" in path or "\x00" in path or path.startswith("/") or ".." in path.split("/"):
        raise ActionRefused(f"{path!r} is not a configuration file name: give a path inside the "
                            "instance such as partners/acme.toml or mappings/x12/acme.toml, without "
                            "'..' or a leading '/'")
    if not (path == CATALOG or _PARTNER.fullmatch(path) or _MAPPING.fullmatch(path)):
        raise ActionRefused(f"{path!r} is not a partner, catalog or mapping file: partner files "
                            "are partners/<id>.toml (id: lower-case letters, digits, '-' and '_'), "
                            f"the catalog is {CATALOG}, mappings are "
                            "mappings/<folder>/<name>.toml, .xsl or .xslt")
    return path


def partner_of(path: str) -> str | None:
    """The partner id a partner file path names, or None for a mapping."""
    m = _PARTNER.fullmatch(path)
    return m[1] if m else None


def max_bytes(path: str) -> int:
    """How large the file ``path`` may be: the catalog has a row per SKU and supplier, so it
    may be larger than a partner or mapping file."""
    return MAX_CATALOG_BYTES if path == CATALOG else MAX_BYTES


def decode(data: bytes | str, what: str, limit: int = MAX_BYTES) -> str:
    """A submitted file's text: at most ``limit`` bytes, UTF-8, with LF line ends (a browser
    sends a text area's lines with CRLF)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > limit:
        kind = "the catalog" if limit == MAX_CATALOG_BYTES else "a partner or mapping file"
        raise ActionRefused(f"{what} is {len(raw):,} bytes; {kind} may have at most {limit:,}: "
                            "is it the right file?")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ActionRefused(f"{what} is not UTF-8 text ({exc.reason} at byte {exc.start}): save it "
                            "as UTF-8") from None
    return text.replace("\r\n", "\n")


def check(hub, changes: dict[str, str]) -> list[Problem]:
    """Every problem the whole configuration would have with ``changes`` in place."""
    return trial(hub, changes)[1]


def trial(hub, changes: dict[str, str]):
    """Load the configuration with ``changes`` in place: (the configuration, its problems)."""
    with trial_copy(hub.settings, changes) as root:
        cfg = hub.load_configuration(files=root)
        errors = [p for e in cfg.errors for p in getattr(e, "problems", None) or [e]]
        used = _mappings_in_use(cfg)
        for rel in changes:
            if rel.startswith("mappings/") and (root / rel).resolve() not in used:
                problem = check_mapping(root / rel)   # no partner uses it yet: check it alone
                errors += getattr(problem, "problems", None) or ([problem] if problem else [])
        located = [_located(e, root, hub.settings.home, changes) for e in errors]
        return cfg, list(dict.fromkeys(located))


def _mappings_in_use(cfg) -> set[Path]:
    paths = set()
    for renderer in cfg.renderers.values():
        mapping = getattr(renderer, "mapping", None)
        source = getattr(mapping, "path", None) or getattr(mapping, "source", None)
        if source:
            paths.add(Path(source).resolve())
    for answers in cfg.answer_mappings.values():
        paths.update(Path(a.source).resolve() for a in answers)
    return paths


def _located(error: ConfigError, root: Path, home: Path, changes: dict[str, str]) -> Problem:
    """The error with its file relative to the instance and its line in the text checked."""
    rel = _relative(error.path, root, home)
    problem = error.problem
    for trial_root in {str(root.resolve()), str(root)}:   # the trial copy stands for the instance
        problem = problem.replace(trial_root, str(home))
    text = changes.get(rel)
    if text is None and not rel.startswith("/") and (root / rel).is_file():
        text = read_text(root / rel)
    line = None if text is None else error_line(text, error.where, problem, rel.endswith(".toml"))
    return Problem(rel, line, error.where, problem)


def _relative(path_text: str, root: Path, home: Path) -> str:
    path = Path(path_text)
    if not path.is_absolute():
        return path_text
    for base in (root, home):
        try:
            return path.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            continue
    return path_text


def save(hub, changes: list[Change], actor: str, note: str = "", action: str = "config.save") -> SaveResult:
    """Check the whole configuration with ``changes`` in place, then write each file and keep
    it as a new version, all audited; refuse (ConfigRefused, nothing changed) when it is broken.

    A file already on disk gets its current text recorded as a version first (the first save
    of a file, or one changed on disk since the console last saved it), so nothing is lost.
    """
    changes = [Change(path, decode(c.text, path, max_bytes(path)), c.base)
               for c, path in ((c, config_path(c.path)) for c in changes)]
    if len({c.path for c in changes}) != len(changes):
        raise ActionRefused("the same file was given twice: nothing was saved")
    problems = check(hub, {c.path: c.text for c in changes})
    if problems:
        raise ConfigRefused(f"not saved: the configuration would have {len(problems)} problem(s); "
                            "nothing was changed", problems)
    home, now = hub.settings.home, hub.clock()
    written: list[tuple[Path, str | None]] = []
    result = SaveResult("")
    with hub.uow() as uow:
        uow.configs.lock()   # one save at a time: what is read on disk stays true until commit
        try:
            for c in changes:
                target = _target(home, c.path)
                current = read_text(target)
                if current == c.text:
                    continue
                if c.base is not None and c.base != sha256(current):
                    raise ActionRefused(_stale(uow, c, current))
                result.versions[c.path] = _record(uow, c, current, actor, note, now, action)
                write_text(target, c.text)
                written.append((target, current))
            uow.commit()
        except BaseException:
            for target, before in reversed(written):   # the store said no: put the files back
                write_text(target, before)
            raise
    result.message = _saved_message(result, changes)
    return result


def _target(home: Path, rel: str) -> Path:
    try:
        return locate(home, rel)
    except ValueError as exc:
        raise ActionRefused(f"{exc}: refused") from None


def _record(uow, c: Change, current: str | None, actor: str, note: str, now, action: str) -> int:
    latest = uow.configs.latest(c.path)
    if current is not None and (latest is None or latest["sha256"] != sha256(current)):
        uow.configs.add(c.path, current, sha256(current), "disk", now,
                        "as it was on disk before the first change through edihub" if latest is None
                        else "as found on disk: changed outside edihub since the last version")
    version = uow.configs.add(c.path, c.text, sha256(c.text), actor, now, note)
    number = len(uow.configs.versions(c.path))
    audit(uow, now, actor, action, c.path, before={"sha256": sha256(current) or None},
          after={"sha256": sha256(c.text), "version": number, "version_id": version},
          reason=note, partner_id=partner_of(c.path))
    return number


def _stale(uow, c: Change, current: str | None) -> str:
    """Why a change made on a stale copy is refused: who changed the file since, if we know."""
    if current is None:
        what = "was removed"
    else:
        latest = uow.configs.latest(c.path)
        what = "was created" if c.base == "" else "was changed"
        if latest is not None and latest["sha256"] == sha256(current):
            what += (f" (version {latest['number']}, by {latest['actor']} at "
                     f"{latest['at']:%Y-%m-%d %H:%M} UTC)")
        else:
            what += " (on disk, outside edihub)"
    return (f"{c.path} {what} since you opened it: nothing was saved. Open it again, compare "
            "with its history, and make your change on the current text")


def _saved_message(result: SaveResult, changes: list[Change]) -> str:
    if not result.versions:
        return ("nothing to save: " + ", ".join(c.path for c in changes) +
                " already hold(s) exactly this text")
    return "saved " + ", ".join(f"{p} as version {n}" for p, n in result.versions.items()) + \
        "; running workers take it within seconds"


def rollback(hub, version_id: int, actor: str, base: str | None, note: str = "") -> SaveResult:
    """Bring an earlier version back as a new version (checked and audited like any change);
    ``base`` is the sha256 of the file the person saw, so a stale page changes nothing."""
    with hub.uow(readonly=True) as uow:
        version = uow.configs.version(version_id)
    if version is None:
        raise ActionRefused(f"there is no version #{version_id}")
    note = note.strip() or f"back to version {version['number']}"
    return save(hub, [Change(version["path"], version["content"], base)], actor, note, "config.rollback")


def history(hub, path: str) -> list[dict]:
    """Every version of a file, oldest first, numbered from 1."""
    path = config_path(path)
    with hub.uow(readonly=True) as uow:
        return uow.configs.versions(path)


def diff(hub, old_id: int, new_id: int) -> list[tuple[str, str]]:
    """The unified diff between two versions, as (kind, line): kind is "head", "hunk", "add",
    "del" or "same"."""
    with hub.uow(readonly=True) as uow:
        old, new = uow.configs.version(old_id), uow.configs.version(new_id)
    if old is None or new is None:
        raise ActionRefused(f"there is no version #{old_id if old is None else new_id}")
    lines = difflib.unified_diff(old["content"].splitlines(), new["content"].splitlines(),
                                 f"{old['path']} version {old['number']}",
                                 f"{new['path']} version {new['number']}", lineterm="")
    kinds = {"+++": "head", "---": "head", "@@": "hunk", "+": "add", "-": "del"}
    return [(next((k for p, k in kinds.items() if line.startswith(p)), "same"), line) for line in lines]
