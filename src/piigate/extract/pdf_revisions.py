"""Earlier revisions of a PDF: what an incremental save left in the file.

An editor that saves a PDF incrementally appends the changed objects and a new
cross-reference section after the old file, whose bytes stay in place: text deleted in a
later save (a "redaction" done by deleting) is still in the file, and anyone can open the
file as it was by cutting it after an earlier ``%%EOF``. The last few earlier revisions are
opened so, and the lines of their page text that the current revision lacks are read as
``earlier revision N``. A revision that does not open on its own (the first-page section of
a linearized file, say) has nothing to add and is passed over.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from piigate.extract.content import Passage
from piigate.extract.limits import Budget

MAX_EARLIER_REVISIONS = 4
_END_OF_FILE = re.compile(rb"%%EOF[ \t]*(?:\r\n|\r|\n)?")


def earlier_revisions(
    data: bytes, current_text: str, budget: Budget, page_text: Callable[[bytes], str | None]
) -> list[Passage]:
    """Passages of the text only earlier revisions of ``data`` hold; ``page_text`` reads the
    page text of a revision's bytes (None when they do not open)."""
    ends = [match.end() for match in _END_OF_FILE.finditer(data)]
    if len(ends) < 2:
        return []
    current = {line.strip() for line in current_text.splitlines()}
    passages = []
    first = max(0, len(ends) - 1 - MAX_EARLIER_REVISIONS)
    for number in range(first, len(ends) - 1):
        budget.check_time()
        text = page_text(data[: ends[number]])
        if not text:
            continue
        lines = [line for line in text.splitlines() if line.strip() not in current]
        if any(line.strip() for line in lines):
            passages.append(Passage(f"earlier revision {number + 1}", "\n".join(lines)))
    return passages
