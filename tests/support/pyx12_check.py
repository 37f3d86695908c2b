"""An independent reader for the documents the tests render: pyx12's X12Reader.

pyx12 knows nothing of our writer; it reads the delimiters from the fixed-width ISA and checks
the envelope (SE/GE/IEA counts and control numbers). A document it reads without errors,
including the trailer checks done by ``cleanup()``, is structurally sound.
"""

from __future__ import annotations

import io
import logging

import pyx12.x12file

logging.getLogger("pyx12").setLevel(logging.CRITICAL)   # its errors come back from pop_errors


def read_segments(data: bytes, encoding: str = "ascii") -> list[list[str]]:
    """Every segment as [id, element, ...] as pyx12 reads it; fails on any pyx12 error."""
    reader = pyx12.x12file.X12Reader(io.StringIO(data.decode(encoding)))
    errors, segments = [], []
    for seg in reader:
        segments.append([seg.get_seg_id(), *(seg.get_value(f"{i:02d}") or ""
                                             for i in range(1, len(seg) + 1))])
        errors.extend(reader.pop_errors())
    reader.cleanup()   # missing or miscounted SE/GE/IEA are reported here
    errors.extend(reader.pop_errors())
    assert errors == [], f"pyx12 found errors: {errors}"
    return segments


def assert_reads_cleanly(data: bytes, encoding: str = "ascii") -> None:
    """Fail unless pyx12 reads the whole interchange without a single error."""
    segments = read_segments(data, encoding)
    assert segments and segments[0][0] == "ISA" and segments[-1][0] == "IEA", \
        f"pyx12 did not read a whole interchange: {[s[0] for s in segments]}"
