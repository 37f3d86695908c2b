"""``edihub suppliers``: how each supplier performs, on the evidence of its documents."""

from __future__ import annotations

import sys
from datetime import timedelta

import click

from hub.cli.common import _since, out, pass_home

DEFAULT_DAYS = 30


@click.group()
def suppliers() -> None:
    """Suppliers' performance."""


@suppliers.command()
@click.option("--since", callback=_since, metavar="WHEN",
              help=f"POs sent since: a date, a time (UTC) or an age such as 7d (default: {DEFAULT_DAYS}d).")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV, one row per supplier.")
@pass_home
def scorecard(home, since, as_csv: bool) -> None:
    """Per supplier: 997 and 855 latency, acceptance, backorders, fill rate, on-time shipping,
    refusal codes and Incidents, for the POs sent in the period (docs/operations.md defines each)."""
    from hub.views.scorecard import csv_text
    hub = home.hub()
    now = hub.clock()
    since = since or now - timedelta(days=DEFAULT_DAYS)
    cards = read_scorecard(hub, since, now)
    if as_csv:
        sys.stdout.write(csv_text(cards, since, now))
        return
    out.print(f"Supplier scorecard: POs sent from {since:%Y-%m-%d %H:%M} to {now:%Y-%m-%d %H:%M} UTC",
              markup=False)
    out.print(table(cards), markup=False)


def read_scorecard(hub, since, now) -> list[dict]:
    """The scorecard of every supplier, lead times from the hub's catalog."""
    from hub.views.scorecard import scorecard as figures
    with hub.uow(readonly=True) as uow:
        return figures(uow.conn, since, now, sorted(hub.context.partners), hub.context.catalog)


def table(cards: list[dict]) -> str:
    """Figures down, suppliers across: a plain table that fits a terminal for a few suppliers."""
    from hub.views.scorecard import duration, percent
    if not cards:
        return "no suppliers"

    def latency(f: dict) -> str:
        return f"{duration(f['median'])} / {duration(f['p90'])} (n={f['n']})" if f["n"] else "- (n=0)"

    def share(r, part: int, whole: int) -> str:
        return f"{percent(r)} ({part}/{whole})"

    rows = [("POs sent", [str(c["pos"]) for c in cards]),
            ("997 latency median / p90", [latency(c["ack997"]) for c in cards]),
            ("855 latency median / p90", [latency(c["ack855"]) for c in cards]),
            ("855 units accepted", [share(c["acceptance_rate"], c["units"]["accepted"], c["units"]["answered"])
                                    for c in cards]),
            ("855 units backordered", [share(c["backorder_rate"], c["units"]["backordered"],
                                             c["units"]["answered"]) for c in cards]),
            ("855 POs accepted / rejected", [f"{c['pos_accepted']} / {c['pos_rejected']} of {c['answered']}"
                                             for c in cards]),
            ("fill rate (units shipped)", [share(c["fill_rate"], c["units"]["shipped"], c["units"]["ordered"])
                                           for c in cards]),
            ("shipped on time", [share(c["on_time_rate"], c["on_time"]["on_time"], c["on_time"]["judged"])
                                 for c in cards]),
            ("  not yet due / no lead time", [f"{c['on_time']['not_due']} / {c['on_time']['no_lead_time']}"
                                              for c in cards]),
            ("refusal codes", [", ".join(f"{r['code']} x{r['lines']}" for r in c["rejects"]) or "-"
                               for c in cards]),
            ("incidents (open)", [f"{c['incidents']['total']} ({c['incidents']['open']})" for c in cards])]
    head = ("", [c["partner"] for c in cards])
    width0 = max(len(label) for label, _ in rows)
    widths = [max(len(r[1][k]) for r in (head, *rows)) for k in range(len(cards))]
    lines = ["  ".join([label.ljust(width0), *(v.ljust(w) for v, w in zip(vals, widths))]).rstrip()
             for label, vals in (head, *rows)]
    codes = {(r["code"], r["meaning"]) for c in cards for r in c["rejects"]}
    if codes:
        lines.append("codes: " + "; ".join(f"{code} {meaning}" for code, meaning in sorted(codes)))
    return "\n".join(lines)
