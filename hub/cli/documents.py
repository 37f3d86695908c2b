"""``edihub documents``: retry or resend a document we send, reprocess one we received."""

from __future__ import annotations

import click

from hub.cli.common import actor_option, fail, out, pass_home


@click.group()
def documents() -> None:
    """Documents in and out (by the id `orders show` lists as #N)."""


def _run(action) -> None:
    from hub.errors import HubError
    try:
        result = action()
    except HubError as exc:
        fail(str(exc))
    out.print(result.message, markup=False)
    if result.report is not None and result.report.state == "rejected":
        raise SystemExit(1)


@documents.command()
@click.argument("document_id", type=int)
@click.option("--reason", default="", help="Why (kept in the audit log).")
@actor_option
@pass_home
def retry(home, document_id: int, reason: str, actor: str) -> None:
    """Send a failed or waiting document again, as it is (same control numbers), at once."""
    from hub.services.documents import retry_outbound
    _run(lambda: retry_outbound(home.hub().context, document_id, actor, reason))


@documents.command()
@click.argument("document_id", type=int)
@click.option("--reason", default="", help="Why (kept in the audit log).")
@actor_option
@pass_home
def resend(home, document_id: int, reason: str, actor: str) -> None:
    """Send a delivered document again: a new interchange with new control numbers."""
    from hub.services.documents import resend_outbound
    _run(lambda: resend_outbound(home.hub().context, document_id, actor, reason))


@documents.command()
@click.argument("document_id", type=int)
@click.option("--partner", help="Whose it is, when the file does not say (XML, an unknown sender).")
@click.option("--reason", default="", help="Why (kept in the audit log).")
@actor_option
@pass_home
def reprocess(home, document_id: int, partner: str | None, reason: str, actor: str) -> None:
    """Read a received file again after a partner or mapping fix (duplicate checks let it through)."""
    from hub.services.documents import reprocess_inbound
    hub = home.hub()
    _run(lambda: reprocess_inbound(hub.context, hub.receiver, document_id, actor, partner, reason))
