"""Concurrent writers on one PostgreSQL: control and PO numbers stay unique and gapless."""

from __future__ import annotations

import threading

from sqlalchemy import select

from hub.adapters import tables as t
from hub.bootstrap import bootstrap
from hub.config import load_settings
from hub.services.intake import CREATED, Submission, accept
from tests.integration.test_intake import order


def test_parallel_intake_never_reuses_a_control_number(demo_home, clock, pg_url):
    settings = load_settings(demo_home, {"EDIHUB_DATABASE_URL": pg_url})
    hubs = [bootstrap(settings=settings, clock=clock) for _ in range(4)]
    results, errors = [], []
    start = threading.Barrier(len(hubs))

    def work(n: int, hub) -> None:
        start.wait()
        try:
            for k in range(5):  # five batches of five orders per writer, interleaved
                batch = [Submission(f"{n}-{k}-{j}", order(channel_order_id=f"W{n}-{k}-{j}"))
                         for j in range(5)]
                results.extend(accept(hub.context, batch))
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n, h)) for n, h in enumerate(hubs)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for h in hubs:
        h.close()
    assert errors == []
    assert len(results) == 100 and {r.status for r in results} == {CREATED}
    check = bootstrap(settings=settings, clock=clock, migrate_store=False)
    with check.uow(readonly=True) as uow:
        rows = uow.conn.execute(select(t.interchanges.c.partner_id, t.interchanges.c.control_number)).all()
        po_numbers = list(uow.conn.scalars(select(t.purchase_orders.c.po_number)))
    check.close()
    for partner in ("acme", "initech"):
        numbers = sorted(int(c) for p, c in rows if p == partner)
        assert numbers == list(range(1, 101))  # unique, and no gaps
    assert len(po_numbers) == len(set(po_numbers)) == 200
