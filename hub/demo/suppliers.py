"""Demo suppliers that answer the hub's purchase orders the way real ones do.

Each works on its own folders, exactly where the hub's documents land and where its answers
are fetched from: shared folders (``edihub init --demo``), or in the networked demo the
embedded SFTP server's root (acme) and the AS2 station's folders (initech). It picks up what
the hub sent, and answers a purchase order with a 997 (X12), an order acknowledgement and a
first shipment; units it backordered ship on its next turn.
Acme answers in X12 004010 and turns down one SKU (the hub re-routes it); Initech answers
in its own XML layout (mappings/xml/custom-supplier-answers-in.xsl reads it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

from hub.edi.x12.envelope import iter_transactions
from hub.edi.xml.safe import parse_bytes


@dataclass
class Line:
    """One purchase-order line as the supplier reads it."""

    number: str
    quantity: int
    uom: str
    price: str
    ours: str          # our SKU (BP)
    theirs: str        # the supplier's item (VP)


@dataclass
class Order:
    """One purchase order as the supplier reads it."""

    po_number: str
    lines: list[Line]
    group_control: str = ""
    set_control: str = ""


@dataclass
class Supplier:
    """A demo supplier working on two folders: what it receives, and where it answers."""

    name: str
    inbox: Path                       # the hub's "to-supplier" folder
    outbox: Path                      # the hub's "from-supplier" folder
    refuse: frozenset[str] = frozenset()  # SKUs it does not supply (rejected lines)
    backorder_from: int = 4           # lines of this many units or more: half waits a turn
    state: dict = field(default_factory=dict)

    def turn(self, now: datetime) -> list[str]:
        """Answer everything new in the inbox, ship what was backordered; return file names written."""
        self._load()
        written = self._ship_backorders(now)
        for path in sorted(p for p in self.inbox.iterdir() if p.is_file() and not p.name.startswith(".")):
            for order in self.read(path.read_bytes()):
                written += self.answer(order, now)
            done = self.inbox / "picked-up"
            done.mkdir(exist_ok=True)
            path.rename(done / path.name)
        self._save()
        return written

    def split(self, line: Line) -> tuple[int, int, int]:
        """(accepted now, backordered, rejected) units of a line, by this supplier's rules."""
        if line.ours in self.refuse:
            return 0, 0, line.quantity
        later = line.quantity // 2 if line.quantity >= self.backorder_from else 0
        return line.quantity - later, later, 0

    def _number(self, kind: str) -> int:
        self.state[kind] = self.state.get(kind, 0) + 1
        return self.state[kind]

    def _load(self) -> None:
        path = self.outbox.parent / f".{self.name}-demo-state.json"
        self.state = json.loads(path.read_text()) if path.exists() else {}

    def _save(self) -> None:
        (self.outbox.parent / f".{self.name}-demo-state.json").write_text(json.dumps(self.state))

    def _write(self, name: str, data: bytes) -> str:
        temp = self.outbox / f".{name}.part"
        temp.write_bytes(data)
        temp.rename(self.outbox / name)   # the hub never sees half a file
        return name

    def _ship_backorders(self, now: datetime) -> list[str]:
        waiting = self.state.pop("backorders", [])
        return [self.ship(Order(w["po"], [Line(**ln) for ln in w["lines"]]), now) for w in waiting]

    def _remember_backorders(self, order: Order, lines: list[tuple[Line, int]]) -> None:
        if lines:
            self.state.setdefault("backorders", []).append(
                {"po": order.po_number, "lines": [{**vars(ln), "quantity": q} for ln, q in lines]})

    # what a concrete supplier provides
    def read(self, data: bytes) -> list[Order]:
        """The purchase orders in a file the hub sent (other documents are just picked up)."""
        raise NotImplementedError

    def answer(self, order: Order, now: datetime) -> list[str]:
        """Write the answers to one purchase order."""
        raise NotImplementedError

    def ship(self, order: Order, now: datetime) -> str:
        """Write a ship notice for the given lines and quantities."""
        raise NotImplementedError


