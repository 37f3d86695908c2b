"""Partner and mapping files on disk, for changes made through the console or the command line.

A change is tried in a copy of ``partners/`` and ``mappings/`` before it touches the real
files; a mapping no partner uses yet is checked on its own; a file is written whole or not
at all (a temporary file beside it, then a rename).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from hub.config import Settings
from hub.errors import ConfigError, MappingError

CATALOG = "catalog.csv"


@contextmanager
def trial_copy(settings: Settings, changes: dict[str, str]) -> Iterator[Path]:
    """A temporary folder holding ``partners/`` and ``mappings/`` as on disk, with each of
    ``changes`` (path relative to the instance -> new text) in place; removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="edihub-trial-") as tmp:
        root = Path(tmp)
        partners = root / "partners"
        partners.mkdir()
        for path in [*settings.partners_dir.glob("*.toml"), settings.partners_dir / CATALOG]:
            if path.is_file():
                shutil.copyfile(path, partners / path.name)
        if settings.mappings_dir.is_dir():
            shutil.copytree(settings.mappings_dir, root / "mappings", symlinks=False,
                            ignore=shutil.ignore_patterns("__pycache__", "*.py", "*.pyc"))
        else:
            (root / "mappings").mkdir()
        for rel, text in changes.items():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8", newline="")
        yield root


def check_mapping(path: Path) -> ConfigError | None:
    """Load one mapping file on its own (one no partner uses yet); its problem, or None."""
    from hub.adapters.mapping_files import load_x12_mapping
    from hub.adapters.xml_answer_mapping_files import load_answer_mapping
    from hub.adapters.xml_mapping_files import load_xml_mapping
    try:
        if path.suffix == ".toml":
            load_x12_mapping(path)
        elif b"answer-mapping" in path.read_bytes():
            load_answer_mapping(path)
        else:
            load_xml_mapping(path)
    except ConfigError as exc:
        return exc
    except OSError as exc:
        return MappingError(path, "", f"cannot read it: {exc.strerror or exc}")
    return None


def locate(home: Path, rel: str) -> Path:
    """The file ``rel`` names inside the instance, refusing one that resolves elsewhere (a
    symbolic link out of partners/ or mappings/); ValueError then."""
    top = rel.split("/", 1)[0]
    folder = (home / top).resolve()
    path = (home / rel).resolve()
    if folder not in path.parents:
        raise ValueError(f"{rel} resolves to {path}, outside {top}/")
    return path


def read_text(path: Path) -> str | None:
    """A configuration file's text as on disk, or None when there is no such file."""
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        # Shown and versioned as it is; the checks will say what is wrong with it.
        return path.read_bytes().decode("utf-8", "replace")


def write_text(path: Path, text: str | None) -> None:
    """Replace a file's content in one step (``None``: remove the file); never half written."""
    if text is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        if path.exists():
            shutil.copymode(path, temp)
        else:
            os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
