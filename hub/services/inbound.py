"""Receive a partner's file: find the partner, read it, apply it, acknowledge it.

The bytes are already in the archive when this starts (the caller stored them), so nothing
can be lost. Each X12 interchange becomes an Interchange row before its answers are
applied: ``(partner, ISA13)`` is unique, so an interchange already processed is recorded as
a duplicate and never applied twice, and one whose processing died half-way is taken up
again (applying an answer twice changes nothing). Answers are applied in batches, each in
its own transaction; problems become Incidents and the rest of the file goes on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from hub.adapters.repository import ConcurrentUpdateError
from hub.domain.model import IncidentDraft
from hub.domain.partner import Partner
from hub.domain.states import InterchangeState
from hub.edi.x12.fa997_out import EchoCheck
from hub.edi.sniff import sniff
from hub.services.acks import AckTracker, queue_acks, wants_ack
from hub.domain.answers import shown
from hub.services.apply import Answer, Strangers, apply_answers, note_stranger, stranger_incidents
from hub.services.ports import HubContext

log = logging.getLogger("edihub.inbound")
BATCH = 500
MAX_XML_BYTES = 50 << 20
_RECEIVED, _PROCESSED, _REJECTED, _DUPLICATE = (InterchangeState.RECEIVED, InterchangeState.PROCESSED,
                                                 InterchangeState.REJECTED, InterchangeState.DUPLICATE)


@dataclass(frozen=True, slots=True)
class Arrival:
    """How a file reached us."""

    source: str                     # "folder", "sftp", "as2", "cli"
    archive_path: str               # where the archive keeps it (relative to var/archive)
    sha256: str
    size: int
    remote_name: str = ""           # the partner's name for it: data only, never a path
    partner_id: str | None = None   # the partner whose inbox or endpoint it came through
    reprocess: bool = False         # an operator's explicit re-run: read again what was read before


@dataclass
class ReceiveReport:
    """What receiving one file did."""

    state: str = "processed"        # processed, duplicate, rejected
    interchanges: int = 0
    transactions: int = 0
    applied: int = 0
    acks_queued: int = 0
    problems: list[str] = field(default_factory=list)
    duplicate_of: str = ""          # for a duplicate: which document it repeats, in words


class Receiver:
    """Reads archived files and applies what partners say in them."""

    def __init__(self, hub: HubContext, archive_root: Path, batch_size: int = BATCH):
        self.hub, self.root, self.batch_size = hub, archive_root, batch_size
        self._indexed: dict[str, Partner] | None = None
        self._index: dict[tuple[str, str], list[Partner]] = {}

    @property
    def _by_envelope(self) -> dict[tuple[str, str], list[Partner]]:
        """Partners by the ISA ids they send with, as the hub's partners are now: a reload
        swaps in new partner files, and a file must be read with the partner's new settings."""
        if self._indexed is not self.hub.partners:
            self._index, self._indexed = _envelope_index(self.hub.partners), self.hub.partners
        return self._index

    def receive(self, arrival: Arrival) -> ReceiveReport:
        """Process one archived file."""
        now = self.hub.clock()
        with self.hub.uow() as uow:
            earlier = None if arrival.reprocess else uow.inbound.first_with_sha(arrival.sha256)
            if earlier is not None and earlier["state"] != _RECEIVED.value:
                # Described as the original is, so that the order it concerns shows it too.
                uow.inbound.add(**_row(arrival, now, state=_DUPLICATE, duplicate_of=earlier["id"],
                                       done_at=now, doc_type=earlier["doc_type"],
                                       partner_id=arrival.partner_id or earlier["partner_id"],
                                       control_number=earlier["control_number"],
                                       purchase_order_id=earlier["purchase_order_id"]))
                uow.commit()
                log.info("%s: same bytes as interchange %s: recorded, not applied again",
                         arrival.remote_name or arrival.archive_path, earlier["id"])
                return ReceiveReport(state="duplicate", duplicate_of=f"file (document #{earlier['id']})")
        path = self.root / arrival.archive_path
        with open(path, "rb") as fh:
            head = fh.read(4096)
        if sniff(head) == "xml":
            return self._xml(path, arrival)
        return _X12File(self, arrival).run(path)

    # -- XML answers ------------------------------------------------------------------------

    def _xml(self, path: Path, arrival: Arrival) -> ReceiveReport:
        from hub.edi.xml.answers import read_supplier_answer
        now, report = self.hub.clock(), ReceiveReport()
        partner = self.hub.partners.get(arrival.partner_id or "")
        mappings = self.hub.answer_mappings.get(arrival.partner_id or "", [])
        problem = ("an XML document came in without a partner (only a partner's inbox or AS2 "
                   "endpoint says whose it is)" if partner is None else
                   f"{partner.id} has no XML answer mappings ([xml] answers in its partner file)"
                   if not mappings else
                   f"the XML document is larger than {MAX_XML_BYTES >> 20} MB"
                   if arrival.size > MAX_XML_BYTES else "")
        parsed = None if problem else read_supplier_answer(mappings, path.read_bytes())
        if parsed is not None and parsed.document is None:
            problem = "; ".join(p.message for p in parsed.problems) or "the document was not understood"
        with self.hub.uow() as uow:
            iid = uow.inbound.add(**_row(arrival, now, partner_id=partner.id if partner else None,
                                         doc_type=parsed.doc_type if parsed else "xml", state=_RECEIVED))
            if problem:
                _refuse(uow, iid, partner.id if partner else "", problem, arrival, now, report)
            else:
                answer = Answer(iid, partner, parsed, f"file {arrival.remote_name or iid}",
                                set_control=_own_id(parsed.document))
                report.applied = apply_answers(uow, self.hub, [answer], now).applied
                uow.inbound.settle(iid, _PROCESSED, now)
            uow.commit()
        report.interchanges = report.transactions = 1
        return report


