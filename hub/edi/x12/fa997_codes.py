"""What the codes of a 997 or 999 mean, in words an operator reads in the exceptions queue.

Standard meanings, checked against the X12 element pages for 004010 and 005010 (elements 715
and 717 for AK901/AK501, 716 for AK905, 718/618 for AK502/IK502, 720/620 for AK304/IK304,
723/621 for AK403/IK403) and against published 997 error-code tables. Codes this table does
not know are written as they came ("error code '511'"), never dropped.
"""

from __future__ import annotations

# AK501 / IK501 (717) and AK901 (715).
STATUSES = {
    "A": "accepted",
    "E": "accepted, but errors were noted",
    "M": "rejected, message authentication code (MAC) failed",
    "P": "partially accepted, at least one transaction set was rejected",
    "R": "rejected",
    "W": "rejected, assurance failed validity tests",
    "X": "rejected, content after decryption could not be analyzed",
}

# AK304..AK308 / IK304 (720, 620).
SEGMENT_ERRORS = {
    "1": "unrecognized segment ID",
    "2": "unexpected segment",
    "3": "mandatory segment missing",
    "4": "loop occurs over maximum times",
    "5": "segment exceeds maximum use",
    "6": "segment not in defined transaction set",
    "7": "segment not in proper sequence",
    "8": "segment has data element errors",
    "I4": "implementation \"not used\" segment present",
    "I6": "implementation dependent segment missing",
    "I7": "implementation loop occurs under minimum times",
    "I8": "implementation segment below minimum use",
    "I9": "implementation dependent \"not used\" segment present",
}
SUMMARY_SEGMENT_ERROR = "8"   # says only that AK4/IK4 details follow

# AK403 / IK403 (723, 621).
ELEMENT_ERRORS = {
    "1": "mandatory data element missing",
    "2": "conditional required data element missing",
    "3": "too many data elements",
    "4": "data element too short",
    "5": "data element too long",
    "6": "invalid character in data element",
    "7": "invalid code value",
    "8": "invalid date",
    "9": "invalid time",
    "10": "exclusion condition violated",
    "12": "too many repetitions",
    "13": "too many components",
    "I6": "code value not used in implementation",
    "I9": "implementation dependent data element missing",
    "I10": "implementation \"not used\" data element present",
    "I11": "implementation too few repetitions",
    "I12": "implementation pattern match failure",
    "I13": "implementation dependent \"not used\" data element present",
}

# AK502..AK506 / IK502.. (718, 618): codes that read the same in every version.
SET_ERRORS = {
    "1": "transaction set not supported",
    "2": "transaction set trailer missing",
    "3": "transaction set control number in header and trailer do not match",
    "4": "number of included segments does not match actual count",
    "5": "one or more segments in error",
    "6": "missing or invalid transaction set identifier",
    "7": "missing or invalid transaction set control number",
    "8": "authentication key name unknown",
    "9": "encryption key name unknown",
    "10": "requested service (authentication or encryption) not available",
    "11": "unknown security recipient",
    "12": "incorrect message length (encryption only)",
    "13": "message authentication code failed",
    "15": "unknown security originator",
    "16": "syntax error in decrypted text",
    "17": "security not supported",
    "23": "transaction set control number not unique within the functional group",
    "24": "S3E security end segment missing for S3S security start segment",
    "25": "S3S security start segment missing for S3E security end segment",
    "26": "S4E security end segment missing for S4S security start segment",
    "27": "S4S security start segment missing for S4E security end segment",
    "I5": "implementation one or more segments in error",
    "I6": "implementation convention not supported",
}
SUMMARY_SET_ERRORS = frozenset({"5", "I5"})   # repeat what the AK3/IK3 notes already say
# 19-22 named S1/S2 security segments up to 004010; 005010 reuses 18 and 19.
_OLD_SECURITY = {
    "19": "S1E security end segment missing for S1S security start segment",
    "20": "S1S security start segment missing for S1E security end segment",
    "21": "S2E security end segment missing for S2S security start segment",
    "22": "S2S security start segment missing for S2E security end segment",
}
_SET_ERRORS_5010 = {
    "18": "transaction set not in functional group",
    "19": "invalid transaction set implementation convention reference",
}

# AK905..AK909 (716): codes that read the same in every version.
GROUP_ERRORS = {
    "1": "functional group not supported",
    "2": "functional group version not supported",
    "3": "functional group trailer missing",
    "4": "group control number in the functional group header and trailer do not agree",
    "5": "number of included transaction sets does not match actual count",
    "6": "group control number violates syntax",
    "7": "invalid application sender's code",
    "8": "invalid application receiver's code",
    "9": "invalid responsible agency code",
    "10": "authentication key name unknown",
    "11": "encryption key name unknown",
    "12": "requested service (authentication or encryption) not available",
    "13": "unknown security recipient",
    "14": "unknown security originator",
    "15": "syntax error in decrypted text",
    "16": "security not supported",
    "17": "incorrect message length (encryption only)",
    "18": "message authentication code failed",
    "23": "S3E security end segment missing for S3S security start segment",
    "24": "S3S security start segment missing for S3E security end segment",
    "25": "S4E security end segment missing for S4S security start segment",
    "26": "S4S security start segment missing for S4E security end segment",
    "30": "invalid group date",
    "31": "invalid group time",
    "32": "control segments for one or more included transaction sets were syntactically invalid",
}
# From 004030 on, 19 means a repeated group control number instead of an S1E segment.
_GROUP_ERRORS_4030 = {"19": "functional group control number not unique within interchange"}


def meaning(table: dict[str, str], code: str) -> str:
    """The standard meaning of ``code`` in ``table``, or the code itself when unknown."""
    return table.get(code) or f"error code {code!r}"


def set_error(code: str, version: str) -> str:
    """The meaning of an AK502 / IK502 code in the acknowledgement's version."""
    if code in SET_ERRORS:
        return SET_ERRORS[code]
    later = _SET_ERRORS_5010 if version[:6] >= "005010" else _OLD_SECURITY
    return meaning(later, code)


def group_error(code: str, version: str) -> str:
    """The meaning of an AK905 code in the acknowledgement's version."""
    if code in GROUP_ERRORS:
        return GROUP_ERRORS[code]
    later = _GROUP_ERRORS_4030 if version[:6] >= "004030" else _OLD_SECURITY
    return meaning(later, code)
