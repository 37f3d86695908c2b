"""Text to segments' fields: one run of whole segments split with C-level calls.

Splitting also finds what is wrong between the terminators: blank lines and empty segments
(skipped, one warning per run) and segments that run over a line break (a terminator is
probably missing).
"""

from __future__ import annotations

from itertools import compress, count, repeat
from operator import itemgetter

from hub.edi.x12.delimiters import WS, Delimiters, visible
from hub.edi.x12.errors import X12Error

ENVELOPE_IDS = dict.fromkeys(("ISA", "IEA", "GS", "GE", "ST", "SE", "TA1"), True)


def _tokenize(text: str, d: Delimiters, first: int, problems: list[X12Error],
              empties: int) -> tuple[list[list[str]], list[int], bool, bool, int]:
    """Split text into segments' fields with C-level calls.

    ``empties`` counts empty segments at the end of the previous text, not yet reported.
    Returns the fields, the indexes of the envelope segments, whether the last segment
    lacked its terminator (at the end of the stream), whether white space was stripped, and
    the empty segments at the end of this text.
    """
    term = d.terminator
    pieces = text.split(term)
    tail = pieces.pop()
    unterminated = bool(tail.strip(WS))
    if unterminated:
        pieces.append(tail)
    # Leading white space (line breaks, indentation) is always stripped; the scans below
    # only skip the work when no segment of this text can start with a blank.
    stripped = term == "\n" or bool(d.line_break) or "\n" in text or "\r" in text \
        or "\t" in text or text[:1] == " " or term + " " in text
    if term == "\n":
        pieces = list(map(str.strip, pieces, repeat(WS)))
    elif stripped:
        pieces = list(map(str.lstrip, pieces, repeat(WS)))
        if "\n" in "".join(pieces):
            _note_line_breaks(pieces, d, first, problems)
    if empties or "" in pieces:
        pieces, empties = _drop_empty(pieces, term == "\n", first, problems, empties)
    fields = list(map(str.split, pieces, repeat(d.element)))
    marks = list(compress(count(), map(ENVELOPE_IDS.get, map(itemgetter(0), fields))))
    return fields, marks, unterminated and bool(fields), stripped, empties


def _note_line_breaks(pieces: list[str], d: Delimiters, first: int,
                      problems: list[X12Error]) -> None:
    """Warn about segments that run over a line break: a terminator is probably missing."""
    kept = 0
    for piece in pieces:
        if not piece:
            continue
        kept += 1
        if "\n" not in piece:
            continue
        line_end = piece[:piece.index("\n")].rstrip(" \t\r")
        seg_id = piece.split(d.element, 1)[0]
        other = line_end[-1:]
        hint = (f" (the line ends with {visible(other)} instead)"
                if other and not other.isalnum() and other != d.element else "")
        problems.append(X12Error(
            "segment.line_break", f"segment {first + kept - 1} ({seg_id}) runs over a line break: "
            f"the line does not end with the segment terminator {visible(d.terminator)}{hint}, so "
            f"the next line was read as part of {seg_id}; ask the supplier to fix the terminators",
            first + kept - 1, seg_id, severity="warning"))


def _drop_empty(pieces: list[str], newline: bool, first: int, problems: list[X12Error],
                run: int) -> tuple[list[str], int]:
    """Remove empty segments, one warning per run of them; return the run left at the end.

    A run that ends the text is reported with the next segment, wherever the text is cut.
    """
    kept: list[str] = []
    for piece in pieces:
        if piece:
            if run:
                _empty_warning(run, first + len(kept), newline, problems)
                run = 0
            kept.append(piece)
        else:
            run += 1
    return kept, run


def _empty_warning(run: int, before: int, newline: bool, problems: list[X12Error]) -> None:
    what = "blank line" if newline else "empty segment (two terminators in a row)"
    many = f"{run} times " if run > 1 else ""
    problems.append(X12Error(
        "segment.empty", f"{what} {many}before segment {before}; skipped", before,
        severity="warning"))
