"""Onboarding steps on the demo's folder partners: preview, connection test, test document,
the switch to production; and the configuration taken by a running hub without a restart."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from hub.adapters import tables as t
from hub.jobs import Worker
from hub.services.audit import ActionRefused
from hub.services.config_files import Change, history, save, sha256
from hub.services.intake import Submission, accept
from hub.services.onboarding import connection_test, preview, send_test_document, set_test_mode
from tests.integration.test_inbound import HEAD, TAIL
from tests.integration.test_intake import order

ACME = "partners/acme.toml"


def acme_text(hub) -> str:
    return (hub.settings.home / ACME).read_text()


def interchanges(hub) -> list[dict]:
    i = t.interchanges
    with hub.uow(readonly=True) as uow:
        return [dict(r) for r in uow.conn.execute(select(i).order_by(i.c.id)).mappings()]


def open_incidents(hub) -> list[tuple[str, str]]:
    i = t.incidents
    with hub.uow(readonly=True) as uow:
        return [tuple(r) for r in uow.conn.execute(select(i.c.code, i.c.message).where(i.c.state == "open"))]


def test_preview_renders_a_sample_order_from_the_partners_catalog_rows(hub):
    shown = preview(hub, "acme")
    assert shown.problems == [] and shown.doc_type == "850"
    text = shown.text
    # acme's first two catalog rows (the desk, the chair) with its item numbers and costs
    assert "PO1*1*1*EA*212*PE*BP*DESK-OAK-120*VP*AC-77120~" in text
    assert "PO1*2*1*EA*89.9*PE*BP*CHAIR-ERGO-BLK*VP*AC-55010~" in text
    assert re.search(r"^ISA(\*[^*]*){14}\*T\*>~$", text.splitlines()[0])        # ISA15: acme is in test mode
    assert "REF*IA*V-10442~" in text and shown.sample == "the partner's catalog rows"


def test_preview_of_unsaved_text_and_of_a_partner_without_catalog_rows(hub, demo_home):
    changed = acme_text(hub).replace("V-10442", "V-UNSAVED")
    assert "REF*IA*V-UNSAVED~" in preview(hub, "acme", {ACME: changed}).text
    assert "V-UNSAVED" not in acme_text(hub)                           # nothing saved
    newco = acme_text(hub).replace('id = "acme"', 'id = "newco"')
    shown = preview(hub, "newco", {"partners/newco.toml": newco})
    assert "PO1*1*1*EA*12.5*PE*BP*SAMPLE-1*VP*SUP-SAMPLE-1~" in shown.text
    assert shown.sample.startswith("a fixed sample")
    broken = preview(hub, "acme", {ACME: changed.replace('version = "004010"', 'version = "40"')})
    assert broken.payload == b"" and broken.problems[0].line == 9


def test_preview_of_an_xml_partner(hub):
    shown = preview(hub, "initech")
    assert shown.problems == [] and shown.doc_type == "xml-po"
    assert shown.text.startswith("<?xml") and "ER-20417" in shown.text


def test_connection_test_of_a_folder_partner_says_what_it_found(hub, demo_home):
    (demo_home / "var/suppliers/acme/from-supplier/waiting.edi").write_text("x")
    outcome = connection_test(hub, "acme", "ann")
    assert outcome.ok and outcome.message == "acme: the folder connection works"
    assert outcome.details[1].endswith("from-supplier: readable, 1 file(s) in it")
    (demo_home / "var/suppliers/acme/to-supplier").rmdir()
    failed = connection_test(hub, "acme", "ann")
    assert not failed.ok and "to-supplier is not a folder (or does not exist)" in failed.message
    a = t.audit_log
    with hub.uow(readonly=True) as uow:
        assert uow.conn.execute(select(a.c.action, a.c.actor)).all() == [
            ("partner.test_connection", "ann")] * 2


def test_a_test_document_goes_out_in_test_mode_tied_to_no_order(hub, demo_home):
    # Even a partner in production gets its test document with ISA15 = T.
    save(hub, [Change(ACME, acme_text(hub).replace("test_mode = true", "test_mode = false"))], "ann")
    assert hub.reload() == []
    outcome = send_test_document(hub, "acme", "ann", after=0)
    assert outcome.ok, outcome.message
    [row] = interchanges(hub)
    assert (row["state"], row["purchase_order_id"], row["doc_type"], row["lease_owner"]) == (
        "sent", None, "850", None)
    sent = (demo_home / "var/suppliers/acme/to-supplier" / row["filename"]).read_text()
    assert sent.splitlines()[0].split("*")[15] == "T"
    assert "BEG*00*DS*TEST" in sent
    assert outcome.message == f"test 850 000000001 ({row['filename']}) delivered to acme as {row['filename']}"
    # The same form sent again (it still says "no test document yet"): nothing more is sent.
    with pytest.raises(ActionRefused, match=r"a test document \(#1\) was sent to acme since"):
        send_test_document(hub, "acme", "ann", after=0)
    assert len(interchanges(hub)) == 1
    # A real order afterwards takes the next control number, and goes out in production.
    o = order()
    o["lines"] = [o["lines"][0]]
    accept(hub.context, [Submission("t", o)])
    assert hub.dispatcher("w").run_once().sent == 1
    real = interchanges(hub)[1]
    assert real["control_number"] == "000000002" and b"*P*>~" in real["payload"]


def test_the_partners_997_for_a_test_document_is_recorded_without_an_incident(hub):
    send_test_document(hub, "acme", "ann")
    ack = (HEAD.format(isa=55, fid="FA") + "~\n".join(["ST*997*0001", "AK1*PO*1", "AK2*850*0001", "AK5*A",
                                                       "AK9*A*1*1*1", "SE*6*0001"]) + "~\n"
           + TAIL.format(isa=55)).encode()
    report = hub.receive_stream(io.BytesIO(ack), "test", "ack.edi", "acme")
    assert report.applied == 1
    assert interchanges(hub)[0]["ack_status"] == "accepted"
    assert open_incidents(hub) == []


def test_a_test_document_that_cannot_be_delivered_is_said_and_kept_failed(hub, demo_home):
    outbox = demo_home / "var/suppliers/acme/to-supplier"
    outbox.rmdir()
    outbox.write_text("a file where the folder should be")
    outcome = send_test_document(hub, "acme", "ann")
    assert not outcome.ok and "was not delivered" in outcome.message and "check the path" in outcome.message
    [row] = interchanges(hub)
    assert row["state"] == "failed" and "check the path" in row["last_error"]


def test_switching_to_production_is_a_new_version_of_the_partner_file(hub):
    before = acme_text(hub)
    result = set_test_mode(hub, "acme", False, "ann", sha256(before))
    assert result.versions == {ACME: 2}
    after = acme_text(hub)
    assert after == before.replace("test_mode = true", "test_mode = false")
    assert [v["note"] for v in history(hub, ACME)] == ["as it was on disk before the first change through "
                                                       "edihub", "switched to production"]
    assert set_test_mode(hub, "acme", False, "ann", sha256(after)).message == \
        "acme is in production already: nothing changed"
    with pytest.raises(ActionRefused, match="changed since this page was shown"):
        set_test_mode(hub, "acme", True, "bob", sha256(before))
    assert acme_text(hub) == after


# -- taking changes without a restart ----------------------------------------------------------

def test_a_running_hub_takes_changed_files_and_keeps_its_own_when_they_are_broken(hub, demo_home):
    assert not hub.config_changed()
    old_pool = hub.pool
    save(hub, [Change(ACME, acme_text(hub).replace("test_mode = true", "test_mode = false"))], "ann")
    assert hub.config_changed() and hub.context.partners["acme"].test_mode
    assert hub.reload() == [] and not hub.config_changed()
    assert not hub.context.partners["acme"].test_mode and hub.pool is not old_pool
    (demo_home / ACME).write_text(acme_text(hub).replace('version = "004010"', 'version = "4010"'))
    errors = hub.reload()
    assert errors and "x12.version" in str(errors[0])
    assert hub.context.partners["acme"].x12.version == "004010"            # still the good one


def test_a_worker_reloads_between_jobs_and_says_when_it_cannot(hub, demo_home):
    from apscheduler.schedulers.background import BackgroundScheduler
    worker = Worker(hub)
    worker._scheduler = scheduler = BackgroundScheduler()
    worker._schedule_polls()
    assert sorted(j.id for j in scheduler.get_jobs()) == ["poll:acme", "poll:initech"]
    assert worker.check_config() is None                        # nothing changed
    newco = acme_text(hub).replace('id = "acme"', 'id = "newco"').replace("acme/", "newco/")
    save(hub, [Change("partners/newco.toml", newco, ""),
               Change("partners/initech.toml", (demo_home / "partners/initech.toml").read_text()
                      .replace("active = true", "active = false"))], "ann")
    assert worker.check_config() is True
    assert worker.dispatcher.sender is hub.pool and "newco" in hub.context.renderers
    assert sorted(j.id for j in scheduler.get_jobs()) == ["poll:acme", "poll:newco"]
    (demo_home / "partners/newco.toml").write_text("id = \n")
    assert worker.check_config() is False
    assert "newco" in hub.context.partners
    [(code, message)] = open_incidents(hub)
    assert code == "config.reload_refused" and "newco.toml" in message and "not valid TOML" in message
    (demo_home / "partners/newco.toml").unlink()
    assert worker.check_config() is True and "newco" not in hub.context.partners
    assert open_incidents(hub) == []
    assert sorted(j.id for j in scheduler.get_jobs()) == ["poll:acme"]


def test_a_running_worker_process_sends_through_a_changed_partner_file_without_a_restart(demo_home):
    import signal

    from hub.bootstrap import bootstrap
    from tests.support.workers import WorkerProcess, wait_for
    hub = bootstrap(demo_home)
    worker = WorkerProcess(demo_home)
    try:
        wait_for(lambda: "started" in worker.output(), 30, "the worker to start", [worker])
        moved = demo_home / "var/suppliers/acme/moved"
        save(hub, [Change(ACME, acme_text(hub).replace('path = "var/suppliers/acme/to-supplier"',
                                                       'path = "var/suppliers/acme/moved"'))], "ann")
        worker.proc.send_signal(signal.SIGHUP)      # now, rather than at the next look (10 s)
        wait_for(lambda: "configuration reloaded" in worker.output(), 30, "the reload", [worker])
        o = order()
        o["lines"] = [o["lines"][0]]                # the chair: acme's
        accept(hub.context, [Submission("t", o)])
        wait_for(lambda: list(moved.glob("*.edi")), 30, "the 850 in the new folder", [worker])
        assert list((demo_home / "var/suppliers/acme/to-supplier").glob("*.edi")) == []
        assert worker.terminate() == 0
    finally:
        hub.close()
        if worker.proc.poll() is None:
            worker.kill()
