"""Read models of the Partners area: each partner's profile as people read it, its health,
its test documents, and the versions of partner and mapping files.

Secrets never appear: partner files hold only the names of environment variables and key
files (they are refused otherwise), and SFTP host keys are shown by their fingerprints.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from sqlalchemy import Connection, select

from hub.adapters import tables as t
from hub.adapters.config_store import ConfigStore
from hub.domain.partner import Catalog, CatalogEntry, Partner, Sla
from hub.views.common import iso
from hub.views.dashboard import partner_health

_HIDDEN = ("type", "host_keys")   # shown in their own way


def fingerprint(line: str) -> str:
    """The SHA256 fingerprint of a pinned "type base64" host key line, as ssh-keygen -l shows it."""
    parts = line.split()
    try:
        blob = base64.b64decode(parts[-1] if len(parts) < 3 else parts[1], validate=True)
    except (binascii.Error, IndexError):
        return "(not a key line)"
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def partner_profile(partner: Partner) -> dict:
    """One partner as configured: identity, documents, transport (settings as written, host keys
    by fingerprint), schedule, acknowledgements, SLA windows, mode."""
    x12, xml, transport = partner.x12, partner.xml, partner.transport
    identity = {}
    if x12 is not None:
        identity = {"ISA sender": f"{x12.sender_qualifier}/{x12.sender_id}",
                    "ISA receiver": f"{x12.receiver_qualifier}/{x12.receiver_id}",
                    "GS sender": x12.gs_sender_id, "GS receiver": x12.gs_receiver_id,
                    "version": x12.version, "mapping": f"mappings/{x12.mapping}"}
    if xml is not None and xml.mapping:
        identity["XML mapping"] = f"mappings/{xml.mapping}"
    settings = transport.settings
    return {
        "id": partner.id, "name": partner.name, "active": partner.active,
        "test_mode": partner.test_mode, "format": partner.po_format,
        "file": f"partners/{partner.id}.toml", "identity": identity,
        "mappings": _mapping_files(partner),
        "outbound": list(partner.outbound), "inbound": list(partner.inbound),
        "xml_params": dict(xml.params) if xml else {},
        "secret_params": dict(xml.secret_params) if xml else {},   # parameter -> variable NAME
        "transport": transport.type,
        "settings": {k: v for k, v in settings.items() if k not in _HIDDEN},
        "host_keys": [{"type": line.split()[0] if line.split() else "", "fingerprint": fingerprint(line)}
                      for line in settings.get("host_keys", []) if isinstance(line, str)],
        "poll": partner.poll, "send_997": partner.send_997, "expect_997": partner.expect_997,
        "sla": _deadlines(partner.sla),
        "max_units_per_day": partner.max_units_per_day, "fields": dict(partner.fields),
    }


def _deadlines(sla: Sla) -> dict[str, str]:
    """The partner's answer deadlines and delay window, in words for the partner page."""
    def hours(value: float | None) -> str:
        return f"within {value:g} h" if value else "no deadline"
    return {"997/999": hours(sla.ack_hours), "855": hours(sla.poack_hours),
            "856": hours(sla.asn_hours),
            "answer to a change": hours(sla.change_hours if sla.change_hours is not None
                                        else sla.poack_hours),
            "865 delay": f"up to {sla.delay_days:g} day(s) later" if sla.delay_days is not None
            else "any (no Incident)"}


def _mapping_files(partner: Partner) -> list[str]:
    names = []
    if partner.po_format == "x12" and partner.x12 is not None:
        names.append(partner.x12.mapping)
    if partner.xml is not None:
        names += [n for n in (partner.xml.mapping, *partner.xml.answers) if n]
    return [f"mappings/{n}" for n in names]


def catalog_rows(catalog: Catalog | None, supplier: str = "") -> list[CatalogEntry]:
    """The catalog's rows as served (the configuration in memory), in file order; only one
    supplier's when ``supplier`` is given."""
    entries = catalog.entries if catalog is not None else []
    return [e for e in entries if not supplier or e.supplier == supplier]


def partners_overview(conn: Connection, partners: dict[str, Partner]) -> list[dict]:
    """Every partner's profile with its health (last sent, received, polled; waiting, failed,
    open Incidents), by id."""
    ids = sorted(partners)
    health = {h["partner"]: h for h in partner_health(conn, ids)}
    return [{**partner_profile(partners[pid]), "health": health[pid]} for pid in ids]


def test_documents(conn: Connection, partner_id: str, limit: int = 10) -> list[dict]:
    """The test documents sent to a partner from the console, newest first, with their state."""
    a, x = t.audit_log, t.interchanges
    rows = conn.execute(select(x.c.id, x.c.doc_type, x.c.control_number, x.c.filename, x.c.state,
                               x.c.last_error, x.c.ack_status, a.c.at, a.c.actor)
                        .join(x, x.c.id == a.c.interchange_id)
                        .where(a.c.action == "partner.test_send", a.c.partner_id == partner_id)
                        .order_by(a.c.id.desc()).limit(limit)).mappings()
    return [{**r, "at": iso(r["at"])} for r in rows]


def partner_audit(conn: Connection, partner_id: str, limit: int = 20) -> list[dict]:
    """What people did about a partner (files saved, tests, mode switches), newest first."""
    a = t.audit_log
    rows = conn.execute(select(a.c.at, a.c.actor, a.c.action, a.c.target, a.c.reason)
                        .where(a.c.partner_id == partner_id).order_by(a.c.id.desc()).limit(limit))
    return [{**r._mapping, "at": iso(r.at)} for r in rows]


def config_files(conn: Connection) -> list[dict]:
    """Every file with saved versions: path, how many, newest id, when and by whom."""
    return [{**r, "at": iso(r["at"])} for r in ConfigStore(conn).files()]


def config_history(conn: Connection, path: str) -> list[dict]:
    """Every version of one file, newest first, numbered from 1."""
    return [{**r, "at": iso(r["at"])} for r in reversed(ConfigStore(conn).versions(path))]


def config_version(conn: Connection, version_id: int) -> dict | None:
    """One version with its content, or None."""
    row = ConfigStore(conn).version(version_id)
    return None if row is None else {**row, "at": iso(row["at"])}
