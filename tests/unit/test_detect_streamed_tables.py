"""Large tables are packed by the readers and streamed into detection a batch of rows at a
time: the findings and individuals are exactly those of the whole table, on real CSV, XLSX
and ODS files read by the real readers."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from piigate.config import DetectionSettings, ExtractionSettings
from piigate.detect import Detector, findings, tables
from piigate.extract import extract
from piigate.extract import tables as table_readers
from piigate.extract.content import DEFLATE_MIN_BYTES, Blob
from piigate.extract.isolated import IsolatedReading
from piigate.extract.limits import Budget
from piigate.extract.registry import IN_PROCESS_KINDS, READERS
from piigate.isolation import WorkerPool
from piigate.model import Detection, Segment, Table
from piigate.parse import parse_message
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
    individuals as the same file read whole (every finding kept, to compare them all)."""
    monkeypatch.setattr(findings, "KEEP_PER_PLACE", 10**9)
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
        ("lone \ud800 surrogate", "accented é"),
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


def test_a_zip_read_in_the_worker_pool_gives_what_reading_it_in_process_gives(
    detector: Detector,
) -> None:
    """A zip whose CSV members are large enough to cross from the worker deflated, and large
    enough to be packed, screens to the same findings and individuals through the real
    isolated worker pool as read in the gate's own process."""
    rows = [row[:3] for row in people(34_000, header=True, seed=11)]  # 102,000 cells
    member = csv_file(rows)
    assert len(member) > DEFLATE_MIN_BYTES
    data = formats.zip_of({"a.csv": member, "b.csv": csv_file(rows[:40])})
    raw = formats.email_with("See attached.", [("lists.zip", data, "application/zip")]).as_bytes()
    message = parse_message(raw)
    in_process = extract(message)
    pool = WorkerPool(1, 1024 * 1024 * 1024, 60.0, preload=("piigate.extract.registry",))
    try:
        isolated = extract(message, isolation=IsolatedReading(pool, IN_PROCESS_KINDS, 60.0))
    finally:
        pool.close()
    assert any(t.packed for s in isolated.segments for t in s.tables)
    assert isolated.attachments == in_process.attachments
    whole, streamed = detector.detect(in_process.segments), detector.detect(isolated.segments)
    assert whole.finding_count > 34_000
    assert streamed.findings == whole.findings
    assert streamed.omitted == whole.omitted
    assert streamed.individuals == whole.individuals


def test_a_deflated_blob_inflates_to_its_bytes() -> None:
    """A member deflated to cross from the worker is read back byte for byte; a small one is
    left as it is."""
    data = bytes(range(256)) * 2000
    blob = Blob("a.zip/m.csv", data)
    assert blob.deflate().deflated and len(blob.deflate().data) < len(data)
    assert blob.deflate().inflate() == blob
    small = Blob("a.zip/s.csv", b"x,y\n")
    assert small.deflate() is small
