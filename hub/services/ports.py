"""What the services need from the outside, as protocols, and the context bootstrap builds."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Protocol

from hub.domain.partner import Catalog, Partner
from hub.domain.review import ReviewRules
from hub.domain.routing import RoutingRules
from hub.edi.document import Renderer


class UnitOfWork(Protocol):
    """A transaction with the repository and outbox inside it."""

    repo: object
    outbox: object

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(self, *exc) -> None: ...

    def commit(self) -> None:
        """Make the changes permanent."""


@dataclass
class HubContext:
    """Configuration and collaborators the use cases run with (built by hub.bootstrap)."""

    uow: Callable[[], UnitOfWork]
    partners: dict[str, Partner]
    catalog: Catalog
    renderers: dict[str, Renderer]
    channels: frozenset[str]
    # Per partner with a change mapping, the renderer of its purchase-order changes (860, XML).
    change_renderers: dict[str, Renderer] = field(default_factory=dict)
    review: ReviewRules = ReviewRules()
    routing: RoutingRules = RoutingRules()
    company: dict[str, str] = field(default_factory=dict)
    po_prefix: str = "PO"
    clock: Callable[[], datetime] = None
    # Per channel, the notification kinds it gets: "notify-webhook" and/or "notify-file".
    channel_targets: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Per partner, its inbound XML answer mappings (hub.edi.xml.answers.AnswerMapping).
    answer_mappings: dict[str, list] = field(default_factory=dict)
    # Called after a commit that queued documents, so a waiting dispatcher sends them at once.
    on_queued: Callable[[], None] = lambda: None