class X12Supplier(Supplier):
    """Answers 850s with a 997, an 855 and an 856, in X12 004010."""

    our_id: str = "ACMESUPPLY"
    hub_id: str = "DEMORETAIL"

    def read(self, data: bytes) -> list[Order]:
        orders = []
        for tx in iter_transactions(data):
            if tx.set_id != "850":
                continue   # the hub's 997s about our answers: nothing to do
            po = next(s for s in tx.segments if s.id == "BEG").element(3)
            lines = [_po1(s) for s in tx.segments if s.id == "PO1"]
            orders.append(Order(po, lines, tx.group.control, tx.control))
        return orders

    def answer(self, order: Order, now: datetime) -> list[str]:
        day = now.strftime("%Y%m%d")
        ack = [f"AK1*PO*{order.group_control}", f"AK2*850*{order.set_control}", "AK5*A", "AK9*A*1*1*1"]
        body = [f"BAK*00*AC*{order.po_number}*{day}"]
        now_lines, later = [], []
        for ln in order.lines:
            take, wait, refuse = self.split(ln)
            body.append(f"PO1*{ln.number}*{ln.quantity}*{ln.uom}*{ln.price}**BP*{ln.ours}*VP*{ln.theirs}")
            ship = (now + timedelta(days=1)).strftime("%Y%m%d")
            for code, qty, when in (("IA", take, ship), ("IB", wait, (now + timedelta(days=7)).strftime("%Y%m%d")),
                                    ("IR", refuse, "")):
                if qty:
                    body.append(f"ACK*{code}*{qty}*{ln.uom}" + (f"*068*{when}" if when else ""))
            if take:
                now_lines.append(Line(**{**vars(ln), "quantity": take}))
            if wait:
                later.append((ln, wait))
        body.append(f"CTT*{len(order.lines)}")
        self._remember_backorders(order, later)
        names = [self._interchange("FA", "997", ack, now), self._interchange("PR", "855", body, now)]
        if now_lines:
            names.append(self.ship(Order(order.po_number, now_lines), now))
        return names

    def ship(self, order: Order, now: datetime) -> str:
        n = self._number("shipment")
        body = [f"BSN*00*SH{n:06d}*{now:%Y%m%d}*{now:%H%M}", "HL*1**S", "TD5*B*2*UPSN*M*UPS GROUND",
                f"REF*BM*BOL{n:06d}", f"REF*CN*1ZDEMO{n:010d}", f"DTM*011*{now:%Y%m%d}",
                f"DTM*017*{(now + timedelta(days=3)):%Y%m%d}", "HL*2*1*O", f"PRF*{order.po_number}"]
        for k, ln in enumerate(order.lines, start=3):
            body += [f"HL*{k}*2*I", f"LIN*{ln.number}*BP*{ln.ours}*VP*{ln.theirs}",
                     f"SN1*{ln.number}*{ln.quantity}*{ln.uom}"]
        body.append(f"CTT*{len(order.lines) + 2}")
        return self._interchange("SH", "856", body, now)

    def _interchange(self, functional_id: str, set_id: str, body: list[str], now: datetime) -> str:
        n = self._number("interchange")
        isa = (f"ISA*00*{'':10}*00*{'':10}*ZZ*{self.our_id:<15}*ZZ*{self.hub_id:<15}*"
               f"{now:%y%m%d}*{now:%H%M}*U*00401*{n:09d}*0*T*>")
        segs = [isa, f"GS*{functional_id}*{self.our_id}*{self.hub_id}*{now:%Y%m%d}*{now:%H%M}*{n}*X*004010",
                f"ST*{set_id}*0001", *body, f"SE*{len(body) + 2}*0001", f"GE*1*{n}", f"IEA*1*{n:09d}"]
        return self._write(f"{self.name}_{set_id}_{n:06d}.edi", ("~\n".join(segs) + "~\n").encode())


