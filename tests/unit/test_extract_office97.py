"""Word and PowerPoint 97-2003 (.doc, .ppt), written by LibreOffice (headless) at test time,
read by catdoc and by LibreOffice's conversion to .pptx: each SSN inside is found and named;
a clean one delivers; a broken one is unreadable; a missing program is unreadable, never
clean."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from piigate.cli import main
from piigate.config import DetectionSettings
from piigate.detect import Detector
from piigate.extract import extract, registry
from piigate.extract.isolated import IsolatedReading, ReaderTable
from piigate.extract.programs import missing_programs
from piigate.isolation import WorkerPool
from piigate.parse import parse_message
from tests import formats, office_formats
from tests.faulty_readers import HANG, faulty_pdf_attachment
from tests.office_fixtures import LibreOfficeDocuments
from tests.synthetic import message, ssn
from tests.unit.test_extract_office import masked, scan


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(DetectionSettings(spacy_model=None))


@pytest.fixture(scope="module")
def legacy_deck(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], bytes]:
    if office_formats.libreoffice() is None:
        pytest.skip("LibreOffice (soffice) is not installed: `make libreoffice` installs it")
    rng = random.Random(97)
    values = {place: ssn(rng) for place in office_formats.POWERPOINT_PLACES}
    deck = office_formats.legacy_powerpoint(values, tmp_path_factory.mktemp("ppt"))
    return values, deck


def test_word_97_every_story_read(
    detector: Detector, libreoffice_documents: LibreOfficeDocuments
) -> None:
    """The LibreOffice .doc of the shared source document: every story's SSN is read into the
    attachment's text (catdoc does not tell the stories apart) and found there, the
    properties' SSN at `properties`. The tracked deletion's SSN is read, inline where it was
    deleted; the source abuts it on a word ("...5540and"), so no SSN boundary is found."""
    values, documents = libreoffice_documents
    extraction, found = scan(detector, "case.doc", documents["doc"])
    assert extraction.unscannable == ()
    [text] = [s.text for s in extraction.segments if s.where == "attachment case.doc"]
    assert [place for place, value in values.items() if value not in text] == ["properties"]
    inline = {"properties", "tracked deletions"}
    assert found == {
        "attachment case.doc": {masked(v) for place, v in values.items() if place not in inline},
        "attachment case.doc properties": {masked(values["properties"])},
    }


def test_powerpoint_97_places_named(
    detector: Detector, legacy_deck: tuple[dict[str, str], bytes]
) -> None:
    """A python-pptx deck saved by LibreOffice as .ppt: the SSN in the grouped shape, table,
    speaker notes, comment and chart are found, each at its place as in a .pptx."""
    values, deck = legacy_deck
    extraction, found = scan(detector, "deck.ppt", deck)
    assert extraction.unscannable == ()
    assert found["attachment deck.ppt"] == {masked(values["group"])}
    assert found["attachment deck.ppt sheet slide 1"] == {masked(values["table"])}
    for place in ("notes", "comments", "charts"):
        assert found[f"attachment deck.ppt {place}"] == {masked(values[place])}


def test_clean_word_97_delivers(tmp_path: Path) -> None:
    """`piigate scan` (worker pool on) of a .doc with no PII: delivered, exit 0."""
    if office_formats.libreoffice() is None:
        pytest.skip("LibreOffice (soffice) is not installed: `make libreoffice` installs it")
    values = {place: "nothing here" for place in (*office_formats.WORD_PLACES, "body")}
    doc = office_formats.libreoffice_documents(values, tmp_path, ["doc"])["doc"]
    path = tmp_path / "clean.eml"
    path.write_bytes(message(attachments=(("memo.doc", doc, "application/msword"),)))
    result = CliRunner().invoke(main, ["scan", "--json", str(path)])
    [line] = [json.loads(text) for text in result.stdout.splitlines()]
    assert (result.exit_code, line["action"], line["findings"]) == (0, "deliver", [])


def test_word_97_ssn_refused_through_scan(
    libreoffice_documents: LibreOfficeDocuments, tmp_path: Path
) -> None:
    """`piigate scan --json` (the .doc read in a worker): rejected, the footnote's SSN among
    the findings at the attachment, masked, no SSN in the output."""
    values, documents = libreoffice_documents
    path = tmp_path / "doc.eml"
    path.write_bytes(message(attachments=(("case.doc", documents["doc"], "application/msword"),)))
    result = CliRunner().invoke(main, ["scan", "--json", str(path)])
    [line] = [json.loads(text) for text in result.stdout.splitlines()]
    assert (result.exit_code, line["action"]) == (3, "reject")
    found = {(f["where"], f["masked"]) for f in line["findings"]}
    assert ("attachment case.doc", masked(values["footnotes"])) in found
    assert not [value for value in values.values() if value in result.stdout]


@pytest.mark.parametrize("extension", ["doc", "ppt"])
def test_broken_97_file_is_unreadable(
    detector: Detector,
    libreoffice_documents: LibreOfficeDocuments,
    legacy_deck: tuple[dict[str, str], bytes],
    extension: str,
) -> None:
    """A .doc or .ppt whose streams are overwritten past the OLE2 header (the directory and
    the text gone): a blocking defect at the attachment, never clean."""
    data = libreoffice_documents[1]["doc"] if extension == "doc" else legacy_deck[1]
    broken = data[:512] + b"\xff" * (len(data) - 512)
    extraction, found = scan(detector, f"broken.{extension}", broken)
    assert [d.where for d in extraction.unscannable] == [f"attachment broken.{extension}"]
    assert found == {}


def test_missing_program_is_unreadable(
    detector: Detector,
    libreoffice_documents: LibreOfficeDocuments,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With catdoc and LibreOffice not on PATH (a machine without `make readers`), a .doc is
    unreadable naming the program, and `missing_programs` (logged by `piigate serve` at
    start) lists both."""
    monkeypatch.setenv("PATH", "/nonexistent")
    extraction, _ = scan(detector, "case.doc", libreoffice_documents[1]["doc"])
    [defect] = extraction.unscannable
    assert defect.where == "attachment case.doc"
    assert "catdoc is not installed" in defect.reason
    assert {"catdoc", "soffice", "unar"} <= set(missing_programs())


