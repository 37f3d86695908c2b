"""The outbox dispatcher: delivery through the folder transport, retries, failures, re-sends."""

from __future__ import annotations

import random

from sqlalchemy import select, update

from hub.adapters import tables as t
from hub.errors import DeliveryError
from hub.services.dispatch import Dispatcher
from hub.services.intake import Submission, accept
from tests.integration.test_intake import order
from tests.support.fakes import FakeArchive, FakeSender
from tests.support.pyx12_check import assert_reads_cleanly


def states(hub) -> list[tuple]:
    i = t.interchanges
    with hub.uow(readonly=True) as uow:
        return uow.conn.execute(select(i.c.partner_id, i.c.state, i.c.attempts).order_by(i.c.id)).all()


def po_states(hub) -> list[str]:
    with hub.uow(readonly=True) as uow:
        return list(uow.conn.scalars(select(t.purchase_orders.c.state).order_by(t.purchase_orders.c.id)))


def open_incidents(hub) -> list[tuple]:
    i = t.incidents
    with hub.uow(readonly=True) as uow:
        return uow.conn.execute(select(i.c.code, i.c.dedupe_key).where(i.c.state == "open")).all()


def test_dispatch_delivers_to_the_supplier_folder_and_archives(store_hub):
    accept(store_hub.context, [Submission("x", order())])
    report = store_hub.dispatcher("w1").run_until_empty()
    assert (report.claimed, report.sent, report.failed) == (2, 2, 0)
    acme_dir = store_hub.settings.home / "var/suppliers/acme/to-supplier"
    [delivered] = list(acme_dir.iterdir())
    assert delivered.name == "acme_850_000000001.edi"
    assert_reads_cleanly(delivered.read_bytes())
    with store_hub.uow(readonly=True) as uow:
        paths = dict(uow.conn.execute(select(t.interchanges.c.doc_type, t.interchanges.c.archive_path)).all())
    assert (store_hub.settings.archive_dir / paths["850"]).read_bytes() == delivered.read_bytes()
    # Archived under the name it was sent as (partner, type, control number), by the day sent.
    assert paths["850"] == "out/2026/11/25/acme_850_000000001.edi"
    assert po_states(store_hub) == ["sent", "sent"]
    assert store_hub.dispatcher("w1").run_once().claimed == 0  # nothing is sent twice


def test_a_resend_after_a_lost_result_is_recognised(store_hub, clock):
    accept(store_hub.context, [Submission("x", order())])
    store_hub.dispatcher("w1").run_once()
    # As if the worker had died after delivering but before recording: the rows are queued again.
    with store_hub.uow() as uow:
        uow.conn.execute(update(t.interchanges).values(state="queued", done_at=None))
        uow.commit()
    report = store_hub.dispatcher("w2").run_once()
    assert (report.sent, report.already_present) == (2, 2)
    assert len(list((store_hub.settings.home / "var/suppliers/acme/to-supplier").iterdir())) == 1
    with store_hub.uow(readonly=True) as uow:
        kinds = list(uow.conn.scalars(select(t.events.c.kind).where(t.events.c.kind.like("interchange.%"))))
    assert kinds == ["interchange.resend_recognised"] * 2


def test_an_expired_lease_lets_another_worker_take_over(store_hub, clock):
    accept(store_hub.context, [Submission("x", order())])
    with store_hub.uow() as uow:
        from datetime import timedelta
        claimed = uow.outbox.claim(clock(), "dead-worker", timedelta(minutes=5))
        uow.commit()
    assert len(claimed) == 2
    assert store_hub.dispatcher("w2").run_once().claimed == 0   # leased: hands off
    clock.advance(minutes=6)
    assert store_hub.dispatcher("w2").run_once().sent == 2      # lease expired: taken over


def dispatcher(hub, sender, **kw) -> Dispatcher:
    return Dispatcher(hub.context, sender, FakeArchive(), "w", rand=random.Random(7), **kw)


def test_transient_failure_retries_with_backoff_and_clears_its_incident(hub, clock):
    accept(hub.context, [Submission("x", order())])
    sender = FakeSender()
    sender.failures = [DeliveryError("acme: connection refused", True, "transport.unreachable")] * 2
    report = dispatcher(hub, sender, retry_base_seconds=60).run_once()
    assert (report.retrying, report.sent) == (2, 0)
    assert ("transport.unreachable", "delivery:acme") in open_incidents(hub)
    assert dispatcher(hub, sender).run_once().claimed == 0  # not due yet: backoff
    clock.advance(seconds=91)  # first retry waits 60 s +-50 %
    report = dispatcher(hub, sender).run_once()
    assert report.sent == 2
    assert [s for _, s, _ in states(hub)] == ["sent", "sent"]
    assert open_incidents(hub) == []  # the hub resolved what it had raised


def test_permanent_failure_fails_the_document_and_the_purchase_order(hub, clock):
    accept(hub.context, [Submission("x", order(lines=[order()["lines"][0]]))])
    sender = FakeSender()
    sender.failures = [DeliveryError("acme: host key changed", False, "transport.host_key")]
    report = dispatcher(hub, sender).run_once()
    assert report.failed == 1
    assert states(hub) == [("acme", "failed", 1)]
    assert po_states(hub) == ["failed"]
    assert [c for c, _ in open_incidents(hub)] == ["transport.host_key"]


def test_gives_up_after_max_attempts(hub, clock):
    accept(hub.context, [Submission("x", order(lines=[order()["lines"][0]]))])
    sender = FakeSender()
    sender.failures = [DeliveryError("down", True, "transport.unreachable")] * 3
    for _ in range(3):
        dispatcher(hub, sender, max_attempts=3, retry_base_seconds=1).run_once()
        clock.advance(hours=1)
    assert states(hub) == [("acme", "failed", 3)]
    assert po_states(hub) == ["failed"]


def test_an_unexpected_sender_error_is_recorded_not_raised(hub, clock):
    class Broken:
        def send(self, *args):
            raise KeyError("bug")
    accept(hub.context, [Submission("x", order(lines=[order()["lines"][0]]))])
    report = dispatcher(hub, Broken()).run_once()
    assert report.retrying == 1
    with hub.uow(readonly=True) as uow:
        error = uow.conn.scalar(select(t.interchanges.c.last_error))
    assert "unexpected error: KeyError('bug')" in error


def test_an_archive_folder_that_cannot_be_written_does_not_stop_delivery(store_hub):
    out = store_hub.settings.archive_dir / "out"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("a file where the archive's folder should be")
    accept(store_hub.context, [Submission("x", order())])
    report = store_hub.dispatcher("w1").run_until_empty()
    assert (report.sent, report.failed) == (2, 0)                  # delivered all the same
    assert po_states(store_hub) == ["sent", "sent"]
    assert open_incidents(store_hub) == [("archive.unwritable", "archive.unwritable:out")]
    out.unlink()                                                    # fixed
    store_hub.dispatcher("w1").run_until_empty()
    with store_hub.uow(readonly=True) as uow:
        paths = list(uow.conn.scalars(select(t.interchanges.c.archive_path)))
    assert len(paths) == 2 and all((store_hub.settings.archive_dir / p).is_file() for p in paths)
    assert open_incidents(store_hub) == []                          # closed by itself
