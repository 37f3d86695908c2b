"""Outbound functional acknowledgements: the 997 or 999 answering one group a partner sent.

One received functional group gets one interchange with one FA group holding one 997 (004010
or 005010) or 999 (005010 only), enveloped by :class:`hub.edi.x12.writer.Envelope` as an 850 is,
except that GS01 is ``FA`` and ISA14 is ``0``: an acknowledgement never asks for one.

Layout (X12 997 and 999 as published for 004010/005010; the 999 follows 005010X231 without
its HIPAA code lists)::

    997: ST AK1 {AK2 {AK3 AK4*} AK5}* AK9 SE
    999: ST AK1 {AK2 {IK3 CTX? IK4*} IK5}* AK9 SE

Verdicts (AK501/IK501, then AK901):

* A set without errors is ``A``. A set whose every error carries a *tolerated* code is ``E``
  (accepted, errors noted): data we received but do not use, namely AK403/IK403 ``3`` too many
  data elements, ``I10``/``I13`` a "not used" element present, and IK304 ``I4``/``I9`` a "not
  used" segment present. Any other error rejects the set (``R``). The summary codes AK304 ``8``
  and AK502 ``5``/``I5`` are neutral; an error carrying nothing else rejects, since an error
  nobody explained is not harmless. No AK502 code is tolerated: each one means the set as a
  whole could not be trusted.
* The group is ``R`` when it has group errors (AK905..) or no accepted set, ``A`` when every set
  is ``A``, ``E`` when every set is accepted and some with errors, ``P`` otherwise. AK904 counts
  the sets marked ``A`` or ``E``, as pyx12 does.

Values echoed from the received group: mandatory ones (AK101, AK102, AK201, AK202) are written
exactly or refused with a DocumentError, because an altered control number answers nothing;
optional ones (AK103, AK203, AK303, AK404, CTX01-2) are cleaned as free text and cut to fit.
Codes must belong to the element's code list for the kind and version (ValueError otherwise).
At most five AK502/AK905 codes and 99 AK4/IK4 per segment are sent (the places the segments
have); the complete list stays with the caller, for the Incident.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from hub.domain.partner import Partner
from hub.edi.document import ControlNumbers, RenderedDocument, document_filename
from hub.edi.x12.elements import UnfitValue
from hub.edi.x12.po850 import CONTENT_TYPE
from hub.edi.x12.writer import Envelope, Syntax, check_delimiters, check_envelope, interchange_number
from hub.errors import DocumentError, PartnerConfigError

KINDS = ("997", "999")


def _codes(*spans: tuple[int, int], extra: tuple[str, ...] = ()) -> frozenset[str]:
    """A code list made of numeric ranges and named codes."""
    return frozenset({str(n) for low, high in spans for n in range(low, high + 1)} | set(extra))


# Code lists by (kind, version). Sources: the element pages for 004010/005010 (720, 723, 718,
# 716 on stedi.com; 620, 621, 618 on stedi.com x12-005010) and pyx12's map/997.4010.xml and
# map/999.5010X231.A1.xml. AK304/IK304:
_SEGMENT_CODES = {"997": _codes((1, 8)),
                  "999": _codes((1, 8), extra=("I4", "I6", "I7", "I8", "I9"))}
_ELEMENT_CODES = {  # AK403/IK403; 005010 adds 12 too many repetitions and 13 too many components
    ("997", "004010"): _codes((1, 10)), ("997", "005010"): _codes((1, 10), (12, 13)),
    ("999", "005010"): _codes((1, 10), (12, 13), extra=("I6", "I9", "I10", "I11", "I12", "I13"))}
_SET_CODES = {  # AK502/IK502
    ("997", "004010"): _codes((1, 13), (15, 17), (19, 27)),
    ("997", "005010"): _codes((1, 13), (15, 19), (23, 27)),
    ("999", "005010"): _codes((1, 13), (15, 19), (23, 27), extra=("I5", "I6"))}
_GROUP_CODES = {"004010": _codes((1, 6), (10, 26)), "005010": _codes((1, 6), (10, 19), (23, 26))}

_TOLERATED_SEGMENT = frozenset({"I4", "I9"})
_TOLERATED_ELEMENT = frozenset({"3", "I10", "I13"})
_SUMMARY_SEGMENT, _SUMMARY_SET = frozenset({"8"}), frozenset({"5", "I5"})


@dataclass(frozen=True, slots=True)
class SetError:
    """One problem found in a received transaction set: where it is and its X12 codes."""

    segment_id: str = ""                   # AK301/IK301: the segment in error
    position: int | None = None            # AK302/IK302: its position in the set, ST = 1
    loop_id: str = ""                      # AK303/IK303
    segment_code: str = ""                 # AK304/IK304, e.g. "8" segment has data element errors
    element_position: int | None = None    # AK401-1/IK401-1: first element after the id = 1
    element_code: str = ""                 # AK403/IK403, e.g. "7" invalid code value
    bad_value: str = ""                    # AK404/IK404: a copy of the bad data element
    set_code: str = ""                     # AK502/IK502, e.g. "4" segment count differs from SE01
    component_position: int | None = None  # AK401-2/IK401-2: the component of a composite
    element_reference: str = ""            # AK402/IK402: the data element number, e.g. "330"


@dataclass(frozen=True, slots=True)
class ReceivedSet:
    """One transaction set as we read it, with what was wrong (no errors: accepted)."""

    set_id: str                            # ST01, echoed in AK201
    set_control: str                       # ST02, echoed in AK202
    errors: tuple[SetError, ...] = ()
    convention: str = ""                   # ST03 (005010), echoed in AK203
    business_unit: tuple[str, str] | None = None   # 999 CTX01: e.g. ("BAK03", the PO number)


@dataclass(frozen=True, slots=True)
class ReceivedGroup:
    """One functional group as we read it."""

    functional_id: str                     # GS01, echoed in AK101
    group_control: str                     # GS06, echoed in AK102
    version: str                           # GS08, echoed in AK103 (005010 only)
    sets: tuple[ReceivedSet, ...]
    group_errors: tuple[str, ...] = ()     # AK905..AK909, e.g. "5" set count differs from GE01
    declared_sets: int | None = None       # GE01 for AK902; None (no GE) means the sets received
    # Sets received and rejected that no AK2 can name (an ST01/ST02 that cannot be echoed):
    # counted in AK903 and not in AK904, so AK901 says P or R.
    rejected_unlisted: int = 0


def default_kind(partner: Partner) -> str:
    """The acknowledgement a partner gets unless its policy says otherwise: 999 on 005010."""
    return "999" if partner.x12 is not None and partner.x12.version == "005010" else "997"


def set_status(received: ReceivedSet) -> str:
    """AK501/IK501 for one set: A (no errors), E (only tolerated errors) or R."""
    if not received.errors:
        return "A"
    return "E" if all(_tolerated(err) for err in received.errors) else "R"


def group_status(group: ReceivedGroup) -> str:
    """AK901 for the group: A, E, P (some sets rejected) or R (group errors, nothing accepted)."""
    statuses = [set_status(s) for s in group.sets]
    accepted = sum(status in "AE" for status in statuses)
    if group.group_errors or not accepted:
        return "R"
    if accepted < len(statuses) + group.rejected_unlisted:
        return "P"
    return "A" if all(status == "A" for status in statuses) else "E"


def build_ack(partner: Partner, group: ReceivedGroup, numbers: ControlNumbers, now: datetime,
              kind: str | None = None) -> RenderedDocument:
    """The 997 or 999 answering one received group, enveloped for the partner's outbox."""
    profile = partner.x12
    if profile is None:
        raise PartnerConfigError(partner.source, "x12", f"partner {partner.id} has no [x12] "
                                 "table, so it cannot receive a 997 or 999")
    kind = kind or default_kind(partner)
    if kind not in KINDS:
        raise ValueError(f"acknowledgement kind {kind!r} is not one of {KINDS}")
    problems = check_delimiters(profile) + check_envelope(profile)
    if kind == "999" and profile.version != "005010":
        problems.append(f"a 999 exists from 005010 on, but the partner uses {profile.version}; "
                        "send it a 997 or change x12.version")
    if problems:
        raise PartnerConfigError(partner.source, "x12", "; ".join(problems))
    syntax = Syntax(profile)
    where = f"group {group.group_control!r} ({group.functional_id}) from partner {partner.id}"
    body = _Body(syntax, kind, profile.version, where).lay_out(group)
    # GS01 FA; ISA14 "0" whatever the profile asks for the 850: never ask for an ack of an ack.
    envelope = Envelope(profile, partner.test_mode, syntax, functional_id="FA", set_id=kind,
                        ack_requested=False)
    text = (envelope.header(numbers.interchange, numbers.group, numbers.transaction, now) +
            syntax.end.join(body) + syntax.end +
            envelope.trailer(numbers.interchange, numbers.group, numbers.transaction, len(body)))
    isa13 = interchange_number(numbers.interchange)
    return RenderedDocument(doc_type=kind, payload=text.encode(syntax.charset),
                            filename=document_filename(partner.id, kind, isa13, "edi"),
                            content_type=CONTENT_TYPE, control_number=isa13)


