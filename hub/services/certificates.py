"""Warn before an AS2 certificate expires, and clear the warning once it is renewed.

For each AS2 partner two certificates matter: ours (in ``key_file``: the partner checks our
signatures and encrypts to it) and the partner's (``partner_cert_file``). One that expires
within :data:`WARN_DAYS`, has expired, or cannot be read is an Incident
(``as2.certificate_expiring``), one per partner and file; it is resolved by the first check
after the file holds a certificate valid for longer. The files are read at each check, so a
renewal is seen without restarting (the hub uses the new certificate after a restart).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from hub.domain.model import IncidentDraft
from hub.errors import ConfigError, DeliveryError
from hub.services.ports import HubContext

WARN_DAYS = 30
CODE = "as2.certificate_expiring"
_ROLES = {"key_file": "our certificate", "partner_cert_file": "the partner's certificate"}
_ADVICE = {
    "key_file": "make a new key and certificate, send the certificate to {partner} and agree "
                "the day to switch, then point key_file at the new file and restart the hub",
    "partner_cert_file": "ask {partner} for their new certificate, then put it in "
                         "partner_cert_file and restart the hub",
}
log = logging.getLogger("edihub.certificates")


def check_certificates(hub_context: HubContext, partners_settings: Mapping[str, object],
                       now: datetime, unchecked: Iterable[str] = ()) -> tuple[int, int]:
    """File and resolve expiry Incidents for every AS2 partner; return (filed, resolved).

    ``partners_settings`` maps each AS2 partner's id to its settings (an As2Settings, or
    anything whose ``certificates()`` gives items with ``role``, ``path``, ``not_after`` and
    ``problem``). Incidents of partners left out resolve (they no longer use AS2), except
    those of the ``unchecked`` partners, which are left as they are.
    """
    due, renewed = [], {}
    for partner_id, settings in partners_settings.items():
        for cert in settings.certificates():
            if cert.not_after is None or cert.not_after - now <= timedelta(days=WARN_DAYS):
                due.append(_incident(partner_id, cert, now))
            if cert.not_after is not None:
                renewed[_prefix(partner_id, cert.role)] = cert
    keep = tuple(f"{CODE}:{partner_id}:" for partner_id in unchecked)
    with hub_context.uow() as uow:
        open_keys = set(uow.repo.open_incident_keys(CODE + ":"))
        uow.repo.file_incidents(due, now, count_repeats=False)
        wanted = {d.dedupe_key for d in due}
        resolved = 0
        for key in sorted(open_keys - wanted):
            if not key.startswith(keep):
                resolved += uow.repo.resolve_incidents([key], now, _resolution(key, renewed))
        uow.commit()
    return len(wanted - open_keys), resolved


def check_hub_certificates(hub) -> tuple[int, int]:
    """Check the certificates of every AS2 partner of a Hub (for the worker's daily job)."""
    settings, unchecked = {}, []
    for partner_id, partner in hub.context.partners.items():
        if partner.transport.type != "as2":
            continue
        try:
            settings[partner_id] = hub.pool.get(partner_id).settings
        except (ConfigError, DeliveryError) as exc:
            # Its settings no longer load: everything using them reports that; its
            # certificate Incidents stay as they are until it loads again.
            log.warning("certificates of %s not checked: %s", partner_id, exc)
            unchecked.append(partner_id)
    return check_certificates(hub.context, settings, hub.clock(), unchecked)


def _prefix(partner_id: str, role: str) -> str:
    return f"{CODE}:{partner_id}:{role}:"


def _key(partner_id: str, cert) -> str:
    # The expiry date is part of the key: a renewal that also expires soon is a new Incident.
    when = f"{cert.not_after:%Y-%m-%d}" if cert.not_after else "unreadable"
    return _prefix(partner_id, cert.role) + when


def _incident(partner_id: str, cert, now: datetime) -> IncidentDraft:
    whose = _ROLES.get(cert.role, cert.role)
    advice = _ADVICE.get(cert.role, "renew it").format(partner=partner_id)
    if cert.not_after is None:
        state = f"cannot be read ({cert.problem})"
    elif cert.not_after <= now:
        state = (f"expired on {cert.not_after:%Y-%m-%d}: AS2 with {partner_id} fails until it "
                 "is renewed")
    else:
        state = f"expires on {cert.not_after:%Y-%m-%d}"
    return IncidentDraft(
        code=CODE, partner_id=partner_id, dedupe_key=_key(partner_id, cert),
        message=f"AS2 with {partner_id}: {whose} in {cert.path} ({cert.role}) {state}; {advice}.",
        detail={"role": cert.role, "file": str(cert.path),
                "not_after": cert.not_after.isoformat() if cert.not_after else None})


def _resolution(key: str, renewed: Mapping[str, object]) -> str:
    cert = renewed.get(key.rsplit(":", 1)[0] + ":")
    if cert is None:
        return "the certificate is no longer used: the partner file names another, or none"
    return f"renewed: {cert.path} now holds a certificate valid until {cert.not_after:%Y-%m-%d}"


__all__ = ["CODE", "WARN_DAYS", "check_certificates", "check_hub_certificates"]
