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


def test_a_worker_held_past_its_lease_mid_write_leaves_the_delivered_document_alone(
        store_hub, clock, monkeypatch):
    # Worker A is stopped while writing the 850 into the supplier's folder, for longer than
    # its lease; worker B takes the document over and delivers it; then A goes on. A must not
    # touch the published file, change any state or file an Incident.
    import transports.folder
    from hub.bootstrap import bootstrap
    from tests.support.workers import HeldWorker

    accept(store_hub.context, [Submission("x", order(lines=[order()["lines"][0]]))])   # acme only
    a = HeldWorker(lambda: store_hub.dispatcher("worker-a").run_once())
    real_open = open

    def open_then_hold(path, mode="r", *args, **kwargs):
        fh = real_open(path, mode, *args, **kwargs)
        if "w" in mode and str(path).endswith(".part"):
            a.hold()            # A has its temporary file open, nothing written yet
        return fh

    monkeypatch.setattr(transports.folder, "open", open_then_hold, raising=False)
    a.start_and_wait_until_held()
    clock.advance(minutes=6)                                  # past A's five-minute lease
    b_hub = bootstrap(settings=store_hub.settings, clock=clock)
    try:
        b = b_hub.dispatcher("worker-b").run_once()
    finally:
        b_hub.close()
    assert (b.claimed, b.sent) == (1, 1)
    supplier = store_hub.settings.home / "var/suppliers/acme/to-supplier"
    [published] = list(supplier.iterdir())
    content, stat = published.read_bytes(), published.stat()

    report = a.release_and_join()
    after = published.stat()
    assert published.read_bytes() == content                  # intact, and written once
    assert (after.st_ino, after.st_mtime_ns, after.st_size) == (stat.st_ino, stat.st_mtime_ns,
                                                                 stat.st_size)
    assert list(supplier.iterdir()) == [published]             # nothing else left there
    assert states(store_hub) == [("acme", "sent", 2)]
    assert po_states(store_hub) == ["sent"]
    assert open_incidents(store_hub) == []
    assert (report.sent, report.retrying, report.failed, report.superseded) == (0, 0, 0, 1)


def test_an_incident_about_a_document_that_was_delivered_after_all_closes_itself(hub, clock):
    accept(hub.context, [Submission("x", order(lines=[order()["lines"][0]]))])
    sender = FakeSender()
    sender.failures = [DeliveryError("acme: permission denied", False, "transport.refused")]
    dispatcher(hub, sender).run_once()
    assert [c for c, _ in open_incidents(hub)] == ["transport.refused"]
    with hub.uow() as uow:      # an operator requeues it once the partner fixed permissions
        uow.conn.execute(update(t.interchanges).values(state="queued", done_at=None))
        uow.commit()
    assert dispatcher(hub, sender).run_once().sent == 1
    assert open_incidents(hub) == []


def test_results_of_claims_taken_over_meanwhile_are_dropped_not_recorded(hub, clock):
    # A's send fails (or succeeds) after B has claimed the document: A records nothing.
    accept(hub.context, [Submission("x", order(lines=[order()["lines"][0]]))])

    class TakenOverMidSend(FakeSender):
        def send(self, *args, **kwargs):
            clock.advance(minutes=6)
            assert dispatcher(hub, FakeSender()).run_once().sent == 1     # B, meanwhile
            raise DeliveryError("acme: connection reset", True, "transport.unreachable")

    a = Dispatcher(hub.context, TakenOverMidSend(), FakeArchive(), "worker-a")
    report = a.run_once()
    assert (report.retrying, report.superseded) == (0, 1)
    assert states(hub) == [("acme", "sent", 2)] and po_states(hub) == ["sent"]
    assert open_incidents(hub) == []


def test_a_worker_late_in_its_lease_renews_it_and_delivers(hub, clock):
    # Nobody took the document over: near (or past) the end of its lease the worker asks the
    # store, keeps its claim for another lease and publishes.
    accept(hub.context, [Submission("x", order(lines=[order()["lines"][0]]))])
    leases = []

    class Slow(FakeSender):
        def send(self, partner_id, filename, payload, content_type, attempt=1, may_publish=None):
            clock.advance(minutes=7)                       # a long upload, nobody else about
            with hub.uow(readonly=True) as uow:
                leases.append(uow.conn.scalar(select(t.interchanges.c.lease_until)))
            return super().send(partner_id, filename, payload, content_type, attempt, may_publish)

    report = Dispatcher(hub.context, Slow(), FakeArchive(), "w").run_once()
    assert (report.sent, report.superseded) == (1, 0)
    assert leases[0] < clock()                     # it had expired, and nobody had claimed it
    assert states(hub) == [("acme", "sent", 1)] and open_incidents(hub) == []


def test_a_partner_failing_again_and_again_shows_its_open_circuit(hub, clock):
    from hub.views.dashboard import partner_health
    accept(hub.context, [Submission("x", order(channel_order_id=f"C{n}", lines=[order()["lines"][0]]))
                         for n in range(6)])
    sender = FakeSender()
    sender.failures = [DeliveryError("acme: connection refused", True, "transport.unreachable")] * 6
    d = dispatcher(hub, sender)
    d.run_once()                      # five failures in a row open acme's circuit
    with hub.uow(readonly=True) as uow:
        [acme] = [p for p in partner_health(uow.conn, ["acme"])]
    assert acme["circuit"] == "open" and acme["queued"] == 6