class _X12File:
    """The state of reading one X12 file: its interchanges, pending answers, groups to ack."""

    def __init__(self, receiver: Receiver, arrival: Arrival):
        self.r, self.hub, self.arrival = receiver, receiver.hub, arrival
        self.report = ReceiveReport()
        self.rows: dict[int, tuple[int | None, Partner | None, str]] = {}  # ic -> (row, partner, status)
        self.pending: list[Answer] = []
        self.problems: list[IncidentDraft] = []   # filed with the next batch
        self.tallied: Strangers = {}               # also, one Incident per kind and file
        self.noted = 0                             # problems in self.tallied
        self.acks = AckTracker()
        self.echo: dict[str, EchoCheck] = {}              # per partner
        self.unanswerable: dict[tuple, str] = {}          # per group: why no 997 can answer it

    def run(self, path: Path) -> ReceiveReport:
        from hub.edi.x12.answers import parse_transaction
        from hub.edi.x12.envelope import iter_transactions
        with open(path, "rb") as fh:
            envelopes = iter_transactions(fh)
            for tx in envelopes:
                self.report.transactions += 1
                row, partner, status = self._interchange(tx.interchange)
                if status != "ok":
                    continue
                self._transaction(tx, row, partner, parse_transaction)
                if len(self.pending) >= self.r.batch_size:
                    self._flush()
            self._flush()
            self._finish(envelopes)
        return self.report

    def _interchange(self, ic) -> tuple[int | None, Partner | None, str]:
        key = id(ic)
        if key not in self.rows:
            self.rows[key] = self._open(ic)
            self.report.interchanges += 1
        return self.rows[key]

    def _open(self, ic) -> tuple[int | None, Partner | None, str]:
        """Match the interchange to a partner and record it (or see that we have it already)."""
        now = self.hub.clock()
        partner, problem = self._partner_of(ic)
        control = (ic.control or "").strip()
        row = _row(self.arrival, now, partner_id=partner.id if partner else None, doc_type="X12",
                   control_number=control if partner else None, state=_RECEIVED)
        with self.hub.uow() as uow:
            if problem:   # refused from the start: it never holds the partner's control number
                iid = uow.inbound.add(**{**row, "state": _REJECTED.value})
                _refuse(uow, iid, partner.id if partner else "", problem, self.arrival, now, self.report)
                uow.commit()
                return (iid, partner, "refused")
            seen = uow.inbound.seen_control(partner.id, control)
            if seen is not None and seen[2] != _RECEIVED.value:
                if not (self.arrival.reprocess and seen[1] == self.arrival.sha256):
                    return self._duplicate(uow, row, seen, partner, control, now)
                uow.inbound.reopen(seen[0])   # the same interchange, read again on request
                uow.commit()
                return (seen[0], partner, "ok")
            iid = seen[0] if seen else None
            try:
                iid = iid or uow.inbound.add(**row)
                uow.commit()
            except IntegrityError:  # another worker recorded it first: it is theirs to apply
                uow.rollback()
                return self._duplicate(uow, row, uow.inbound.seen_control(partner.id, control),
                                       partner, control, now)
        return (iid, partner, "ok")

    def _duplicate(self, uow, row: dict, seen, partner: Partner, control: str, now: datetime):
        row.update(state=_DUPLICATE, duplicate_of=seen[0], done_at=now)
        iid = uow.inbound.add(**row)
        if seen[1] != self.arrival.sha256:
            # Same control number, different content: the partner reused a number.
            uow.repo.file_incidents([IncidentDraft(
                code="inbound.reused_control_number", partner_id=partner.id, interchange_id=iid,
                message=f"{partner.id} sent interchange {control} again with different content: "
                        "it was recorded but not applied; ask the supplier which one is right",
                dedupe_key=f"inbound.reused_control:{partner.id}:{control}:{self.arrival.sha256[:16]}")], now)
        uow.commit()
        self.report.state = "duplicate"
        self.report.duplicate_of = f"interchange {control} from {partner.id} (document #{seen[0]})"
        return (iid, partner, "duplicate")

    def _partner_of(self, ic) -> tuple[Partner | None, str]:
        sender = (ic.sender_id or "").strip()
        receiver = (ic.receiver_id or "").strip()
        candidates = self.r._by_envelope.get((sender, receiver), [])
        hint = self.arrival.partner_id
        if hint:
            partner = next((p for p in candidates if p.id == hint), None)
            if partner is None:
                known = candidates[0].id if candidates else "no partner"
                return (self.hub.partners.get(hint),
                        f"a file in {hint}'s inbox carries ISA sender {sender!r} / receiver "
                        f"{receiver!r}, which is {known}'s: not applied; check where it came from")
            return partner, ""
        if len(candidates) == 1:
            return candidates[0], ""
        if not candidates:
            return None, (f"no partner sends as ISA06 {sender!r} to ISA08 {receiver!r}: add or "
                          "correct a partner file ([x12] receiver_id / sender_id), then reprocess it")
        return None, (f"several partners send as ISA06 {sender!r} to {receiver!r} "
                      f"({', '.join(p.id for p in candidates)}): receive it through one partner's inbox")

    def _transaction(self, tx, row: int, partner: Partner, parse) -> None:
        where = f"ISA13 {tx.interchange.control}, GS06 {tx.group.control if tx.group else '?'}, ST02 {tx.control}"
        if self._unacknowledgeable(tx, row, partner, where):
            return
        errors = [e for e in tx.errors if e.is_error]
        self.acks.add_set(tx, partner, errors)
        if errors:
            self._tally(tx, row, partner, "inbound.bad_transaction",
                        f"{partner.id}: transaction {tx.set_id} ({where}) was not applied: "
                        + "; ".join(e.message for e in errors))
            return
        if tx.set_id not in partner.inbound and tx.set_id not in ("997", "999"):
            self._tally(tx, row, partner, "inbound.unexpected_document",
                        f"{partner.id} sent a {tx.set_id} ({where}), which its partner file does "
                        "not list under [documents] inbound: kept, not applied")
            return
        parsed = parse(tx)
        for p in parsed.problems:
            self._problem(row, partner, p.code, f"{partner.id} {tx.set_id} ({where}): {p.message}")
        if parsed.document is not None:
            self.pending.append(Answer(row, partner, parsed, where,
                                       tx.group.control if tx.group else None, tx.control))

    def _unacknowledgeable(self, tx, row: int, partner: Partner, where: str) -> bool:
        """True (and an Incident) when the 997/999 the partner wants could not echo this set's
        envelope: checked before anything is applied, so nothing applied goes unanswered."""
        if not wants_ack(tx, partner) or partner.x12 is None:
            return False
        check = self.echo.get(partner.id) or self.echo.setdefault(partner.id, EchoCheck(partner))
        group = tx.group
        key = (id(tx.interchange), group.control)
        if key not in self.unanswerable:
            self.unanswerable[key] = check.group(group.functional_id, group.control)
            if self.unanswerable[key]:   # said once per group; none of its sets is applied
                self._tally(tx, row, partner, "inbound.unacknowledgeable",
                            f"{partner.id}: no set of group {group.control!r} (ISA13 "
                            f"{tx.interchange.control}) was applied: {self.unanswerable[key]}",
                            f"group {shown(group.control)}")
        if self.unanswerable[key]:
            return True
        problem = check.set(group.functional_id, group.control, tx.set_id, tx.control)
        if problem:
            self.acks.add_unlisted(tx, partner)
            self._tally(tx, row, partner, "inbound.unacknowledgeable",
                        f"{partner.id}: transaction {tx.set_id!r} ({where}) was not applied, and "
                        f"the 997 rejects it without naming it: {problem}")
        return bool(problem)

    def _problem(self, row: int, partner: Partner, code: str, message: str) -> None:
        self.report.problems.append(message)
        self.problems.append(IncidentDraft(code=code, message=message, partner_id=partner.id,
                                           interchange_id=row, dedupe_key=f"{code}:{row}:{message[:80]}"))
        if len(self.problems) >= self.r.batch_size:
            self._flush()

    def _tally(self, tx, row: int, partner: Partner, code: str, message: str, name: str = "") -> None:
        """A problem with one transaction set that a broken file can repeat thousands of times:
        one Incident per kind, partner and interchange names the first few sets (by ST02 and
        their place in the file) and counts the rest."""
        self.report.problems.append(message)
        place = self.report.transactions
        note_stranger(self.tallied, code, partner.id, row, name or f"{shown(tx.control)} (set {place:,})",
                      message, f"set {place} of the file")   # ST02s may repeat; places do not
        self.noted += 1
        if self.noted >= self.r.batch_size:
            self._flush()

    def _flush(self) -> None:
        if not self.pending and not self.problems and not self.tallied:
            return
        batch, self.pending = self.pending, []
        problems, self.problems = self.problems, []
        tallied, self.tallied, self.noted = self.tallied, {}, 0
        for attempt in range(3):
            try:
                with self.hub.uow() as uow:
                    if batch:
                        self.report.applied += apply_answers(uow, self.hub, batch, self.hub.clock()).applied
                    uow.repo.file_incidents(problems + stranger_incidents(uow, tallied, self.hub.clock()),
                                            self.hub.clock())
                    uow.commit()
                return
            except (ConcurrentUpdateError, IntegrityError):
                if attempt == 2:  # another worker keeps changing the same orders: let it settle
                    raise

    def _finish(self, envelopes) -> None:
        now = self.hub.clock()
        for error in envelopes.all_errors():
            if error.is_error and error.code.split(".")[0] in ("isa", "iea", "gs", "ge", "file",
                                                              "segment", "trailer"):
                self.report.problems.append(error.message)
        ack_failure = ""
        with self.hub.uow() as uow:
            try:
                self.report.acks_queued = queue_acks(uow, self.hub, self.acks, envelopes, now)
            except Exception as exc:  # the answers are applied: the rows must settle all the same
                log.exception("%s: acknowledgements could not be built", self.arrival.archive_path)
                uow.rollback()
                uow.conn.begin()
                ack_failure = f"no 997/999 was sent for this file: {type(exc).__name__}: {exc}"
                self.report.problems.append(ack_failure)
            for row, partner, status in self.rows.values():
                if status == "ok":
                    uow.inbound.settle(row, _PROCESSED, now, "; ".join(self.report.problems)[:4000])
                    if ack_failure:
                        uow.repo.file_incidents([IncidentDraft(
                            code="ack.not_sent", partner_id=partner.id, interchange_id=row,
                            message=f"{partner.id}: {ack_failure}; the partner may send it again",
                            dedupe_key=f"ack.not_sent:{row}")], now)
            if not self.rows:  # not even an interchange header: keep the file, say why
                iid = uow.inbound.add(**_row(self.arrival, now, partner_id=self.arrival.partner_id,
                                             doc_type="unknown", state=_RECEIVED))
                why = "; ".join(e.message for e in envelopes.all_errors())
                if envelopes.interchange_count:
                    problem = (f"{envelopes.interchange_count} interchange(s) but not one transaction set: "
                               f"nothing to apply{'; ' + why if why else ''}")
                else:
                    problem = f"no X12 interchange could be read: {why or 'the file is empty'}"
                _refuse(uow, iid, self.arrival.partner_id or "", problem, self.arrival, now, self.report)
            uow.commit()
        if self.report.problems and self.report.state == "processed" and not self.report.applied:
            self.report.state = "rejected"


