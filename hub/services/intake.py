"""Take orders in from any channel: check, deduplicate, store, then route and queue them.

One call handles one batch in one transaction. Idempotent on (channel, channel_order_id):
the same order again changes nothing; different content under the same id is a conflict.
Records that are not orders at all become Incidents keeping what was sent. A record that
breaks anything on its way (reading, hashing, routing, storing) is refused alone: the others
of its batch still go in.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from hub.domain.model import IncidentDraft, Order, canonical_json, content_hash
from hub.errors import OrderInputError
from hub.services.fulfil import Outcome, decide, queue, record_stops
from hub.services.order_input import parse_order, shown
from hub.services.ports import HubContext

log = logging.getLogger("edihub.intake")

CREATED, UNCHANGED, CONFLICT, INVALID = "created", "unchanged", "conflict", "invalid"


@dataclass(slots=True)
class Submission:
    """One record offered to intake: decoded data, or why it could not be decoded."""

    source: str                  # where it came from: "api", "orders.csv rows 2-4", ...
    data: dict | None = None
    error: str = ""
    raw: str = ""                # what was sent, kept in the Incident if it is refused
    channel: str | None = None   # the channel it is taken in for, when not the whole batch's


@dataclass(slots=True)
class IntakeResult:
    """What happened to one submission."""

    source: str
    status: str                  # created, unchanged, conflict, invalid
    channel: str = ""
    channel_order_id: str = ""
    order_id: int | None = None
    state: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        """One line for a person."""
        ref = f"{self.channel}/{self.channel_order_id}" if self.channel_order_id else ""
        if self.status in (CREATED, UNCHANGED):
            return f"{ref}: {self.status}, {self.state}"
        where = f"{self.source} ({ref})" if ref else self.source
        return f"{where}: {self.status}: {'; '.join(self.problems)}"


def accept(hub: HubContext, batch: list[Submission], channel: str | None = None) -> list[IntakeResult]:
    """Check, store, route and queue a batch of submissions; one result per submission."""
    try:
        return _accept_retrying(hub, batch, channel)
    except (OperationalError, InterfaceError):
        raise  # the store itself is unavailable: no record is to blame
    except Exception as exc:
        if len(batch) == 1:
            return [_refuse_unstorable(hub, batch[0], batch[0].channel or channel, exc)]
        # Some record broke the batch's transaction: halve until it stands alone, so only it
        # is refused and every other record goes in.
        half = len(batch) // 2
        return accept(hub, batch[:half], channel) + accept(hub, batch[half:], channel)


def _accept_retrying(hub: HubContext, batch: list[Submission], channel: str | None) -> list[IntakeResult]:
    for attempt in range(3):
        try:
            return _accept_once(hub, batch, channel)
        except IntegrityError:
            # A concurrent request stored one of these orders first: on the next try it is
            # found among the existing orders and reported as unchanged or conflicting.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _accept_once(hub: HubContext, batch: list[Submission], channel: str | None) -> list[IntakeResult]:
    now = hub.clock()
    results: list[IntakeResult | None] = [None] * len(batch)
    incidents: list[IncidentDraft] = []
    fresh: dict[tuple[str, str], tuple[int, Order, str, str]] = {}
    repeats: list[tuple[int, int, Order, str, str]] = []   # (n, n of its first, order, payload, hash)
    for n, sub in enumerate(batch):
        order, payload, digest, problems = _checked(sub, sub.channel or channel, hub)
        if problems:
            results[n] = _invalid(sub, sub.channel or channel, problems)
            incidents.append(_invalid_incident(sub, problems, results[n].channel))
            continue
        if order.key in fresh:  # the same order twice in one batch: answered like its first
            repeats.append((n, fresh[order.key][0], order, payload, digest))
            continue
        fresh[order.key] = (n, order, payload, digest)
    with hub.uow() as uow:
        existing = uow.repo.existing_orders(list(fresh))
        new = []
        stored: dict[int, tuple[int, str, str, str]] = {}   # n of a first -> its stored order
        for key, (n, order, payload, digest) in fresh.items():
            if key in existing:
                oid, old_digest, old_payload, state = existing[key]
                stored[n] = (oid, state, old_digest, old_payload)
                results[n] = _repeat(batch[n].source, order, old_payload, payload, digest,
                                     (oid, state, old_digest), incidents)
            else:
                new.append((n, order, payload, digest))
        orders = [o for _, o, _, _ in new]
        # Read before inserting: a customer is new until an earlier order of theirs exists.
        known = uow.repo.known_customers({o.customer.id for o in orders})
        outcome = Outcome()
        routed = decide(uow, hub, orders, known, now, outcome)
        uow.repo.insert_orders(orders, [p for *_, p, _ in new], [d for *_, d in new], now)
        received = [{"at": now, "order_id": o.id, "purchase_order_id": None, "interchange_id": None,
                     "kind": "order.received", "message": f"received from {o.channel} ({batch[n].source})",
                     "actor": "hub"} for n, o, _, _ in new]
        record_stops(outcome, now)
        uow.repo.update_orders(queue(uow, hub, routed, now, outcome), now)
        uow.repo.file_incidents(outcome.incidents, now)
        uow.repo.add_events(received + outcome.events)   # one statement; each timeline starts "received"
        for n, order, payload, digest in new:
            stored[n] = (order.id, order.state.value, digest, payload)
        # A repeat is compared with the order as stored, whether its first found it there
        # or created it just now: identical is unchanged, anything else a conflict.
        for n, first, order, payload, digest in repeats:
            oid, state, old_digest, old_payload = stored[first]
            results[n] = _repeat(batch[n].source, order, old_payload, payload, digest,
                                 (oid, state, old_digest), incidents)
        uow.repo.file_incidents(incidents, now)
        uow.commit()
    for n, order, _, _ in new:
        results[n] = IntakeResult(batch[n].source, CREATED, order.channel, order.channel_order_id,
                                  order.id, order.state.value)
    if outcome.queued:
        hub.on_queued()
    return results


def _checked(sub: Submission, channel: str | None,
             hub: HubContext) -> tuple[Order | None, str, str, list[str]]:
    """The order, its canonical JSON and hash, or the problems that refuse it."""
    try:
        order, problems = _parse(sub, channel, hub)
        if problems:
            return None, "", "", problems
        payload = canonical_json(order)
        return order, payload, content_hash(payload), []
    except Exception as exc:  # whatever one record breaks refuses that record only
        log.exception("%s could not be read as an order", sub.source)
        return None, "", "", [f"could not be read as an order ({type(exc).__name__}: {shown(str(exc))})"]


def _invalid(sub: Submission, channel: str | None, problems: list[str]) -> IntakeResult:
    data = sub.data if isinstance(sub.data, dict) else {}
    return IntakeResult(sub.source, INVALID, problems=problems,
                        channel=shown(str(data.get("channel") or channel or ""))[:40],
                        channel_order_id=shown(str(data.get("channel_order_id") or ""))[:80])


def _refuse_unstorable(hub: HubContext, sub: Submission, channel: str | None,
                       exc: Exception) -> IntakeResult:
    """A record whose storing failed for a reason of its own: refused, kept in an Incident."""
    log.error("%s could not be stored", sub.source, exc_info=exc)
    result = _invalid(sub, channel, [f"could not be stored ({type(exc).__name__}: "
                                     f"{shown(str(exc).splitlines()[0] if str(exc) else '')})"])
    try:
        with hub.uow() as uow:
            uow.repo.file_incidents([_invalid_incident(sub, result.problems, result.channel)],
                                    hub.clock())
            uow.commit()
    except Exception:  # the result still reports the refusal to the sender
        log.exception("the Incident about %s could not be filed", sub.source)
    return result


def _parse(sub: Submission, channel: str | None, hub: HubContext) -> tuple[Order | None, list[str]]:
    if sub.error:
        return None, [sub.error]
    try:
        order = parse_order(sub.data, channel)
    except OrderInputError as exc:
        return None, exc.problems
    if order.channel not in hub.channels:
        return None, [f"channel: {order.channel!r} is not a channel of this hub "
                      f"(configured: {', '.join(sorted(hub.channels)) or 'none'}); "
                      "add it under [channels] in edihub.toml"]
    return order, []


def _repeat(source: str, order: Order, old_payload: str, payload: str, digest: str,
            stored: tuple[int, str, str], incidents: list[IncidentDraft]) -> IntakeResult:
    """An order seen before: unchanged if identical, else a conflict naming what differs."""
    oid, state, old_digest = stored
    if digest == old_digest:
        return IntakeResult(source, UNCHANGED, order.channel, order.channel_order_id, oid, state)
    diffs = differences(json.loads(old_payload), json.loads(payload))
    problem = (f"order {order.ref} was already received with different content "
               f"({', '.join(diffs)}); to change an order use a new channel_order_id or ask an "
               "operator")
    incidents.append(IncidentDraft(code="intake.conflicting_duplicate", message=problem,
                                   order_id=oid, channel=order.channel,
                                   detail={"source": source, "differences": diffs,
                                           "received": json.loads(payload)},
                                   dedupe_key=f"intake.conflict:{order.channel}:"
                                              f"{order.channel_order_id}:{digest}"))
    return IntakeResult(source, CONFLICT, order.channel, order.channel_order_id, oid, state,
                        problems=[problem])


def differences(old, new, path: str = "") -> list[str]:
    """Paths where two canonical orders differ, e.g. ``lines[0].quantity``."""
    if isinstance(old, dict) and isinstance(new, dict):
        return [d for k in sorted(set(old) | set(new))
                for d in differences(old.get(k), new.get(k), f"{path}.{k}" if path else k)]
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            return [f"{path} ({len(old)} before, {len(new)} now)"]
        return [d for i, (a, b) in enumerate(zip(old, new)) for d in differences(a, b, f"{path}[{i}]")]
    return [] if old == new else [path or "(order)"]


def _invalid_incident(sub: Submission, problems: list[str], channel: str) -> IncidentDraft:
    raw = sub.raw or (json.dumps(sub.data, default=str, ensure_ascii=False) if sub.data is not None else "")
    # Lone surrogates (from JSON escapes) cannot be stored as UTF-8: keep them as escapes.
    raw = raw.encode("utf-8", "backslashreplace").decode("utf-8")
    digest = hashlib.sha256(raw.encode()).hexdigest()[:16]
    return IncidentDraft(code="intake.invalid_order", channel=channel,
                         message=shown(f"{sub.source}: order refused: {'; '.join(problems)}"),
                         detail={"source": sub.source, "problems": problems, "raw": raw[:4096]},
                         dedupe_key=f"intake.invalid:{sub.source}:{digest}")
