"""Mapping files under ``mappings/``: read from disk and checked, errors naming file and place."""

from __future__ import annotations

from pathlib import Path

from hub.adapters.toml_table import MAX_FILE_BYTES
from hub.edi.x12.mapping import X12Mapping, parse_x12_mapping
from hub.errors import MappingError


def load_x12_mapping(path: Path) -> X12Mapping:
    """Read and check an X12 850 mapping; raise MappingError (listing every problem) if broken."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise MappingError(path, "", f"is larger than {MAX_FILE_BYTES:,} bytes; a mapping file "
                               "is a few KB: is it the right file?")
        text = raw.decode("utf-8")
    except OSError as exc:
        raise MappingError(path, "", f"cannot read the mapping file ({exc.strerror}); check the "
                           "partner's x12.mapping") from None
    except UnicodeDecodeError as exc:
        raise MappingError(path, "", f"is not UTF-8 text ({exc.reason} at byte {exc.start}); "
                           "save it as UTF-8") from None
    return parse_x12_mapping(text, str(path))
