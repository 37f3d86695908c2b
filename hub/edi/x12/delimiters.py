"""The delimiters of one interchange as its ISA declares them, and how to show them.

:func:`visible` writes a delimiter so that an operator can see it, invisible ones included.
"""

from __future__ import annotations

from typing import NamedTuple

WS = " \t\r\n"                  # cosmetic white space around segments
WS_BYTES = WS.encode()


class Delimiters(NamedTuple):
    """The separators of one interchange, as declared by its ISA."""

    element: str
    sub_element: str | None     # ISA16; None when the ISA lacks it
    repetition: str | None      # ISA11 when it is a separator (00402 and later), else None
    terminator: str             # "\n" when line breaks end the segments
    line_break: str = ""        # "\n" or "\r\n" after each terminator (or serving as one)

    def describe(self) -> str:
        """The delimiters spelled out so that invisible characters can be seen."""
        if self.terminator == "\n":
            term = f"line break ({visible(self.line_break or self.terminator)})"
        else:
            after = f" + {visible(self.line_break)}" if self.line_break else ""
            term = visible(self.terminator) + after
        return (f"element {visible(self.element)} sub-element {visible(self.sub_element)} "
                f"repetition {visible(self.repetition)} terminator {term}")


def visible(char: str | None) -> str:
    """A delimiter written so an operator can see it: '*', LF, CR LF, SPACE, '…' (U+2026)."""
    if char is None:
        return "none"
    names = {"\n": "LF", "\r": "CR", "\r\n": "CR LF", " ": "SPACE", "\t": "TAB"}
    if char in names:
        return names[char]
    if len(char) == 1 and not char.isprintable():
        return f"U+{ord(char):04X}"
    return f"'{char}'" + (f" (U+{ord(char):04X})" if len(char) == 1 and ord(char) > 127 else "")