class EchoCheck:
    """Whether a 997/999 to one partner could echo what a received group and its sets carry.

    Checked before a set is applied: a group whose GS01/GS06 cannot be echoed cannot be
    acknowledged at all (it is not applied); a set whose ST01/ST02 cannot be named in an AK2
    is rejected and counted in AK9 only (see ``ReceivedGroup.rejected_unlisted``).
    """

    def __init__(self, partner: Partner):
        profile = partner.x12
        if profile is None:
            raise PartnerConfigError(partner.source, "x12", f"partner {partner.id} has no [x12] table")
        self.partner = partner
        self._body = _Body(Syntax(profile), default_kind(partner), profile.version, "")

    def group(self, functional_id: str, group_control: str) -> str:
        """Why GS01/GS06 cannot be echoed (AK101/AK102), in an operator's words; "" when they can."""
        return self._check(functional_id, group_control,
                           lambda b: (b._exact(functional_id, "ID", 2, 2, "AK101 (GS01)"),
                                      b._control(group_control)))

    def set(self, functional_id: str, group_control: str, set_id: str, set_control: str) -> str:
        """Why ST01/ST02 cannot be echoed (AK201/AK202); "" when they can."""
        return self._check(functional_id, group_control,
                           lambda b: (b._exact(set_id, "ID", 3, 3, "AK201 (ST01)"),
                                      b._exact(set_control, "AN", 4, 9, "AK202 (ST02)")))

    def _check(self, functional_id: str, group_control: str, check) -> str:
        self._body.where = f"group {group_control!r} ({functional_id}) from partner {self.partner.id}"
        try:
            check(self._body)
        except DocumentError as exc:
            return str(exc)
        return ""


