"""The audit log: every operator action, who did it, when, on what, before and after, and why."""

from __future__ import annotations

import json
from datetime import datetime

from hub.errors import HubError
from hub.services.ports import UnitOfWork


class ActionRefused(HubError):
    """An operator action that does not apply to what it names (said in words to act on)."""

    incident_code = "operations.refused"


def audit(uow: UnitOfWork, now: datetime, actor: str, action: str, target: str, *,
          before: dict | None = None, after: dict | None = None, reason: str = "",
          order_id: int | None = None, incident_id: int | None = None,
          interchange_id: int | None = None, partner_id: str | None = None) -> None:
    """Record one action in the caller's unit of work (it commits with the change itself)."""
    uow.repo.add_audit({"at": now, "actor": actor[:80], "action": action, "target": target[:120],
                        "order_id": order_id, "incident_id": incident_id,
                        "interchange_id": interchange_id, "partner_id": partner_id,
                        "before": json.dumps(before or {}, default=str, ensure_ascii=False),
                        "after": json.dumps(after or {}, default=str, ensure_ascii=False),
                        "reason": reason})


def need_reason(reason: str, what: str) -> str:
    """The reason an action needs, stripped; refused when empty."""
    reason = (reason or "").strip()
    if not reason:
        raise ActionRefused(f"{what} needs a reason: say why, for whoever reads the audit log")
    return reason