def test_serve_start_up_names_missing_programs(monkeypatch: pytest.MonkeyPatch) -> None:
    """What `piigate serve` logs at start-up on a machine without the reader programs: one
    error per program, naming it and what cannot be read without it."""
    from structlog.testing import capture_logs

    from piigate.cli.gate import _say_if_reader_programs_missing

    monkeypatch.setenv("PATH", "/nonexistent")
    with capture_logs() as logs:
        _say_if_reader_programs_missing()
    assert {entry["program"] for entry in logs} == {"catdoc", "soffice", "unar"}
    assert all(entry["log_level"] == "error" for entry in logs)


@pytest.fixture
def slow_file_pool() -> Iterator[WorkerPool]:
    pool = WorkerPool(1, 1024 * 1024 * 1024, 180.0, preload=("piigate.extract.registry",))
    yield pool
    pool.close()


def test_ppt_read_within_the_program_limit_not_the_file_limit(
    slow_file_pool: WorkerPool, legacy_deck: tuple[dict[str, str], bytes]
) -> None:
    """In the worker pool a .ppt gets `isolation.program_seconds`, not `file_seconds`: with a
    file limit of 1 s (shorter than any LibreOffice start), the deck is still converted and
    its SSNs read, while a PDF reader that hangs is cut at the 1 s file limit."""
    values, deck = legacy_deck
    reading = IsolatedReading(
        slow_file_pool,
        registry.IN_PROCESS_KINDS,
        1.0,
        ReaderTable("tests.faulty_readers"),
        program_seconds=180.0,
    )
    attachments = [("deck.ppt", deck, "application/octet-stream"), faulty_pdf_attachment(HANG)]
    message = formats.email_with("See attached.", attachments)
    extraction = extract(parse_message(message.as_bytes()), isolation=reading)
    assert [(d.where, d.reason) for d in extraction.unscannable] == [
        ("attachment report.pdf", "reading took longer than 1 s")
    ]
    texts = "\n".join(segment.text for segment in extraction.segments)
    assert values["notes"] in texts
