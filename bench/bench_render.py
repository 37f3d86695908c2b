"""X12 850 rendering: our full path against pyx12's X12Writer writing the same segments.

Ours: mapping evaluation, value checks and cleaning, envelope with control numbers, bytes.
Baseline: the same element values (taken from one of our documents beforehand) turned into
``pyx12.segment.Segment`` objects and written with ``X12Writer`` to a StringIO, which only
joins and counts. Target: ours at least 3x faster; the import pipeline budget is 60 us per
850 of five lines.
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import pyx12.segment
import pyx12.x12file

from bench.harness import Result, best_time, print_table
from hub.adapters.mapping_files import load_x12_mapping
from hub.domain.partner import Partner, X12Profile
from hub.edi.context import HEADER_FIELDS, PoContext
from hub.edi.document import ControlNumbers
from hub.edi.x12.po850 import X12Renderer

MAPPING = Path(__file__).resolve().parents[1] / "mappings" / "x12" / "850-4010.toml"
NOW = datetime(2026, 1, 15, 9, 30)
BUDGET_US = 60.0


def sample_context(lines: int = 5) -> PoContext:
    """A drop-ship PO with ``lines`` lines, one accented name and one description to clean."""
    header = dict.fromkeys(HEADER_FIELDS, "")
    header.update({
        "po.number": "PO-20260115-0001", "po.date": "20260115", "po.time": "0930",
        "po.line_count": str(lines), "po.quantity_total": str(2 * lines),
        "order.channel_order_id": "WS-10001", "customer.name": "Jürgen Groß",
        "customer.email": "j.gross@example.com", "customer.phone": "+1 555 0100",
        "ship_to.name": "Jurgen Gross", "ship_to.address1": "12 Elm Street",
        "ship_to.address2": "Apt 4B", "ship_to.city": "Springfield", "ship_to.state": "IL",
        "ship_to.postal_code": "62704", "ship_to.country": "US",
        "buyer.name": "Northwind Retail", "buyer.id": "NWR01",
        "partner.id": "acme", "partner.name": "Acme Supply",
    })
    rows = [{"line.number": str(n), "line.quantity": "2", "line.uom": "EA",
             "line.unit_cost": f"{n}.25", "line.sku": f"NW-ITEM-{n:03d}",
             "line.supplier_item": f"AC-{4400 + n}",
             "line.description": "Desk lamp, brass * 40W" if n == 1 else f"Item number {n}"}
            for n in range(1, lines + 1)]
    return PoContext(header["po.number"], "acme", header, rows)


def sample_renderer() -> X12Renderer:
    """The default 004010 mapping bound to a partner with default delimiters."""
    profile = X12Profile("004010", "ZZ", "NORTHWIND", "ZZ", "ACMESUPPLY", "NORTHWIND",
                         "ACMESUPPLY")
    partner = Partner("acme", "Acme Supply", "partners/acme.toml", x12=profile)
    return X12Renderer(partner, load_x12_mapping(MAPPING))


def render_ours(renderer: X12Renderer, ctx: PoContext, count: int) -> None:
    """The full path, one interchange per purchase order."""
    for n in range(1, count + 1):
        renderer.finish(renderer.prepare(ctx), ControlNumbers(n, n, 1), NOW)


def element_values(renderer: X12Renderer, ctx: PoContext) -> list[list[str]]:
    """Our document as [segment id, element, ...] lists: the baseline's input."""
    text = renderer.finish(renderer.prepare(ctx), ControlNumbers(1, 1, 1), NOW).payload.decode()
    return [seg.split("*") for seg in text.split("~\n") if seg]


def render_pyx12(segments: list[list[str]], count: int) -> None:
    """The same segments built as pyx12 Segments and written by X12Writer, per interchange."""
    for n in range(1, count + 1):
        out = io.StringIO()
        writer = pyx12.x12file.X12Writer(out, "~", "*", ">", "\n")
        for values in segments:
            if values[0] == "ISA":   # each interchange carries its own ISA13
                values = values[:13] + [f"{n:09d}"] + values[14:]
            writer.Write(pyx12.segment.Segment("*".join(values), "~", "*", ">"))
        writer.close()


def run(quick: bool = False) -> list[Result]:
    """Render 10,000 five-line 850s both ways (1,000 when quick) and compare the rates."""
    count = 1_000 if quick else 10_000
    renderer, ctx = sample_renderer(), sample_context()
    segments = element_values(renderer, ctx)
    ours = count / best_time(lambda: render_ours(renderer, ctx, count))
    theirs = count / best_time(lambda: render_pyx12(segments, count))
    per_doc = 1e6 / ours
    return [Result(
        name="850 render, 5 lines, full path vs pyx12 X12Writer", ours=ours, baseline=theirs,
        unit="docs/s", target=">= 3.0x pyx12", ok=ours >= 3 * theirs and per_doc <= BUDGET_US,
        note=f"{per_doc:.1f} us per 850 (budget {BUDGET_US:.0f} us); pyx12 "
             f"{1e6 / theirs:.1f} us; {len(segments)} segments per interchange")]


if __name__ == "__main__":
    print_table(run())
