"""The local engine: the partitions over worker processes on this machine (the Dask engine is
``sweep.cluster``). Either engine has each worker build the gate's screener once and run
``sweep_partition`` on one partition at a time; results stream back to the client in
completion order."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed

from piigate.config import Settings
from piigate.pipeline import Screener, build_screener
from piigate.sweep.sources import Partition
from piigate.sweep.work import Filters, PartitionResult, sweep_partition


class WorkerScreener:
    """This worker process's screener. A process pool's initializer can hand a worker nothing
    but process state, so the one screener lives here, built once per process."""

    screener: Screener | None = None

    @classmethod
    def start(cls, settings: Settings) -> None:
        cls.screener = build_screener(settings)

    @classmethod
    def sweep(cls, partition: Partition, filters: Filters) -> PartitionResult:
        assert cls.screener is not None, "worker started without its screener"
        return sweep_partition(cls.screener, partition, filters)


def run_local(
    settings: Settings, partitions: Iterable[Partition], filters: Filters, workers: int | None
) -> Iterator[PartitionResult]:
    """Partitions over ``workers`` processes (default: every core)."""
    count = workers or os.cpu_count() or 1
    with ProcessPoolExecutor(count, initializer=WorkerScreener.start, initargs=(settings,)) as pool:
        futures: list[Future[PartitionResult]] = [
            pool.submit(WorkerScreener.sweep, partition, filters) for partition in partitions
        ]
        try:
            for done in as_completed(futures):
                yield done.result()
        finally:
            for future in futures:
                future.cancel()
