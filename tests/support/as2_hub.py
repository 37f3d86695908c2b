"""A hub instance with an AS2 supplier: its partner file, its catalog line, its X12 answers."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.as2 import OUR_ID, PARTNER_ID, PASSPHRASE_ENV, As2Certs

SUPPLIER = "supplier"          # the partner id
SUPPLIER_ISA = "AS2SUPPLY"     # its ISA06 / our ISA08 at it
SKU = "GADGET-AS2"             # sold by this supplier only
ITEM = "SUP-GADGET"


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)     # a JSON string or number is a TOML one too


def write_as2_partner(home: Path, certs: As2Certs, url: str, partner_id: str = SUPPLIER,
                      isa_id: str = SUPPLIER_ISA, sku: str | None = SKU,
                      **transport) -> Path:
    """Write partners/<partner_id>.toml for an X12 supplier reached over AS2; list its SKU."""
    table = {"type": "as2", "url": url, "our_as2_id": OUR_ID, "partner_as2_id": PARTNER_ID,
             "key_file": str(certs.ours.bundle_file), "key_passphrase_env": PASSPHRASE_ENV,
             "partner_cert_file": str(certs.partner.cert_file), "timeout": 10, **transport}
    lines = [f'id = "{partner_id}"', f'name = "{partner_id} (AS2)"', "test_mode = true",
             'po_format = "x12"', "", "[x12]", 'version = "004010"', 'sender_qualifier = "ZZ"',
             'sender_id = "DEMORETAIL"', 'receiver_qualifier = "ZZ"', f'receiver_id = "{isa_id}"',
             'mapping = "x12/850-4010.toml"', "", "[documents]", 'outbound = ["850"]',
             'inbound = ["997", "855", "856"]', "", "[transport]"]
    lines += [f"{key} = {_toml(value)}" for key, value in table.items() if value is not None]
    path = home / "partners" / f"{partner_id}.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if sku is not None:
        with open(home / "partners" / "catalog.csv", "a", encoding="utf-8") as fh:
            fh.write(f"{sku},{partner_id},{ITEM},12.50,3,10,1,100,true,EA\n")
    return path


def x12_from_supplier(set_id: str, fid: str, body: list[str], isa: int,
                      isa_id: str = SUPPLIER_ISA) -> bytes:
    """One interchange from the AS2 supplier to us with one transaction set."""
    segs = [f"ST*{set_id}*0001", *body, f"SE*{len(body) + 2}*0001"]
    head = (f"ISA*00*          *00*          *ZZ*{isa_id:<15}*ZZ*DEMORETAIL     *261125*1200*U*"
            f"00401*{isa:09d}*0*T*>~\nGS*{fid}*{isa_id}*DEMORETAIL*20261125*1200*{isa}*X*004010~\n")
    tail = f"GE*1*{isa}~\nIEA*1*{isa:09d}~\n"
    return (head + "~\n".join(segs) + "~\n" + tail).encode()


def poack_855(po_number: str, isa: int, quantity: int = 3) -> bytes:
    """The supplier's 855 accepting every unit of our purchase order's one line."""
    return x12_from_supplier("855", "PR", [
        f"BAK*00*AC*{po_number}*20261125", f"PO1*1*{quantity}*EA*12.50**BP*{SKU}*VP*{ITEM}",
        f"ACK*IA*{quantity}*EA", "CTT*1"], isa)


class LateApp:
    """A WSGI app served before it exists: the server's URL must go into the partner file."""

    def __init__(self):
        self.app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)
