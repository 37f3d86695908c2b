"""What a document renderer takes and gives: the contract between routing and the wire formats.

Rendering has two steps so that a document that cannot be built never consumes a control
number: :meth:`Renderer.prepare` checks and lays out the body (and raises
:class:`~hub.errors.DocumentError` with an operator's sentence when the data does not fit),
then :meth:`Renderer.finish` adds the envelope with numbers allocated only for documents
that passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from hub.edi.context import PoContext


@dataclass(frozen=True, slots=True)
class ControlNumbers:
    """The numbers one outbound interchange carries."""

    interchange: int   # ISA13 (X12) or the document id of an XML document
    group: int         # GS06
    transaction: int   # ST02


@dataclass(frozen=True, slots=True)
class RenderedDocument:
    """A finished outbound document, ready for the outbox."""

    doc_type: str        # "850" or "xml-po"
    payload: bytes
    filename: str        # <partner>_<doc type>_<control number>.<ext>: a re-send is recognised
    content_type: str
    control_number: str  # as written in the document (ISA13 zero-padded, or the XML id)


class Renderer(Protocol):
    """Turns a purchase order's context into one partner's document."""

    doc_type: str

    def prepare(self, ctx: PoContext) -> object:
        """Check the data and lay out the body; raise DocumentError if it cannot be sent."""

    def finish(self, prepared: object, numbers: ControlNumbers, now: datetime) -> RenderedDocument:
        """Wrap a prepared body in its envelope with the allocated control numbers."""


def document_filename(partner_id: str, doc_type: str, control_number: str, ext: str) -> str:
    """The outbound file name: partner, document type and control number, nothing from outside."""
    return f"{partner_id}_{doc_type}_{control_number}.{ext}"
