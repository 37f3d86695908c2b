"""Envelopes from outside that must not cost a partner its control numbers nor leave a file
half-done: misrouted files, repeated ISA13s, control numbers no 997 can echo."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hub.adapters import tables as t
from tests.integration.test_inbound import incidents, outbound, po_state, receive, sent_po

HEAD = ("ISA*00*          *00*          *ZZ*{sender:<15}*ZZ*DEMORETAIL     *261125*1200*U*00401*"
        "{isa:09d}*0*T*>~\nGS*{fid}*{sender}*DEMORETAIL*20261125*1200*{gs}*X*004010~\n")


def interchange(isa: int, body: list[str], *, set_id: str = "855", fid: str = "PR", gs: str | None = None,
                st02: str = "0001", sender: str = "ACMESUPPLY") -> bytes:
    """One interchange with one set; GS06 and ST02 may be anything (SE/GE/IEA repeat them)."""
    gs = str(isa) if gs is None else gs
    segs = [f"ST*{set_id}*{st02}", *body, f"SE*{len(body) + 2}*{st02}"]
    return (HEAD.format(isa=isa, fid=fid, gs=gs, sender=sender) + "~\n".join(segs)
            + f"~\nGE*1*{gs}~\nIEA*1*{isa:09d}~\n").encode()


def rows(hub) -> list[tuple]:
    i = t.interchanges
    with hub.uow(readonly=True) as uow:
        return uow.conn.execute(select(i.c.partner_id, i.c.control_number, i.c.state)
                                .where(i.c.direction == "in").order_by(i.c.id)).all()


def test_a_misrouted_file_does_not_use_up_the_partners_control_number(store_hub):
    po = sent_po(store_hub)
    accept = [f"BAK*00*AC*{po['po_number']}*20261125"]
    # In acme's inbox, but its ISA says it comes from another company: refused ...
    stranger = interchange(700, accept, sender="GLOBEXCORP")
    assert receive(store_hub, stranger).state == "rejected"
    # ... twice (other bytes, same ISA13): recorded again, no constraint error reaches anyone.
    assert receive(store_hub, stranger.replace(b"20261125*1200", b"20261125*1201")).state == "rejected"
    # Acme's own interchange 700 is then applied, not called a duplicate.
    report = receive(store_hub, interchange(700, accept))
    assert (report.state, report.applied) == ("processed", 1)
    assert po_state(store_hub, po["po_number"])[0] == "accepted"
    assert rows(store_hub) == [("acme", "000000700", "rejected"), ("acme", "000000700", "rejected"),
                               ("acme", "000000700", "processed")]
    assert "inbound.reused_control_number" not in incidents(store_hub)


def test_a_refused_file_sent_again_after_the_fix_is_read_again(store_hub):
    po = sent_po(store_hub)
    unknown = interchange(701, [f"BAK*00*AC*{po['po_number']}*20261125"], sender="NEWSUPPLIER")
    assert receive(store_hub, unknown, partner=None).state == "rejected"
    # Same bytes: read again (a rejection may have been fixed since), refused again, the
    # Incident counted once more rather than filed twice.
    assert receive(store_hub, unknown, partner=None).state == "rejected"
    assert incidents(store_hub) == ["inbound.refused"]


@pytest.mark.parametrize(("gs", "why"), [("1234567890", "is not 1 to 9 digits"),
                                         ("-1", "is not 1 to 9 digits"),
                                         ("X1", "is not 1 to 9 digits")])
def test_a_group_no_997_can_answer_is_not_applied_and_settles(store_hub, gs, why):
    po = sent_po(store_hub)
    report = receive(store_hub, interchange(702, [f"BAK*00*AC*{po['po_number']}*20261125"], gs=gs))
    assert (report.state, report.applied, report.acks_queued) == ("rejected", 0, 0)
    assert po_state(store_hub, po["po_number"])[0] == "sent"            # nothing applied unanswered
    assert rows(store_hub) == [("acme", "000000702", "processed")]      # one row, settled
    assert incidents(store_hub) == ["inbound.unacknowledgeable"]
    assert outbound(store_hub, "997") == []
    assert any(f"AK102 (GS06) {gs!r} {why}" in p for p in report.problems)


@pytest.mark.parametrize(("set_id", "st02"), [("8555", "0001"),        # ST01 over-long
                                              ("855", "00\x0101"),     # a control character
                                              ("855", "0123456789")])  # ST02 over 9
def test_a_set_no_ak2_can_name_is_rejected_in_the_997s_counts(store_hub, set_id, st02):
    po = sent_po(store_hub)
    report = receive(store_hub, interchange(703, [f"BAK*00*AC*{po['po_number']}*20261125"],
                                            set_id=set_id, st02=st02))
    assert (report.applied, report.acks_queued) == (0, 1)
    assert po_state(store_hub, po["po_number"])[0] == "sent"
    assert rows(store_hub) == [("acme", "000000703", "processed")]
    [ack] = outbound(store_hub, "997")
    body = ack["payload"].decode()
    # Checked against X12 997: AK1 echoes GS01/GS06; no AK2 (the set cannot be named);
    # AK9: R (nothing accepted), 1 set included, 1 received, 0 accepted.
    assert "AK1*PR*703~" in body and "AK2" not in body and "AK9*R*1*1*0~" in body
    assert incidents(store_hub) == ["inbound.unacknowledgeable"]


def test_a_set_that_cannot_be_named_beside_a_good_one_gives_a_partial_997(store_hub):
    po = sent_po(store_hub)
    n = po["po_number"]
    text = interchange(704, [f"BAK*00*AC*{n}*20261125"]).decode()
    bad = f"ST*8555*0002~\nBAK*00*AC*{n}*20261125~\nSE*3*0002~\n"
    text = text.replace("GE*1*704", bad + "GE*2*704")
    report = receive(store_hub, text.encode())
    assert report.applied == 1 and po_state(store_hub, n)[0] == "accepted"
    body = outbound(store_hub, "997")[0]["payload"].decode()
    # One AK2 for the good set; AK9 P: 2 included, 2 received, 1 accepted.
    assert "AK2*855*0001~" in body and "AK5*A~" in body and "AK9*P*2*2*1~" in body


def test_an_interchange_without_a_single_set_is_said_not_called_empty(store_hub):
    text = interchange(705, ["BAK*00*AC*X*20261125"]).decode()
    hollow = text[:text.index("ST*")] + text[text.index("GE*"):].replace("GE*1", "GE*0")
    report = receive(store_hub, hollow.encode())
    assert report.state == "rejected"
    assert report.problems == ["1 interchange(s) but not one transaction set: nothing to apply"]
    assert incidents(store_hub) == ["inbound.refused"]
