"""``piigate sweep --engine dask`` on a real ``dask.distributed`` cluster on loopback: a
LocalCluster of two worker processes, and a scheduler with two workers started as their own
processes, one of them killed mid-sweep: the figures come out exactly either way."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from piigate.config import Settings
from piigate.sweep import Engine, Filters, Sizes, sweep
from piigate.sweep.cluster import run_dask
from piigate.sweep.sources import plan
from piigate.sweep.tally import Tally
from tests.integration.test_sweep import assert_scenario
from tests.sweep_archive import Scenario, archive, write_mbox

DASK = Path(sys.executable).with_name("dask")
SMALL = Sizes(mbox_bytes=16 * 1024)


@pytest.fixture(scope="module")
def mixed() -> tuple[list[EmailMessage], Scenario]:
    return archive(30)


def test_a_local_cluster_of_two_workers_gives_the_exact_figures(
    shipped_settings: Settings, mixed: tuple[list[EmailMessage], Scenario], tmp_path: Path
) -> None:
    """--engine dask --workers 2 starts a LocalCluster and sweeps the mbox's byte ranges."""
    messages, figures = mixed
    mbox = write_mbox(tmp_path / "sent.mbox", messages)
    tally = sweep(shipped_settings, [mbox], Filters(), Engine("dask", workers=2), sizes=SMALL)
    assert_scenario(tally, figures)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[str, list[subprocess.Popen[bytes]]]]:
    """A scheduler and two workers (no nanny: a killed worker stays dead) on 127.0.0.1."""
    scheduler_file = tmp_path / "scheduler.json"
    log = (tmp_path / "dask.log").open("wb")
    scheduler = subprocess.Popen(
        [DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
         "--scheduler-file", str(scheduler_file)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    workers: list[subprocess.Popen[bytes]] = []
    worker = [DASK, "worker", "--no-nanny", "--nthreads", "1", "--host", "127.0.0.1"]
    try:
        _wait_for(scheduler_file.exists)
        address = json.loads(scheduler_file.read_text())["address"]
        for _ in range(2):
            workers.append(
                subprocess.Popen([*worker, "--no-dashboard", address], stdout=log, stderr=log)
            )
        yield address, workers
    finally:
        for process in [*workers, scheduler]:
            if process.poll() is None:
                process.terminate()
        for process in [*workers, scheduler]:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


def _wait_for(ready: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not ready():  # type: ignore[operator]
        assert time.monotonic() < deadline, "dask scheduler did not start"
        time.sleep(0.2)


def test_a_worker_killed_mid_sweep_loses_nothing(
    shipped_settings: Settings,
    mixed: tuple[list[EmailMessage], Scenario],
    tmp_path: Path,
    cluster: tuple[str, list[subprocess.Popen[bytes]]],
) -> None:
    """With the scheduler's address, the sweep runs on its workers; one worker is killed
    (SIGKILL) after the first partition comes back, the scheduler runs its partitions on
    the other, and every figure is still exact (no partition lost or counted twice)."""
    address, workers = cluster
    messages, figures = mixed
    mbox = write_mbox(tmp_path / "sent.mbox", messages)
    partitions = list(plan([mbox], tmp_path, SMALL).partitions)
    tally = Tally()
    filters = Filters(count_key=bytes(32))
    results = run_dask(shipped_settings, partitions, filters, scheduler=address, workers=None)
    for result in results:
        if tally.partitions == 0:
            os.kill(workers[0].pid, signal.SIGKILL)
        tally.add(result)
    assert workers[0].wait(timeout=10) == -signal.SIGKILL
    assert tally.partitions == len(partitions) > 4
    assert_scenario(tally, figures)
