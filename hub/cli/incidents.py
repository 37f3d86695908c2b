"""``edihub incidents``: the exceptions queue from the command line (list, show, ignore, retry)."""

from __future__ import annotations

import json

import click

from hub.cli.common import actor_option, err, fail, out, pass_home, since_option


@click.group()
def incidents() -> None:
    """The exceptions queue: every Incident, with or without an order."""


@incidents.command("list")
@click.option("--open", "only_open", is_flag=True, help="Open ones only (the default).")
@click.option("--state", type=click.Choice(["open", "resolved", "ignored", "all"]), default=None,
              help="Filter by state (default: open).")
@click.option("--partner", help="Only this partner's.")
@click.option("--kind", help="A code (transport.unreachable) or a family of codes (transport).")
@since_option
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_home
def list_(home, only_open: bool, state: str | None, partner: str | None, kind: str | None, since,
          limit: int, as_json: bool) -> None:
    """List Incidents, oldest first, with their counts per code."""
    from hub.views import incident_counts, incidents_list
    state = None if state == "all" else (state or "open")
    hub = home.hub()
    with hub.uow(readonly=True) as uow:
        rows = incidents_list(uow.conn, state, partner, kind, since, limit)
        counts = incident_counts(uow.conn, state, partner, since)
    if as_json:
        out.print_json(json.dumps({"incidents": rows, "counts": counts}))
        return
    if not rows:
        out.print(f"no {state or ''} incidents".replace("  ", " "), markup=False)
        return
    for r in rows:
        about = " ".join(x for x in (r["partner"] and f"partner {r['partner']}",
                                     r["order"] and f"order {r['order']}") if x)
        times = f" x{r['occurrences']}" if r["occurrences"] > 1 else ""
        out.print(f"#{r['id']} {r['state']} [{r['code']}]{times} {r['created_at'][:19]} {about}\n"
                  f"    {r['message']}", markup=False)
    out.print("by kind: " + ", ".join(f"{code} {n}" for code, n in counts.items()), markup=False)


@incidents.command()
@click.argument("incident_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_home
def show(home, incident_id: int, as_json: bool) -> None:
    """One Incident: the cause, the document and order behind it, what was done about it."""
    from hub.views import incident_view
    hub = home.hub()
    with hub.uow(readonly=True) as uow:
        view = incident_view(uow.conn, incident_id)
    if view is None:
        fail(f"there is no incident #{incident_id}")
    if as_json:
        out.print_json(json.dumps(view))
        return
    out.print(f"incident #{view['id']} [{view['code']}] {view['state']}, filed {view['created_at']}"
              + (f", seen {view['occurrences']} times" if view["occurrences"] > 1 else ""), markup=False)
    out.print(f"  {view['message']}", markup=False)
    for label, value in (("partner", view["partner"]), ("order", view.get("order"))):
        if value:
            out.print(f"  {label}: {value}", markup=False)
    doc = view["document"]
    if doc:
        out.print(f"  document #{doc['id']}: {doc['direction']} {doc['doc_type']} "
                  f"{doc['control_number'] or ''} {doc['remote_name'] or doc['filename']}, {doc['state']}"
                  f", archive: {doc['archive_path'] or '-'}", markup=False)
    if view["state"] != "open":
        out.print(f"  closed by {view['resolved_by'] or 'hub'} at {view['resolved_at']}: {view['resolution']}",
                  markup=False)
    for a in view["audit"]:
        out.print(f"  {a['at']} {a['actor']} {a['action']}: {a['reason'] or ''}", markup=False)


@incidents.command()
@click.argument("incident_ids", type=int, nargs=-1, required=True)
@click.option("--reason", required=True, help="Why it needs no action (kept with it).")
@actor_option
@pass_home
def ignore(home, incident_ids: tuple[int, ...], reason: str, actor: str) -> None:
    """Close Incidents without acting on their cause, saying why."""
    from hub.services.incidents import bulk, ignore_incident
    _report(bulk(home.hub().context, ignore_incident, list(incident_ids), actor=actor, reason=reason))


@incidents.command()
@click.argument("incident_ids", type=int, nargs=-1, required=True)
@click.option("--reason", default="", help="Why (kept in the audit log).")
@actor_option
@pass_home
def retry(home, incident_ids: tuple[int, ...], reason: str, actor: str) -> None:
    """Retry what Incidents are about: send the document again, read the file again, release
    the order, poll the inbox now, or send a partner's waiting documents now."""
    from hub.services.incidents import bulk, retry_incident
    hub = home.hub()
    _report(bulk(hub.context, retry_incident, list(incident_ids), actor=actor, receiver=hub.receiver,
                 poll=hub.poll_inbox, reason=reason))


def _report(results: list[tuple[int, str, bool]]) -> None:
    for _, message, done in results:
        (out if done else err).print(message if done else f"refused: {message}", markup=False)
    if not all(done for _, _, done in results):
        raise SystemExit(1)
