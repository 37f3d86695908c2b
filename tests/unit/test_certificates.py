"""Certificate expiry: an Incident before an AS2 certificate expires, resolved once renewed."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from hub.adapters import tables as t
from hub.bootstrap import bootstrap
from hub.services.certificates import CODE, WARN_DAYS, check_certificates, check_hub_certificates
from tests.support.as2 import ENVIRON, PASSPHRASE, PASSPHRASE_ENV, make_party, transport_table
from tests.support.as2_hub import write_as2_partner
from tests.support.fakes import FakeClock
from transports.as2 import As2Settings


@pytest.fixture
def folder(tmp_path, as2_certs):
    """Key and certificate files of our own, to renew and spoil: copies of the session's."""
    shutil.copy(as2_certs.ours.bundle_file, tmp_path / as2_certs.ours.bundle_file.name)
    shutil.copy(as2_certs.partner.cert_file, tmp_path / as2_certs.partner.cert_file.name)
    return tmp_path


def settings_in(folder, certs) -> As2Settings:
    return As2Settings.from_mapping(transport_table(certs, "http://127.0.0.1:9/as2"), folder,
                                    ENVIRON)


def put(party, path) -> None:
    """Replace the certificate file at ``path`` by ``party``'s certificate (a renewal)."""
    path.write_bytes(party.cert)


def incidents(hub, state: str | None = None) -> list[dict]:
    i = t.incidents
    query = select(i).where(i.c.code == CODE).order_by(i.c.id)
    if state:
        query = query.where(i.c.state == state)
    with hub.uow(readonly=True) as uow:
        rows = uow.conn.execute(query).mappings()
        return [{**r, "detail": json.loads(r["detail"])} for r in rows]


def now() -> datetime:
    return datetime.now(timezone.utc)


def test_certificates_valid_for_long_file_nothing(hub, folder, as2_certs):
    settings = settings_in(folder, as2_certs)
    assert check_certificates(hub.context, {"supplier": settings}, now()) == (0, 0)
    assert incidents(hub) == []


def test_an_expiring_partner_certificate_is_filed_once_then_resolved_when_renewed(
        hub, folder, as2_certs, tmp_path_factory):
    settings = settings_in(folder, as2_certs)
    cert_file = folder / as2_certs.partner.cert_file.name
    soon = make_party("SUPPLIER", tmp_path_factory.mktemp("soon"), days=WARN_DAYS - 10)
    put(soon, cert_file)
    assert check_certificates(hub.context, {"supplier": settings}, now()) == (1, 0)
    [incident] = incidents(hub, "open")
    assert incident["partner_id"] == "supplier"
    assert str(cert_file) in incident["message"] and "partner_cert_file" in incident["message"]
    assert f"expires on {soon.not_after:%Y-%m-%d}" in incident["message"]
    assert check_certificates(hub.context, {"supplier": settings}, now()) == (0, 0)
    assert [i["occurrences"] for i in incidents(hub)] == [1]      # a daily re-check is quiet
    put(make_party("SUPPLIER", tmp_path_factory.mktemp("new"), days=400), cert_file)
    assert check_certificates(hub.context, {"supplier": settings}, now()) == (0, 1)
    [incident] = incidents(hub)
    assert incident["state"] == "resolved" and "renewed" in incident["resolution"]


def test_our_expired_certificate_is_named_with_its_file_and_date(hub, folder, as2_certs,
                                                                  tmp_path_factory):
    settings = settings_in(folder, as2_certs)
    expired = make_party("EDIHUB", tmp_path_factory.mktemp("old"), days=-3)
    (folder / as2_certs.ours.bundle_file.name).write_bytes(expired.bundle)
    assert check_certificates(hub.context, {"supplier": settings}, now()) == (1, 0)
    [incident] = incidents(hub, "open")
    assert "our certificate" in incident["message"] and "key_file" in incident["message"]
    assert f"expired on {expired.not_after:%Y-%m-%d}" in incident["message"]
    assert incident["detail"]["file"] == str(folder / as2_certs.ours.bundle_file.name)


def test_a_renewal_that_expires_soon_too_is_a_new_incident(hub, folder, as2_certs,
                                                           tmp_path_factory):
    settings = settings_in(folder, as2_certs)
    cert_file = folder / as2_certs.partner.cert_file.name
    put(make_party("SUPPLIER", tmp_path_factory.mktemp("a"), days=5), cert_file)
    check_certificates(hub.context, {"supplier": settings}, now())
    put(make_party("SUPPLIER", tmp_path_factory.mktemp("b"), days=20), cert_file)
    assert check_certificates(hub.context, {"supplier": settings}, now()) == (1, 1)
    assert [i["state"] for i in incidents(hub)] == ["resolved", "open"]


def test_an_unreadable_certificate_file_is_filed(hub, folder, as2_certs):
    settings = settings_in(folder, as2_certs)
    (folder / as2_certs.partner.cert_file.name).write_bytes(b"not a certificate")
    assert check_certificates(hub.context, {"supplier": settings}, now()) == (1, 0)
    assert "cannot be read" in incidents(hub, "open")[0]["message"]


def test_a_partner_no_longer_on_as2_has_its_incident_resolved_unless_unchecked(
        hub, folder, as2_certs, tmp_path_factory):
    settings = settings_in(folder, as2_certs)
    put(make_party("SUPPLIER", tmp_path_factory.mktemp("c"), days=5),
        folder / as2_certs.partner.cert_file.name)
    check_certificates(hub.context, {"supplier": settings}, now())
    assert check_certificates(hub.context, {}, now(), unchecked=["supplier"]) == (0, 0)
    assert check_certificates(hub.context, {}, now()) == (0, 1)
    assert "no longer used" in incidents(hub)[0]["resolution"]


def test_check_hub_certificates_reads_every_as2_partner_of_the_hub(
        demo_home, as2_certs, monkeypatch):
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    write_as2_partner(demo_home, as2_certs, "http://127.0.0.1:9/as2", sku=None,
                      partner_cert_file=str(as2_certs.expired.cert_file))
    hub = bootstrap(demo_home, clock=FakeClock(now()))   # the certificates' dates are real
    try:
        assert check_hub_certificates(hub) == (1, 0)
        [incident] = incidents(hub, "open")
        assert incident["partner_id"] == "supplier" and "expired on" in incident["message"]
        assert check_hub_certificates(hub) == (0, 0)
    finally:
        hub.close()
