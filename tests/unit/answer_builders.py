"""Small X12 interchanges written in the tests, read back with the hub's reader."""

from __future__ import annotations

from hub.domain.documents import ParsedDocument
from hub.edi.x12.answers import parse_transaction
from hub.edi.x12.envelope import Transaction, iter_transactions

FUNCTIONAL_IDS = {"997": "FA", "999": "FA", "855": "PR", "856": "SH", "850": "PO", "865": "CA"}


def interchange(set_id: str, body: list[str], version: str = "004010",
                control: str = "0001") -> bytes:
    """One ISA/GS/ST..SE/GE/IEA around ``body`` ('*' elements, ':' components, '^' repeats)."""
    isa12, isa11 = ("00501", "^") if version >= "005010" else ("00401", "U")
    isa = (f"ISA*00*          *00*          *ZZ*SUPPLIER       *ZZ*EDIHUB         *260105*1200*"
           f"{isa11}*{isa12}*000000001*0*P*:")
    segments = [isa, f"GS*{FUNCTIONAL_IDS.get(set_id, 'ZZ')}*SUPPLIER*EDIHUB*20260105*1200*7*X*"
                     f"{version}", f"ST*{set_id}*{control}", *body,
                f"SE*{len(body) + 2}*{control}", "GE*1*7", "IEA*1*000000001"]
    return "~\n".join(segments).encode() + b"~\n"


def transaction(set_id: str, body: list[str], version: str = "004010") -> Transaction:
    """The one transaction set of a written interchange."""
    found = list(iter_transactions(interchange(set_id, body, version)))
    assert len(found) == 1
    return found[0]


def parse(set_id: str, body: list[str], version: str = "004010") -> ParsedDocument:
    """A written transaction set through ``parse_transaction``."""
    return parse_transaction(transaction(set_id, body, version))


def codes(parsed: ParsedDocument) -> list[str]:
    """The problem codes of a parsed document, in order."""
    return [p.code for p in parsed.problems]