def _tolerated(err: SetError) -> bool:
    """True if an error is about data we received but do not use (see the module docstring)."""
    codes = [(err.segment_code, _TOLERATED_SEGMENT, _SUMMARY_SEGMENT),
             (err.element_code, _TOLERATED_ELEMENT, frozenset()),
             (err.set_code, frozenset(), _SUMMARY_SET)]
    present = [(code, ok, neutral) for code, ok, neutral in codes if code]
    return any(code in ok for code, ok, _ in present) and \
        all(code in ok or code in neutral for code, ok, neutral in present)


def _check_shape(err: SetError) -> None:
    """Refuse a SetError that cannot be written: AK3/AK4 need their mandatory parts."""
    element_parts = (err.element_position is not None or err.element_code or err.bad_value or
                     err.component_position is not None or err.element_reference)
    if not (err.segment_code or err.element_code or err.set_code):
        raise ValueError(f"{err} carries no error code")
    if (err.segment_code or err.loop_id or element_parts) and not err.segment_id:
        raise ValueError(f"{err} has segment or element detail but no segment_id (AK301)")
    if err.segment_id and (err.position is None or err.position < 1):
        raise ValueError(f"{err} needs the segment position (AK302, ST = 1)")
    if element_parts and (err.element_position is None or not err.element_code):
        raise ValueError(f"{err} needs element_position (AK401) and element_code (AK403)")


