"""The Dask engine: the partitions on a ``dask.distributed`` cluster, at a scheduler's address,
or on a ``LocalCluster`` of N worker processes for a trial. A ``WorkerPlugin`` builds the
gate's screener on each worker when it starts (also on a worker that joins later); the
scheduler runs a dead worker's partitions again elsewhere; results stream back to the
client, which alone writes the ledger. Imported only for ``--engine dask``."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import ExitStack

from distributed import Client, LocalCluster, Worker, WorkerPlugin, as_completed, get_worker

from piigate.config import Settings
from piigate.errors import ConfigError
from piigate.pipeline import Screener, build_screener
from piigate.sweep.sources import Partition
from piigate.sweep.work import Filters, PartitionResult, sweep_partition

PLUGIN_NAME = "piigate-sweep"


class SweepPlugin(WorkerPlugin):
    """The worker's screener, built once when the worker starts and closed when it stops."""

    name = PLUGIN_NAME

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.screener: Screener | None = None

    def setup(self, worker: Worker) -> None:
        self.screener = build_screener(self.settings)

    def teardown(self, worker: Worker) -> None:
        if self.screener is not None:
            self.screener.close()


def sweep_on_worker(partition: Partition, filters: Filters) -> PartitionResult:
    plugin = get_worker().plugins[PLUGIN_NAME]
    assert isinstance(plugin, SweepPlugin) and plugin.screener is not None
    return sweep_partition(plugin.screener, partition, filters)


CONNECT_SECONDS = 10


def _connect(scheduler: str) -> Client:
    """A client of the scheduler at ``scheduler``; ``ConfigError`` when none answers."""
    try:
        return Client(scheduler, set_as_default=False, timeout=CONNECT_SECONDS)
    except (OSError, ValueError, TypeError) as exc:
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise ConfigError(f"dask scheduler {scheduler}: cannot connect: {reason}") from exc


def run_dask(
    settings: Settings,
    partitions: Iterable[Partition],
    filters: Filters,
    *,
    scheduler: str | None,
    workers: int | None,
) -> Iterator[PartitionResult]:
    """Partitions on the cluster at ``scheduler``, or on a LocalCluster of ``workers``."""
    with ExitStack() as stack:
        if scheduler:
            client = stack.enter_context(_connect(scheduler))
        else:
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=workers or os.cpu_count() or 1,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    host="127.0.0.1",
                )
            )
            client = stack.enter_context(Client(cluster, set_as_default=False))
        client.register_plugin(SweepPlugin(settings))
        futures = client.map(sweep_on_worker, list(partitions), filters=filters, pure=False)
        for future in as_completed(futures, loop=client.loop):
            yield future.result()
