"""The walk over one message: read each blob, then its members, then try the passwords.

Every failure of a reader, and every limit reached, becomes a blocking Defect naming the
part; the walk goes on with the next part, so one bad attachment never hides the rest. That
includes whatever a reader raises outside ``Exception`` (python-calamine's pyo3
``PanicException`` is a ``BaseException``): only the exceptions that mean the process or the
task is stopping (``STOPPING``) pass through. With ``isolation``, readers of files run in the
worker pool, so a crash or a memory blow-up is one more failure of that part.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import structlog

from piigate.config import ExtractionSettings
from piigate.errors import STOPPING, ExtractionError, LimitExceeded
from piigate.extract import passwords as password_candidates
from piigate.extract.content import Blob, Content, Lock, Reader
from piigate.extract.limits import Budget, MessageLimitExceeded
from piigate.labels import mask_label
from piigate.model import Attachment, Defect, Extraction, Grade, ParsedMessage, Part, Segment

if TYPE_CHECKING:
    from piigate.extract.isolated import IsolatedReading

log = structlog.get_logger("piigate.extract")


@dataclass(slots=True)
class _Locked:
    blob: Blob
    lock: Lock
    attachment: int | None
    """Index of its Attachment record, to update once a password opens it."""


class Walker:
    def __init__(
        self,
        readers: Mapping[str, Reader],
        sniff: Callable[[Blob], str],
        settings: ExtractionSettings,
        deadline: float | None,
        isolation: IsolatedReading | None = None,
    ) -> None:
        self.readers = readers
        self.isolation = isolation
        self.sniff = sniff
        self.settings = settings
        self.budget = Budget(settings, deadline)
        self.segments: list[Segment] = []
        self.attachments: list[Attachment] = []
        self.defects: list[Defect] = []
        self.locked: list[_Locked] = []
        self.stopped = False
        self.out_of_password_time = False
        self._password_deadline = 0.0

    def run(self, message: ParsedMessage, passwords: tuple[str, ...]) -> Extraction:
        self.defects.extend(message.defects)
        for part in message.parts:
            self.visit(blob_of(part))
        self._password_deadline = time.monotonic() + self.settings.password_seconds
        self._unlock(message.subject, passwords)
        return Extraction(tuple(self.segments), tuple(self.attachments), tuple(self.defects))

    def visit(self, blob: Blob) -> None:
        """Read one blob and, depth first, every member it contains."""
        blob = blob.inflate()
        if self.stopped:
            self._record(blob, Grade.UNREADABLE, inspected=False)
            return
        content = self._read(blob)
        if content is None:
            return
        grade = content.lock.grade if content.lock else content.grade or blob.grade
        index = self._record(blob, grade, content.inspected and content.lock is None)
        if content.lock is not None:
            self.locked.append(_Locked(blob, content.lock, index))
        self._take(blob, content, blob.grade)

    def _read(self, blob: Blob) -> Content | None:
        kind = "(unchecked)"
        try:
            self.budget.check_time()
            self.budget.check_depth(blob.depth)
            kind = self.sniff(blob)
            reader = self.readers.get(kind)
            if reader is None:
                raise ExtractionError(f"cannot read {blob.content_type} content")
            if self.isolation is not None and self.isolation.takes(kind):
                return self.isolation.read(kind, blob, self.budget)
            return reader(blob, self.budget)
        except MessageLimitExceeded as exc:
            self._fail(blob, str(exc), kind)
            self.stopped = True
        except ExtractionError as exc:
            self._fail(blob, str(exc), kind)
        except STOPPING:
            raise
        except BaseException as exc:  # any reader failing on hostile bytes: unreadable, never clean
            self._fail(blob, f"cannot read: {type(exc).__name__}", kind)
        return None

    def _fail(self, blob: Blob, reason: str, kind: str) -> None:
        log.info("unreadable content", where=blob.where, kind=kind, reason=reason)
        self.defects.append(Defect(blob.where, reason))
        self._record(blob, Grade.UNREADABLE, inspected=False)

    def _take(self, blob: Blob, content: Content, grade: Grade) -> None:
        """Keep what was read (with ``grade``) and read the members it contains."""
        self.defects.extend(content.defects)
        if content.text.strip() or content.tables:
            self.segments.append(Segment(blob.where, content.text, grade, tuple(content.tables)))
        for passage in content.passages:  # text from a named place inside the blob
            if passage.text.strip():
                self.segments.append(Segment(f"{blob.where} {passage.place}", passage.text, grade))
        self.segments.extend(replace(placed, grade=grade) for placed in content.placed)
        try:
            read = [content.text, *(p.text for p in content.passages)]
            self.budget.take_bytes(sum(map(len, read)) + sum(len(s.text) for s in content.placed))
        except MessageLimitExceeded as exc:
            self.defects.append(Defect(blob.where, str(exc)))
            self.stopped = True
        names = [c.name.rpartition("/")[2].replace("_", " ") for c in content.children if c.name]
        if names:  # members' file names: a name can carry PII as plainly as its content
            self.segments.append(Segment(f"file names in {blob.where}", "\n".join(names)))
        content.children.reverse()
        while content.children:  # popped, so each member's bytes are freed once it is read
            child = content.children.pop()
            self.visit(child.opened(grade) if grade is not Grade.PLAINTEXT else child)

    def _record(self, blob: Blob, grade: Grade, inspected: bool) -> int | None:
        if not blob.is_attachment:
            return None
        self.attachments.append(
            Attachment(mask_label(blob.name), blob.content_type, len(blob.data), grade, inspected)
        )
        return len(self.attachments) - 1

    def _unlock(self, subject: str, given: tuple[str, ...]) -> None:
        """Try the message's own candidate passwords, then the ones given out of band, on each
        lock; content a password opens is read like any other (locks inside it too)."""
        while self.locked and not self.stopped:
            item = self.locked.pop(0)
            found = password_candidates.candidates(
                self._texts(subject), self.settings.max_password_tries
            )
            try:
                opened = self._try(item.lock, found, self._password_deadline)
                in_message = opened is not None
                if opened is None and given:
                    opened = self._try(item.lock, given, None)
            except LimitExceeded as exc:
                self.defects.append(Defect(item.blob.where, str(exc)))
                self.stopped = True
                return
            except STOPPING:
                raise
            except BaseException as exc:  # a decrypter failing on hostile bytes: never clean
                said = str(exc) if isinstance(exc, ExtractionError) else type(exc).__name__
                reason = f"cannot try passwords: {said}"
                log.info("unreadable content", where=item.blob.where, reason=reason)
                self.defects.append(Defect(item.blob.where, reason))
                continue
            if opened is None:
                continue
            self._opened(item, opened, in_message)

    def _opened(self, item: _Locked, content: Content, in_message: bool) -> None:
        if item.attachment is not None:
            record = self.attachments[item.attachment]
            self.attachments[item.attachment] = replace(
                record, inspected=True, password_in_message=in_message
            )
        log.info("encrypted attachment opened", where=item.blob.where, in_message=in_message)
        self._take(item.blob, content, Grade.PLAINTEXT if in_message else item.lock.grade)

    def _try(self, lock: Lock, passwords: tuple[str, ...], until: float | None) -> Content | None:
        for password in passwords:
            self.budget.check_time()
            if until is not None and time.monotonic() > until:
                if not self.out_of_password_time:
                    self.out_of_password_time = True
                    reason = "time for trying candidate passwords ran out"
                    self.defects.append(Defect("message", reason, blocking=False))
                return None
            content = lock.open(password)
            if content is not None:
                return content
        return None

    def _texts(self, subject: str) -> Iterator[str]:
        yield subject
        for segment in self.segments:
            if segment.grade is Grade.PLAINTEXT:
                yield segment.text
                for table in segment.tables:
                    rows = (row for batch in table.row_batches() for row in batch)
                    yield "\n".join(" ".join(row) for row in rows)


def blob_of(part: Part) -> Blob:
    name = (part.filename or f"part-{part.index}") if part.is_attachment else ""
    return Blob(name, part.payload, part.content_type, part.charset, where_label=part.where)