class _Body:
    """Lays out the segments between ST and SE of one 997 or 999."""

    def __init__(self, syntax: Syntax, kind: str, version: str, where: str):
        self.s, self.kind, self.version, self.where = syntax, kind, version, where
        self.v5 = version == "005010"
        self.out: list[str] = []

    def lay_out(self, group: ReceivedGroup) -> list[str]:
        """Every body segment, without terminators."""
        self._codes(group.group_errors, _GROUP_CODES[self.version], "AK905")
        ak1 = [self._exact(group.functional_id, "ID", 2, 2, "AK101 (GS01)"),
               self._control(group.group_control)]
        if self.v5:   # AK103 exists from 005010 on: the received GS08
            ak1.append(self._loose(group.version, 12))
        self._add("AK1", ak1)
        statuses = [self._set_loop(received) for received in group.sets]
        received = len(group.sets) + group.rejected_unlisted
        declared = received if group.declared_sets is None else group.declared_sets
        self._add("AK9", [group_status(group), self._count(declared, "AK902"),
                          self._count(received, "AK903"),
                          self._count(sum(s in "AE" for s in statuses), "AK904"),
                          *_first_five(group.group_errors)])
        return self.out

    def _set_loop(self, received: ReceivedSet) -> str:
        """AK2, the error detail and AK5/IK5 for one set; returns its status."""
        ak2 = [self._exact(received.set_id, "ID", 3, 3, "AK201 (ST01)"),
               self._exact(received.set_control, "AN", 4, 9, "AK202 (ST02)")]
        if self.v5:   # AK203 echoes ST03, the implementation convention, when there was one
            ak2.append(self._loose(received.convention, 35))
        self._add("AK2", ak2)
        for err in received.errors:
            _check_shape(err)
            self._codes([err.set_code] if err.set_code else [], _SET_CODES[self.kind, self.version],
                        "AK502")
        for key, errors in _by_segment(received.errors).items():
            self._segment_note(key, errors, received.business_unit)
        status = set_status(received)
        self._add("AK5" if self.kind == "997" else "IK5",
                  [status, *_first_five(_set_codes(received.errors))])
        return status

    def _segment_note(self, key: tuple, errors: list[SetError],
                      business_unit: tuple[str, str] | None) -> None:
        """AK3 with its AK4s (997), or IK3, CTX and IK4s (999), for one segment in error."""
        segment_id, position, loop_id, code = key
        self._codes([code] if code else [], _SEGMENT_CODES[self.kind], "AK304")
        ak3 = [self._exact(segment_id, "ID", 2, 3, "AK301 (segment id)"),
               self._count(position, "AK302", 10 if self.v5 else 6),
               self._loose(loop_id, 4 if self.v5 else 6), code]
        self._add("AK3" if self.kind == "997" else "IK3", ak3)
        if self.kind == "999" and business_unit:   # CTX01: which business unit was in error
            name = self._exact(business_unit[0], "AN", 1, 35, "CTX01-1 (business unit name)")
            value = self._loose(business_unit[1], 35)
            self._add("CTX", [name + (self.s.sub + value if value else "")])
        for err in [e for e in errors if e.element_code][:99]:   # AK4 max use 99
            self._element_note(err)

    def _element_note(self, err: SetError) -> None:
        """AK4/IK4: element (and component) position, data element number, code, bad copy."""
        self._codes([err.element_code], _ELEMENT_CODES[self.kind, self.version], "AK403")
        place = self._count(err.element_position, "AK401-1", 2)
        if err.component_position is not None:
            place += self.s.sub + self._count(err.component_position, "AK401-2", 2)
        reference = err.element_reference
        if reference and not (reference.isascii() and reference.isdigit() and len(reference) <= 4):
            raise ValueError(f"AK402 element reference {reference!r} must be 1 to 4 digits")
        self._add("AK4" if self.kind == "997" else "IK4",
                  [place, reference, err.element_code, self._loose(err.bad_value, 99)])

    def _add(self, seg_id: str, values: list[str]) -> None:
        """Append one segment; trailing empty elements are left out."""
        self.out.append(self.s.segment(seg_id, values))

    def _exact(self, value: str, kind: str, low: int, high: int, name: str) -> str:
        """A mandatory echo of received data, written as it is or refused."""
        try:
            if not value:
                raise UnfitValue("is empty")
            return self.s.fit(value, kind, low, high, False)
        except UnfitValue as exc:
            raise DocumentError(f"cannot acknowledge {self.where}: {name} {value!r} {exc.reason}; "
                                "the ack must echo it unchanged, so ask the partner to correct "
                                "the group and send it again") from None

    def _control(self, value: str) -> str:
        """AK102: the received GS06, N0 1/9, echoed digit for digit."""
        if value.isascii() and value.isdigit() and 1 <= len(value) <= 9:
            return value
        raise DocumentError(f"cannot acknowledge {self.where}: AK102 (GS06) {value!r} is not "
                            "1 to 9 digits; the ack must echo it unchanged, so ask the partner "
                            "to correct the group and send it again")

    def _loose(self, value: str, high: int) -> str:
        """An optional echo cleaned as free text (delimiters become spaces), cut to fit."""
        return self.s.fit(value, "AN", 1, high, True) if value else ""

    def _count(self, number: int, name: str, digits: int = 6) -> str:
        """A whole number for an N0 element of 1 to ``digits`` digits."""
        if not 0 <= number < 10 ** digits:
            raise ValueError(f"{name} {number} does not fit N0 1/{digits}")
        return str(number)

    def _codes(self, codes: Iterable[str], allowed: frozenset[str], name: str) -> None:
        """Refuse a code the element's code list does not have for this kind and version."""
        for code in codes:
            if code not in allowed:
                raise ValueError(f"{name} code {code!r} is not defined for a {self.kind} in "
                                 f"{self.version}")