class XmlSupplier(Supplier):
    """Answers its PurchaseOrder 3.2 XML with an OrderConfirmation and a DespatchAdvice 3.2."""

    def read(self, data: bytes) -> list[Order]:
        root = parse_bytes(data)
        if root.tag != "PurchaseOrder":
            return []
        lines = [Line(ln.get("no"), int(ln.get("qty")), ln.get("unit"), ln.findtext("Price"),
                      ln.find("Item").get("ourCode", ""), ln.find("Item").get("code"))
                 for ln in root.iterfind("Lines/Line")]
        return [Order(root.findtext("Header/OrderNo"), lines)]

    def answer(self, order: Order, now: datetime) -> list[str]:
        n = self._number("confirmation")
        lines, now_lines, later = [], [], []
        for ln in order.lines:
            take, wait, refuse = self.split(ln)
            status = "".join(f'<Status code="{code}" qty="{q}"{when}/>' for code, q, when in (
                ("OK", take, f' ship="{(now + timedelta(days=1)):%d/%m/%Y}"'),
                ("BO", wait, f' ship="{(now + timedelta(days=7)):%d/%m/%Y}"'), ("NS", refuse, "")) if q)
            lines.append(f'<Line no="{ln.number}" qty="{ln.quantity}" unit="{ln.uom}">'
                         f'<Item code="{escape(ln.theirs)}" ourCode="{escape(ln.ours)}"/>'
                         f'<Price>{ln.price}</Price>{status}</Line>')
            if take:
                now_lines.append(Line(**{**vars(ln), "quantity": take}))
            if wait:
                later.append((ln, wait))
        answer = "ACC" if not later and all(self.split(ln)[2] == 0 for ln in order.lines) else "CHG"
        doc = (f'<?xml version="1.0" encoding="UTF-8"?>\n<OrderConfirmation version="3.2" test="Y">'
               f'<Header><MessageRef created="{now:%Y-%m-%dT%H:%M:%S}+00:00">OC-{n:07d}</MessageRef>'
               f'<OrderNo>{escape(order.po_number)}</OrderNo><ConfirmationNo>SO-{n:05d}</ConfirmationNo>'
               f'<ConfirmationDate>{now:%d/%m/%Y}</ConfirmationDate><Account>ER-20417</Account>'
               f'<Answer code="{answer}"/></Header><Lines count="{len(lines)}">{"".join(lines)}</Lines>'
               f'</OrderConfirmation>\n')
        self._remember_backorders(order, later)
        names = [self._write(f"{self.name}_confirmation_{n:06d}.xml", doc.encode())]
        if now_lines:
            names.append(self.ship(Order(order.po_number, now_lines), now))
        return names

    def ship(self, order: Order, now: datetime) -> str:
        n = self._number("despatch")
        lines = "".join(f'<Line no="{ln.number}" qty="{ln.quantity}" unit="{ln.uom}">'
                        f'<Item code="{escape(ln.theirs)}" ourCode="{escape(ln.ours)}"/></Line>'
                        for ln in order.lines)
        doc = (f'<?xml version="1.0" encoding="UTF-8"?>\n<DespatchAdvice version="3.2" test="Y"><Header>'
               f'<MessageRef created="{now:%Y-%m-%dT%H:%M:%S}+00:00">DA-{n:07d}</MessageRef>'
               f'<DespatchNo purpose="NEW">DN-{n:05d}</DespatchNo>'
               f'<DespatchDate time="{now:%H:%M}">{now:%d/%m/%Y}</DespatchDate>'
               f'<DeliveryDue>{(now + timedelta(days=2)):%d/%m/%Y}</DeliveryDue><Account>ER-20417</Account>'
               f'<Carrier scac="FDEG" service="GND">FedEx Ground</Carrier><Tracking>DEMO{n:012d}</Tracking>'
               f'</Header><Orders count="1"><Order no="{escape(order.po_number)}">{lines}</Order></Orders>'
               f'<Totals lines="{len(order.lines)}" units="{sum(ln.quantity for ln in order.lines)}"/>'
               f'</DespatchAdvice>\n')
        return self._write(f"{self.name}_despatch_{n:06d}.xml", doc.encode())


def _po1(seg) -> Line:
    """PO101 line, PO102 quantity, PO103 unit, PO104 price, then qualifier/value pairs."""
    pairs = dict(zip(seg.fields[6::2], seg.fields[7::2]))
    return Line(seg.element(1), int(seg.element(2)), seg.element(3), seg.element(4),
                pairs.get("BP", ""), pairs.get("VP", ""))


def demo_suppliers(home: Path) -> list[Supplier]:
    """The demo instance's two suppliers, on its folders."""
    base = home / "var" / "suppliers"
    return [X12Supplier("acme", base / "acme" / "to-supplier", base / "acme" / "from-supplier",
                        refuse=frozenset({"FOOTREST-ADJ"})),
            XmlSupplier("initech", base / "initech" / "to-supplier", base / "initech" / "from-supplier")]
