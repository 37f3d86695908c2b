"""Onboarding an AS2 supplier against pyas2lib as its station: the connection test posts a
small message and reads the signed MDN; certificates are listed with their expiry."""

from __future__ import annotations

import pytest

from hub.bootstrap import bootstrap
from hub.services.onboarding import connection_test, credentials, send_test_document
from tests.support.as2 import PASSPHRASE, PASSPHRASE_ENV, PartnerStation, closed_port, serve
from tests.support.as2_hub import SUPPLIER, write_as2_partner


@pytest.fixture
def station(as2_certs):
    return PartnerStation(as2_certs)


def test_connection_test_posts_a_message_and_reads_the_mdn(demo_home, clock, as2_certs, station,
                                                           monkeypatch):
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    with serve(station) as base:
        write_as2_partner(demo_home, as2_certs, f"{base}/as2")
        hub = bootstrap(demo_home, clock=clock)
        try:
            outcome = connection_test(hub, SUPPLIER, "ann")
            sent = send_test_document(hub, SUPPLIER, "ann")
            certs = credentials(hub, hub.context.partners[SUPPLIER])
        finally:
            hub.close()
    assert outcome.ok, outcome.message
    assert outcome.details[1] == "MDN received (signed and verified): processed"
    assert [m.payload.get_filename() for _, _, m in station.received][0].startswith("edihub-connection-test-")
    assert station.payloads()[0] == b"edihub AS2 connection test: please ignore.\n"
    assert sent.ok and station.payloads()[1].split(b"*")[15] == b"T"        # ISA15 of the test 850
    assert [c["what"] for c in certs] == ["our certificate (key_file)",
                                          "the partner's certificate (partner_cert_file)"]
    for c in certs:     # the test certificates are made for a year from now
        assert c["days_left"] == (c["not_after"] - clock()).days and c["days_left"] > 300, c


def test_connection_test_to_a_closed_port_fails_in_words(demo_home, clock, as2_certs, monkeypatch):
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    write_as2_partner(demo_home, as2_certs, f"http://127.0.0.1:{closed_port()}/as2")
    hub = bootstrap(demo_home, clock=clock)
    try:
        outcome = connection_test(hub, SUPPLIER, "ann")
    finally:
        hub.close()
    assert not outcome.ok and "the as2 connection failed" in outcome.message
    assert "Traceback" not in outcome.message
