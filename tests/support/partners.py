"""Partners for fast unit tests of the X12 writers."""

from __future__ import annotations

from hub.domain.partner import Partner, X12Profile


def x12_partner(version: str = "004010", **changes) -> Partner:
    """The default drop-ship supplier "acme": `*` `>` `~`, ids as in the golden files."""
    profile = dict(version=version, sender_qualifier="ZZ", sender_id="NORTHWIND",
                   receiver_qualifier="12", receiver_id="5551234567", gs_sender_id="NORTHWIND",
                   gs_receiver_id="ACMESUPPLY")
    profile.update(changes.pop("x12", {}))
    return Partner("acme", "Acme Supply", "partners/acme.toml", x12=X12Profile(**profile), **changes)
