"""A sweep from start to end, on the client: plan the partitions, run them on an engine,
add up (and, with ``record``, write into the ledger) each result as it arrives, then write
the outputs. The client alone writes the ledger."""

from __future__ import annotations

import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from piigate.config import Settings, load_settings
from piigate.logs import configure_logging
from piigate.record import Ledger, ledger_for
from piigate.sweep.engines import run_local
from piigate.sweep.progress import Progress
from piigate.sweep.recording import record_swept
from piigate.sweep.report import MessageTable, write_outputs
from piigate.sweep.resume import SweepState
from piigate.sweep.sources import Partition, Sizes, plan
from piigate.sweep.tally import Tally
from piigate.sweep.work import Filters, PartitionResult


@dataclass(frozen=True, slots=True)
class Engine:
    """Where partitions run: ``local`` worker processes, or ``dask`` (at ``scheduler``, or a
    LocalCluster of ``workers``)."""

    name: str = "local"
    workers: int | None = None
    scheduler: str | None = None

    def run(
        self, settings: Settings, partitions: list[Partition], filters: Filters
    ) -> Iterator[PartitionResult]:
        if self.name == "dask":
            from piigate.sweep.cluster import run_dask  # noqa: PLC0415 (Dask only when asked)

            return run_dask(
                settings, partitions, filters, scheduler=self.scheduler, workers=self.workers
            )
        return run_local(settings, partitions, filters, self.workers)


def sweep_from_settings(
    config_path: Path | None,
    sources: list[Path],
    filters: Filters,
    engine: Engine,
    *,
    record: bool,
    out: Path | None,
    resume: bool = False,
) -> Tally:
    """``piigate sweep``: the settings file's ledger (with its key) when recording."""
    settings = load_settings(config_path)
    configure_logging(settings.log)
    ledger = ledger_for(settings) if record else None
    try:
        return sweep(settings, sources, filters, engine, ledger=ledger, out=out, resume=resume)
    finally:
        if ledger is not None:
            ledger.close()


def sweep(
    settings: Settings,
    sources: list[Path],
    filters: Filters,
    engine: Engine,
    *,
    ledger: Ledger | None = None,
    out: Path | None = None,
    sizes: Sizes | None = None,
    resume: bool = False,
) -> Tally:
    """Sweep ``sources``; with ``ledger``, record what they disclosed; with ``out``, write
    the report there (and, with ``resume``, continue the sweep that stopped there)."""
    started = time.monotonic()
    filters = replace(
        filters, with_identities=ledger is not None, count_key=secrets.token_bytes(32)
    )
    tally = Tally()
    with ExitStack() as stack:
        outputs = Outputs(out, resume, stack)
        planned = plan(sources, _work_dir(out, stack), sizes)
        tally.problems += planned.problems
        todo = [p for p in planned.partitions if p.name not in outputs.done]
        for result in outputs.done.values():
            if result.partition in planned.partitions:
                tally.add(result)
                tally.resumed += 1
                outputs.add(result, finished=False)
        progress = Progress(len(planned.partitions), done=tally.resumed)
        stack.callback(progress.close)
        for result in engine.run(settings, todo, filters):
            _take(tally, result, ledger)
            outputs.add(result, finished=True)
            progress.update(tally)
    if out is not None:
        write_outputs(out, tally, _run_facts(sources, engine, started, tally))
    return tally


UNPACKED = ".pst-unpacked"
"""The folder in --out DIR where a .pst is unpacked for the sweep, removed when it ends."""


def _work_dir(out: Path | None, stack: ExitStack) -> Path:
    """Where readpst unpacks a .pst: beside the report (on the shared path a Dask cluster's
    workers read, and under the same names when a sweep resumes), else a temporary folder;
    removed when the sweep ends, however it ends."""
    if out is None:
        return Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="piigate-sweep-")))
    work_dir = out / UNPACKED
    stack.callback(shutil.rmtree, work_dir, ignore_errors=True)
    return work_dir


class Outputs:
    """What is written as partitions finish: messages.csv and the resume state (nothing
    without an output folder)."""

    def __init__(self, out: Path | None, resume: bool, stack: ExitStack) -> None:
        self.table: MessageTable | None = None
        self.state: SweepState | None = None
        if out is None:
            return
        self.state = SweepState(out, resume=resume)
        stack.callback(self.state.close)
        self.table = MessageTable(out / "messages.csv")
        stack.callback(self.table.close)

    @property
    def done(self) -> dict[str, PartitionResult]:
        return self.state.done if self.state is not None else {}

    def add(self, result: PartitionResult, *, finished: bool) -> None:
        """Its rows; once its records are in the ledger (``finished``), its line of state."""
        if self.table is not None:
            self.table.add(result.messages)
        if finished and self.state is not None:
            self.state.finished(result)


def _take(tally: Tally, result: PartitionResult, ledger: Ledger | None) -> None:
    tally.add(result)
    if ledger is None:
        return
    for message in result.messages:
        if not message.disclosure:
            continue
        if record_swept(ledger, message) is None:
            tally.already_recorded += 1
        else:
            tally.recorded += 1


def _run_facts(sources: list[Path], engine: Engine, started: float, tally: Tally) -> dict[str, Any]:
    seconds = time.monotonic() - started
    return {
        "sources": [str(s) for s in sources],
        "engine": engine.name,
        "workers": engine.workers,
        "scheduler": engine.scheduler,
        "seconds": round(seconds, 2),
        "messages_per_second": round(tally.seen / seconds, 2) if seconds else None,
    }
