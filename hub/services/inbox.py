"""Inbox files the hub leaves alone for their names (a line break in it, bytes that are not
UTF-8, ...): one Incident per file while it stays there, resolved once it is gone.

A transport's listing reports such files instead of offering them, so they never block the
files next to them; this is where an operator hears of them, once, not at every poll.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Iterable, Protocol

from hub.domain.model import IncidentDraft
from hub.services.ports import HubContext

log = logging.getLogger("edihub.inbound")


class Skipped(Protocol):
    """A file a transport's listing skipped: its printable name and why."""

    name: str
    reason: str


def note_skipped(hub: HubContext, partner_id: str, skipped: Iterable[Skipped]) -> None:
    """File an Incident for each newly skipped inbox file; resolve those no longer skipped."""
    prefix = f"inbox.skipped:{partner_id}:"
    now_skipped = {prefix + hashlib.sha256(f.name.encode()).hexdigest()[:32]: f for f in skipped}
    with hub.uow() as uow:
        # startswith() is a LIKE: keep only keys that really are this partner's.
        open_keys = {k for k in uow.repo.open_incident_keys(prefix) if k.startswith(prefix)}
        new = {k: f for k, f in now_skipped.items() if k not in open_keys}
        gone = sorted(open_keys - set(now_skipped))
        if not (new or gone):
            return
        for f in new.values():
            log.warning("%s: inbox file '%s' left alone: %s", partner_id, f.name, f.reason)
        uow.repo.file_incidents([IncidentDraft(
            code="inbound.unusable_name", partner_id=partner_id, dedupe_key=key,
            message=(f"{partner_id}'s inbox holds a file named '{f.name}' that the hub leaves "
                     f"alone: {f.reason}. Ask the partner to send it again under a plain name "
                     "(or rename it on their side); the other files are fetched as usual"),
            detail={"name": f.name, "reason": f.reason}) for key, f in new.items()], hub.clock())
        uow.repo.resolve_incidents(gone, hub.clock(), "the file is no longer in the inbox")
        uow.commit()