def _by_segment(errors: tuple[SetError, ...]) -> dict[tuple, list[SetError]]:
    """Errors grouped per AK3: segment, position, loop and segment code, in order of appearance."""
    groups: dict[tuple, list[SetError]] = {}
    for err in errors:
        if err.segment_id:
            # An element error under no segment code is reported as AK304 "8".
            code = err.segment_code or ("8" if err.element_code else "")
            groups.setdefault((err.segment_id, err.position, err.loop_id, code), []).append(err)
    return groups


def _set_codes(errors: tuple[SetError, ...]) -> list[str]:
    """AK502..: the set codes given, then "5" (or "I5") when segments are in error."""
    codes = [err.set_code for err in errors if err.set_code]
    detail = [_implementation(err) for err in errors if err.segment_code or err.element_code]
    if not all(detail):
        codes.append("5")           # one or more segments in error
    if any(detail):
        codes.append("I5")          # 999 only: implementation, one or more segments in error
    return codes


def _implementation(err: SetError) -> bool:
    """True for an implementation-guide error (999 codes starting with "I")."""
    return err.segment_code.startswith("I") or err.element_code.startswith("I")


def _first_five(codes: Iterable[str]) -> list[str]:
    """Codes without repeats, at most five: AK502..AK506 and AK905..AK909 have five places."""
    return list(dict.fromkeys(codes))[:5]