def _own_id(document) -> str | None:
    """An XML answer's own reference, the nearest thing it has to a control number."""
    return getattr(document, "shipment_id", None) or getattr(document, "reference", None) or None


def _envelope_index(partners: dict[str, Partner]) -> dict[tuple[str, str], list[Partner]]:
    """Partners by the ISA ids they send with: (their id, our id at them)."""
    index: dict[tuple[str, str], list[Partner]] = {}
    for p in partners.values():
        if p.x12 is not None:
            index.setdefault((p.x12.receiver_id.strip(), p.x12.sender_id.strip()), []).append(p)
    return index


def _row(arrival: Arrival, now: datetime, **values) -> dict:
    row = {"direction": "in", "partner_id": arrival.partner_id, "filename": (arrival.remote_name or
           Path(arrival.archive_path).name)[:200], "content_type": "application/octet-stream",
           "archive_path": arrival.archive_path, "sha256": arrival.sha256, "size": arrival.size,
           "remote_name": arrival.remote_name[:400], "created_at": now}
    row.update(values)
    row["state"] = row["state"].value
    return row


def _refuse(uow, iid: int, partner_id: str, problem: str, arrival: Arrival, now: datetime,
            report: ReceiveReport) -> None:
    uow.inbound.settle(iid, _REJECTED, now, problem)
    uow.repo.file_incidents([IncidentDraft(
        code="inbound.refused", message=f"{arrival.remote_name or arrival.archive_path}: {problem}",
        partner_id=partner_id, interchange_id=iid,
        detail={"archive_path": arrival.archive_path, "source": arrival.source},
        dedupe_key=f"inbound.refused:{arrival.sha256}:{problem[:60]}")], now)
    report.problems.append(problem)
    report.state = "rejected"


def record_failure(hub: HubContext, arrival: Arrival, exc: Exception) -> ReceiveReport:
    """Keep a file whose processing failed unexpectedly as a rejected interchange with an
    Incident: the rows it had opened are settled (never left "received"), or one is added."""
    report = ReceiveReport()
    now = hub.clock()
    problem = (f"processing failed unexpectedly ({exc!r}); the file is kept in the archive: "
               "report it, then reprocess it")
    with hub.uow() as uow:
        opened = uow.inbound.unsettled(arrival.archive_path)
        for iid in opened or [uow.inbound.add(**_row(arrival, now, doc_type="unknown", state=_RECEIVED))]:
            _refuse(uow, iid, arrival.partner_id or "", problem, arrival, now, report)
        uow.commit()
    return report
