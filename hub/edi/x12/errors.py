"""The problems found in X12 files: :class:`X12Error` and its envelope kind, :class:`EnvelopeError`.

The reader and the envelope checks never raise them: they file them with the interchange,
group or transaction set they concern, so the good parts of a file can still be used.
"""

from __future__ import annotations

from hub.errors import HubError


class X12Error(HubError):
    """A problem found in an X12 file: a stable ``code``, an operator's message and where it is."""

    incident_code = "x12.invalid"

    def __init__(self, code: str, message: str, segment_position: int | None = None,
                 segment_id: str = "", interchange_control: str = "", group_control: str = "",
                 set_control: str = "", *, severity: str = "error", offset: int | None = None):
        super().__init__(message)
        self.code, self.message, self.severity = code, message, severity
        self.segment_position, self.segment_id, self.offset = segment_position, segment_id, offset
        self.interchange_control, self.group_control = interchange_control, group_control
        self.set_control = set_control

    @property
    def is_error(self) -> bool:
        """True for an error, False for a warning (the data can still be used)."""
        return self.severity == "error"

    def __repr__(self) -> str:
        return f"X12Error({self.code!r}, {self.severity}, segment {self.segment_position})"


class EnvelopeError(X12Error):
    """An envelope problem: a count, a control number, a missing or misplaced header/trailer."""

    incident_code = "x12.envelope"
