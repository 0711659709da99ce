"""Large tables are packed by the readers and streamed into detection a batch of rows at a
time: the findings and individuals are exactly those of the whole table, on real CSV, XLSX
and ODS files read by the real readers."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from piigate.config import DetectionSettings, ExtractionSettings
from piigate.detect import Detector, tables
from piigate.extract import tables as table_readers
from piigate.extract.content import Blob
from piigate.extract.limits import Budget
from piigate.extract.registry import READERS
from piigate.model import Detection, Segment, Table
from tests import formats
from tests.detection.generate import Values

Rows = list[tuple[str, ...]]


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(DetectionSettings(spacy_model=None))


def people(count: int, *, header: bool, seed: int = 7) -> Rows:
    """Names (some accented), SSNs and DOBs in typed columns, and a notes column that carries
    SSNs, DOBs and context words as text; every row different."""
    v = Values(random.Random(seed))
    rows: Rows = [("Name", "SSN", "DOB", "Notes")] if header else []
    for i in range(count):
        name = v.name()[0]
        name = name.replace("e", "é", 1) if i % 5 == 0 else name
        notes = (
            f"old SSN {v.ssn_text(v.ssn())}"
            if i % 3 == 0
            else f"born {v.dob()[0]}"
            if i % 3 == 1
            else "social security number:"
        )
        rows.append((name, v.ssn_text(v.ssn()), v.dob()[0], notes))
    return rows


def csv_file(rows: Rows) -> bytes:
    return "\n".join(",".join(f'"{cell}"' for cell in row) for row in rows).encode()


def read(kind: str, data: bytes, name: str) -> tuple[Table, ...]:
    content = READERS[kind](Blob(name, data), Budget(ExtractionSettings(), None))
    return tuple(content.tables)


def detect(detector: Detector, found: tuple[Table, ...]) -> Detection:
    return detector.detect([Segment("attachment people", "", tables=found)])


FILES: dict[str, tuple[str, Callable[[Rows], bytes]]] = {
    "csv": ("table", csv_file),
    "xlsx": ("xlsx", lambda rows: formats.xlsx({"People": rows})),
    "ods": ("odf", lambda rows: formats.ods("People", rows)),
}


@pytest.mark.parametrize("header", [True, False], ids=["header", "headerless"])
@pytest.mark.parametrize("file_format", sorted(FILES))
def test_a_packed_table_streamed_in_batches_finds_what_the_whole_table_finds(
    detector: Detector, monkeypatch: pytest.MonkeyPatch, file_format: str, header: bool
) -> None:
    """Read packed and detected in batches of 16 rows with small text chunks, a real file
    gives the same findings (in the same order, rows, columns and masks) and the same
    individuals as the same file read whole."""
    kind, write = FILES[file_format]
    data = write(people(300, header=header))
    whole_tables = read(kind, data, f"people.{file_format}")
    assert whole_tables and all(t.rows and not t.packed for t in whole_tables)
    whole = detect(detector, whole_tables)

    monkeypatch.setattr(table_readers, "PACK_MIN_CELLS", 50)
    monkeypatch.setattr(tables, "CHECK_ROWS", 16)
    monkeypatch.setattr(tables, "TEXT_CHUNK_CHARS", 900)
    packed_tables = read(kind, data, f"people.{file_format}")
    assert packed_tables and all(t.packed and not t.rows for t in packed_tables)
    streamed = detect(detector, packed_tables)

    assert len(whole.findings) > 300
    assert streamed.findings == whole.findings
    assert [f.key for f in streamed.findings] == [f.key for f in whole.findings]
    assert streamed.individuals == whole.individuals
    assert streamed.lookup_keys == whole.lookup_keys


def test_packing_keeps_every_cell_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cells with quotes, commas, newlines, carriage returns, NULs and empty rows come back
    from a packed table unchanged, in order, whatever the batch size."""
    rows: Rows = [
        ("a,b", 'say "hi"', "line\nbreak"),
        (),
        ("",),
        ("cr\rhere", "nul\x00", "  padded  "),
        *[(str(i), f"x{i}") for i in range(200)],
    ]
    monkeypatch.setattr(table_readers, "PACK_MIN_CELLS", 10)
    table = table_readers.table_of("s", rows)
    assert table.packed and not table.rows and table.width == 3
    for size in (1, 7, 4096):
        assert [row for batch in table.row_batches(size) for row in batch] == rows


def test_small_tables_keep_their_rows() -> None:
    """A table under the packing threshold is an ordinary Table of rows (as before)."""
    table = table_readers.read_delimited("Name,SSN\nA,1\n")
    assert table == Table("", (("Name", "SSN"), ("A", "1")))
