"""Recording many documents: validate against the ledger, then append in batches.

A call to ``ledger record`` is all-or-nothing: every document is checked (against the
ledger and against the rest of the call) before anything is written. To keep memory
flat however many statements a call holds, checked documents wait in a *spool*, a
temporary SQLite file, and are then appended in batches, one transaction each. A crash
in the middle leaves whole batches; rerunning the call skips what is already recorded
and completes it.

With ``batch_commit`` each batch is checked and written in turn, so a bad document
stops the call at its batch, with the batches before it committed and the place to
resume named.

Races with other writers (the same statement recorded by another process between our
check and our append) surface as an integrity error from the event store; the batch
is then re-checked against the ledger and retried.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import IntegrityError

from ledger.canonical import digest as _digest
from ledger.collector import collected_between_chunks
from ledger.domain.aggregates import Matter, Statement, matter_uuid, recorded_event, statement_uuid
from ledger.domain.documents import Matter as MatterDocument
from ledger.domain.documents import Statement as StatementDocument
from ledger.domain.documents import unknown_in_relations
from ledger.domain.relations import own_relations
from ledger.domain.links import cycle_message, link_shape_problems, unknown_targets, updates_cycles
from ledger.domain.spans import locate_figures, span_problems
from ledger.domain.increments import change_problems
from ledger.inputs import InputError, InputProblem, Located
from ledger.reconcile import check_statement
from ledger.spool import Spool, Spooled, spooled

if TYPE_CHECKING:
    from ledger.application import Ledger

DEFAULT_BATCH_SIZE = 1000
MAX_LISTED_PROBLEMS = 200
Progress = Callable[[str, int, int | None], None]  # stage, done, total (None if unknown)
Pending = Spooled  # a checked document to append, with its event's spans, encoded once


MAX_LISTED_IDS = 1000  # ids kept in a result: memory must not grow with the size of a call


@dataclass
class RecordResult:
    recorded: list[str] = field(default_factory=list)  # statement ids newly recorded (the first 1,000)
    unchanged: list[str] = field(default_factory=list)  # already in the ledger, same content (the first 1,000)
    recorded_count: int = 0
    unchanged_count: int = 0
    matters_declared: list[str] = field(default_factory=list)
    matters_revised: list[str] = field(default_factory=list)
    matters_unchanged: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # recorded anyway, e.g. parts exceeding a total (first 1,000)
    warnings_count: int = 0
    batches: int = 0  # transactions committed

    def add_recorded(self, ids: list[str]) -> None:
        self.recorded_count += len(ids)
        self.recorded += ids[:max(MAX_LISTED_IDS - len(self.recorded), 0)]

    def add_unchanged(self, statement_id: str) -> None:
        self.unchanged_count += 1
        if len(self.unchanged) < MAX_LISTED_IDS:
            self.unchanged.append(statement_id)


def statement_against_matter(item: Located, statement: StatementDocument,
                             matter: dict[str, Any]) -> list[InputProblem]:
    """A statement's categories, in its figures and its relations, must be its matter's."""
    problems = [item.problem(("figures", category), (
        f"unknown category {category!r} for matter {statement.matter!r} "
        f"(categories: {', '.join(matter['categories'])})"
    )) for category in statement.figures if category not in matter["categories"]]
    problems += [item.problem(path, message) for path, message
                 in unknown_in_relations(statement.relations, matter["categories"], statement.matter)]
    known = {c: f for c, f in statement.figures.items() if c in matter["categories"]}
    problems += [item.problem(path, message) for path, message
                 in change_problems(known, matter["categories"], statement.matter)]
    if not INCREMENTS_REPLAYED:
        problems += [item.problem(("figures", c, "change"), (
            "increments ({change: N}) are not replayed yet by this version of the ledger: "
            "state the new total instead")) for c, f in known.items() if getattr(f, "change", None) is not None]
    return problems


def statement_evidence_problems(item: Located, statement: StatementDocument) -> list[InputProblem]:
    """Evidence rules that need only the statement (issue 14): each given span occurs in
    the quote; no link to itself, no link given twice. Link targets and ``updates`` cycles
    need the rest of the call and the ledger: :meth:`Ingest._check_links`."""
    problems = span_problems(statement.figures, statement.quote)
    problems += link_shape_problems(statement.statement_id,
                                    [(link.type, link.statement) for link in statement.links])
    return [item.problem(path, message) for path, message in problems]


def statement_events_spans(document: dict[str, Any]) -> dict[str, Any]:
    """What a Recorded/Corrected event stores as ``spans`` (see ledger/domain/spans.py)."""
    return locate_figures(document)
# Until the read model replays increments (issue 11, second phase), refuse them rather than
# store figures that status would read as totals.
INCREMENTS_REPLAYED = True


class Ingest:
    """One call's worth of recording (see the module docstring)."""

    def __init__(self, ledger: Ledger, recorded_by: str, batch_size: int = DEFAULT_BATCH_SIZE,
                 batch_commit: bool = False, progress: Progress | None = None):
        self.ledger = ledger
        self.by = recorded_by
        self.batch_size = max(1, batch_size)
        self.batch_commit = batch_commit
        self.progress = progress
        self.result = RecordResult()
        self.problems: list[InputProblem] = []
        self.problem_count = 0
        self.matters: dict[str, dict[str, Any]] = {}  # matter id -> document (call or ledger)
        self.matter_places: dict[str, tuple[str, dict[str, Any]]] = {}  # declared in this call: file, document
        self.pending_matters: list[Matter] = []
        self.spool = Spool()
        self.checked = 0
        self.first_place_of_batch = ""
        self.corrected: dict[str, dict[str, str]] = {}  # matter -> content digest -> corrected statement
        self._between_chunks: Callable[[], None] = lambda: None  # set while the call runs

    # --- the call ------------------------------------------------------------------------

    def run(self, items: Iterable[Located | InputProblem]) -> RecordResult:
        with collected_between_chunks() as self._between_chunks:
            return self._run(items)

    def _run(self, items: Iterable[Located | InputProblem]) -> RecordResult:
        try:
            stream = iter(items)
            while True:
                chunk = list(islice(stream, self.batch_size))
                if not chunk:
                    break
                self._pass_on(self._check_chunk(chunk))
                del chunk  # gone before the collection between chunks
                self._between_chunks()
            self._check_deferred()
            self._check_links()
            if self.problem_count:
                self._fail()
            if not self.batch_commit:
                total = self.spool.queued
                written = 0
                for batch in self.spool.batches(self.batch_size):
                    self._write(batch)
                    written += len(batch)
                    del batch
                    self._between_chunks()
                    self._report("record", written, total)
            self._write([])  # matters declared in a call without new statements
            return self.result
        finally:
            self.spool.close()

    def _report(self, stage: str, done: int, total: int | None) -> None:
        if self.progress is not None:
            self.progress(stage, done, total)

    def _problem(self, problem: InputProblem) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_LISTED_PROBLEMS:
            self.problems.append(problem)

    def _listed_problems(self) -> list[InputProblem]:
        problems = list(self.problems)
        if self.problem_count > len(problems):
            problems.append(InputProblem("(input)", "", None,
                                         f"... and {self.problem_count - len(problems)} more problem(s) not listed"))
        return problems

    def _fail(self) -> None:
        raise InputError(self._listed_problems(), count=self.problem_count)

    def _fail_batch_commit(self) -> None:
        problems = self._listed_problems()
        committed = self.result.recorded_count
        problems.append(InputProblem(
            "(input)", "", None,
            f"--batch-commit: {self.result.batches} earlier batch(es) with {committed} new statement(s) stay "
            f"recorded; this batch (from {self.first_place_of_batch}) and the rest were not. Fix the input and "
            f"run the same command again: statements already recorded are skipped",
        ))
        error = InputError(problems, count=self.problem_count)
        error.partial = self.result.batches > 0  # type: ignore[attr-defined]
        raise error

    # --- checking ------------------------------------------------------------------------

    def _check_chunk(self, chunk: list[Located | InputProblem]) -> list[Pending]:
        first = next((i for i in chunk if isinstance(i, Located)), None)
        if first is not None:
            place = first.problem((), "")
            self.first_place_of_batch = f"{place.file}:{place.line}" if place.line else place.file
        statements: list[Located] = []
        matters = [item for item in chunk if isinstance(item, Located) and isinstance(item.document, MatterDocument)]
        # One query for the chunk's matters: only those in the ledger are read whole.
        uuids = {matter_uuid(item.document.id): item.document.id for item in matters}
        stored = self.ledger.app.recorder.existing_originators(list(uuids)) if uuids else set()
        absent = {matter_id for uuid, matter_id in uuids.items() if uuid not in stored}
        for item in chunk:
            if isinstance(item, InputProblem):
                self._problem(item)
            elif isinstance(item.document, MatterDocument):
                self._check_matter(item, item.document.id in absent)
            else:
                statements.append(item)
        documents = self._check_statements(statements)
        self.checked += len(chunk)
        self._report("check", self.checked, None)
        return documents

    def _check_matter(self, item: Located, absent: bool = False) -> None:
        """``absent``: the ledger had no such matter when the chunk was read."""
        document = item.document.document()
        matter_id = document["id"]
        if matter_id in self.matter_places:
            first_file, first_document = self.matter_places[matter_id]
            if first_document != document:
                self._problem(item.problem(("id",), f"matter {matter_id!r} is declared differently in {first_file}"))
            return
        self.matter_places[matter_id] = (item.file, document)  # not the item: its YAML nodes would stay alive
        relation_problems = item.document.problems()  # type: ignore[union-attr]
        if relation_problems:
            for path, message in relation_problems:
                self._problem(item.problem(path, message))
            return
        existing = None if absent else self.ledger.find(Matter, matter_uuid(matter_id))
        if existing is None:
            self.pending_matters.append(Matter(document=document, recorded_by=self.by))
            self.result.matters_declared.append(matter_id)
        elif existing.document == document:
            self.result.matters_unchanged.append(matter_id)
        else:
            removed = sorted(set(existing.categories) - set(document["categories"]))
            if removed:
                self._problem(item.problem(("categories",), (
                    f"matter {matter_id!r} is already recorded with categories "
                    f"{', '.join(removed)}; a revision may add categories, not remove them"
                )))
                return
            existing.revise(document=document, recorded_by=self.by)
            self.pending_matters.append(existing)
            self.result.matters_revised.append(matter_id)
        self.matters[matter_id] = document

    def _matter(self, matter_id: str) -> dict[str, Any] | None:
        if matter_id not in self.matters:
            stored = self.ledger.find(Matter, matter_uuid(matter_id))
            if stored is None:
                return None
            self.matters[matter_id] = stored.document
        return self.matters[matter_id]

    def _check_statements(self, items: list[Located], final: bool = False) -> list[Pending]:
        """Check statements; return the documents to append (new ones only), with their spans."""
        if not items:
            return []
        documents = [item.document.document() for item in items]
        ids = [d["id"] for d in documents]
        digests = [_digest(d) for d in documents]
        earlier = self.spool.seen(ids)
        in_chunk: dict[str, tuple[str, str]] = {}
        candidates: list[tuple[Located, dict[str, Any]]] = []
        for item, document, digest in zip(items, documents, digests, strict=True):
            statement_id = document["id"]
            first = earlier.get(statement_id) or in_chunk.get(statement_id)
            if first is not None:
                if first[0] != digest:
                    self._problem(item.problem(("id",), (
                        f"statement id {statement_id!r} is used twice in this call "
                        f"with different content (first in {first[1]})"
                    )))
                continue
            place = item.problem((), "")
            in_chunk[statement_id] = (digest, f"{place.file}:{place.line}" if place.line else place.file)
            statement: StatementDocument = item.document  # type: ignore[assignment]
            matter = self._matter(statement.matter)
            if matter is None:
                if final:
                    self._problem(item.problem(("matter",), (
                        f"unknown matter {statement.matter!r}: record its matter file first, or in the same call"
                    )))
                else:  # its matter may come later in this call
                    self.spool.defer(item)
                    del in_chunk[statement_id]
                continue
            if self._statement_problems(item, statement, matter):
                continue
            candidates.append((item, document))
        self.spool.remember([(i, d, p) for i, (d, p) in in_chunk.items()])
        return self._new_documents(candidates)

    def _statement_problems(self, item: Located, statement: StatementDocument, matter: dict[str, Any]) -> bool:
        problems = statement_against_matter(item, statement, matter)
        problems += statement_evidence_problems(item, statement)
        self._note_links(item, statement)
        for problem in problems:
            self._problem(problem)
        if problems:
            return True
        if not matter.get("relations"):
            return False  # only the matter's relations apply (a statement's own replace one of them)
        statement_id = statement.document()["id"] if statement.id is None else statement.id
        figures = {c: vars(f) for c, f in statement.normalised_figures().items()}
        own = check_statement(figures, own_relations(statement_id, figures, statement.relations or [],
                                                     matter.get("relations", [])))
        for problem in own:
            self.result.warnings_count += 1
            if len(self.result.warnings) < MAX_LISTED_IDS:
                self.result.warnings.append(str(item.problem((), f"statement {statement_id!r}: {problem}")))
        return False

    # --- links: their targets and updates cycles need the whole call ------------------------

    def _note_links(self, item: Located, statement: StatementDocument) -> None:
        rows = []
        for index, link in enumerate(statement.links):
            place = item.problem(("links", index, "statement"), "")
            rows.append((statement.statement_id, link.type, link.statement,
                         place.file, place.path, place.line))
        if rows:
            self.spool.note_links(rows)

    def _check_links(self) -> None:
        """Every link's target is in this call or in the ledger; ``updates`` links form no
        cycle. (A statement already recorded can only point to statements recorded before
        it, so a new cycle must run through this call's statements alone.)"""
        rows = self.spool.take_links()
        if not rows:
            return
        targets = sorted({row[2] for row in rows})
        in_call = set(self.spool.seen(targets))
        rest = [t for t in targets if t not in in_call]
        uuids = {statement_uuid(t): t for t in rest}
        in_ledger = self.ledger.app.recorder.existing_originators(list(uuids)) if uuids else set()
        known = in_call | {uuids[u] for u in in_ledger if u in uuids}
        for statement_id, link_type, target, file, path, line in rows:
            for _, message in unknown_targets([(link_type, target)], known):
                self._problem(InputProblem(file, path, line, f"{statement_id!r} {link_type} {message}"))
        places = {(row[0], row[2]): row for row in rows if row[1] == "updates"}
        for cycle in updates_cycles(places):
            _, _, _, file, path, line = places[(cycle[0], cycle[1])]
            self._problem(InputProblem(file, path, line, cycle_message(cycle)))

    def _split_recorded(self, documents: list[dict[str, Any]]) -> tuple[list[int], list[int]]:
        """Indexes of the documents not in the ledger yet, and of those recorded with other
        content; those recorded with the same content are noted as unchanged."""
        uuids = [statement_uuid(d["id"]) for d in documents]
        existing = self.ledger.app.recorder.existing_originators(uuids) if uuids else set()
        new, different = [], []
        for index, (document, uuid) in enumerate(zip(documents, uuids, strict=True)):
            if uuid not in existing:
                new.append(index)
            elif self.ledger.find(Statement, uuid).document == document:
                self.result.add_unchanged(document["id"])
            else:
                different.append(index)
        return new, different

    def _corrected_to(self, document: dict[str, Any]) -> str | None:
        """The statement that a correction gave exactly this content (id aside), if any: an
        id-less file that was used to correct a statement is then already recorded. Read
        from the view (corrections are few; one query per matter and call)."""
        matter_id = document["matter"]
        if matter_id not in self.corrected:
            rows = self.ledger.view.query(
                "SELECT statement_id, document FROM {ledger_statements} "
                "WHERE matter_id = :matter AND event = 'corrected'", {"matter": matter_id})
            self.corrected[matter_id] = {
                _digest({k: v for k, v in json.loads(row["document"]).items() if k != "id"}): row["statement_id"]
                for row in rows}
        return self.corrected[matter_id].get(_digest({k: v for k, v in document.items() if k != "id"}))

    def _new_documents(self, candidates: list[tuple[Located, dict[str, Any]]]) -> list[Pending]:
        """Drop statements already in the ledger with the same content; refuse different content.
        The new ones get the spans their events will store."""
        new, different = self._split_recorded([document for _, document in candidates])
        kept = []
        for index in new:
            item, document = candidates[index]
            corrected = None if item.document.id else self._corrected_to(document)  # type: ignore[union-attr]
            if corrected is None:
                kept.append(index)
            else:
                self.result.add_unchanged(corrected)
        new = kept
        for index in different:
            item, document = candidates[index]
            self._problem(item.problem(("id",) if item.document.id else (), (  # type: ignore[union-attr]
                f"statement {document['id']!r} is already recorded with different content; "
                f"to fix a recording error use: ledger correct {document['id']} FILE --reason TEXT"
            )))
        return [spooled(document, statement_events_spans(document)) for document in (candidates[i][1] for i in new)]

    def _check_deferred(self) -> None:
        batch: list[Located] = []
        for item in self.spool.deferred():
            batch.append(item)
            if len(batch) >= self.batch_size:
                self._flush_deferred(batch)
                batch = []
        self._flush_deferred(batch)

    def _flush_deferred(self, batch: list[Located]) -> None:
        self._pass_on(self._check_statements(batch, final=True))

    def _pass_on(self, pending: list[Pending]) -> None:
        """Checked documents: written now with --batch-commit (unless the batch had a
        problem), else spooled until the whole input has been checked."""
        if self.batch_commit:
            self._check_links()
            if self.problem_count:
                self._fail_batch_commit()
            self._write(pending)
        else:
            self.spool.push(pending)

    # --- writing -------------------------------------------------------------------------

    def _write(self, pending: list[Pending]) -> None:
        """Append one batch (and any matters waiting) in one transaction; on a race with
        another writer, re-check and retry. A database failure says what was recorded."""
        try:
            self._append(pending)
        except (InputError, IntegrityError):
            raise
        except Exception as e:
            e.ledger_recorded = (self.result.batches, self.result.recorded_count, False)  # type: ignore[attr-defined]
            raise

    def _append(self, pending: list[Pending]) -> None:
        """The matters' pending events and each statement's ``Recorded`` event, stored as
        ``Statement(...)`` would emit it without building the aggregate (:meth:`_stored`),
        appended by the recorder in one transaction (:meth:`LedgerApp.append`)."""
        for _attempt in range(5):
            if not pending and not self.pending_matters:
                return
            events = [event for matter in self.pending_matters for event in matter.collect_events()]
            try:
                self.ledger.app.append(events, [self._stored(item) for item in pending])
            except IntegrityError:
                self._matters_after_race()
                pending = self._after_race(pending)
                continue
            self.pending_matters = []
            self.result.add_recorded([item.statement_id for item in pending])
            self.result.batches += 1
            return
        raise IntegrityError("could not append a batch after 5 attempts: other writers keep recording the same "
                             "statements")

    def _stored(self, item: Spooled) -> Any:
        """A statement's ``Recorded`` event as stored: assembled around the spooled bytes where
        orjson wrote them (:meth:`LedgerMapper.stored_recorded`), else mapped from the event."""
        if item.exact:
            return self.ledger.app.mapper.stored_recorded(item.statement_id, item.data, self.by, item.spans_data)
        return self.ledger.app.mapper.to_stored_event(recorded_event(item.document, self.by, item.spans))

    def _matters_after_race(self) -> None:
        """Another writer appended meanwhile: a matter it declared (or revised) exactly as
        this call does is already recorded (a no-op, as recording it twice is); one that
        differs is a conflict to rerun. Matters untouched by it are prepared again (a
        failed save has consumed their pending events)."""
        pending, self.pending_matters = self.pending_matters, []
        for aggregate in pending:
            matter_id = aggregate.document["id"]
            stored = self.ledger._get(Matter, aggregate.id)
            started_from = aggregate.version - 1  # the version this call read (0: not declared)
            stored_version = stored.version if stored is not None else 0
            if stored is not None and stored.document == aggregate.document:
                for listed in (self.result.matters_declared, self.result.matters_revised):
                    if matter_id in listed:
                        listed.remove(matter_id)
                self.result.matters_unchanged.append(matter_id)
            elif stored_version != started_from:
                raise InputError([InputProblem("(input)", "", None, (
                    f"matter {matter_id!r} was {'declared' if started_from == 0 else 'revised'} by another "
                    f"writer with different content while this call ran; {self.result.batches} batch(es) of "
                    "this call are recorded; run the command again to compare with it"
                ))])
            elif stored is None:
                self.pending_matters.append(Matter(document=aggregate.document, recorded_by=self.by))
            else:
                stored.revise(document=aggregate.document, recorded_by=self.by)
                self.pending_matters.append(stored)

    def _after_race(self, pending: list[Pending]) -> list[Pending]:
        new, different = self._split_recorded([item.document for item in pending])
        if different:
            document = pending[different[0]].document
            raise InputError([InputProblem("(input)", "", None, (
                f"statement {document['id']!r} was recorded by another writer with different content while "
                f"this call ran; {self.result.batches} batch(es) of this call are recorded; to fix a "
                f"recording error use: ledger correct {document['id']} FILE --reason TEXT"
            ))])
        return [pending[index] for index in new]
