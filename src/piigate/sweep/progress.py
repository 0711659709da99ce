"""How a sweep shows its progress: a tqdm bar on a terminal (partitions done, messages per
second, ETA, findings so far), else a log line every ``interval`` seconds."""

from __future__ import annotations

import sys
import time
from typing import Never, TextIO

import structlog
from tqdm import tqdm

from piigate.sweep.tally import Tally


class Progress:
    def __init__(
        self,
        partitions: int,
        *,
        done: int = 0,
        stream: TextIO | None = None,
        interval: float = 30.0,
    ) -> None:
        self.stream = stream or sys.stderr
        self.partitions = partitions
        self.interval = interval
        self.started = self.last_line = time.monotonic()
        # A logger of its own, bound when the sweep starts (not cached at import by whatever
        # logging configuration came first in this process).
        self.log = structlog.get_logger("piigate.sweep")
        self.bar: tqdm[Never] | None = None
        if self.stream.isatty():
            self.bar = tqdm(total=partitions, initial=done, unit="partition", file=self.stream)

    def update(self, tally: Tally) -> None:
        rate = tally.seen / max(time.monotonic() - self.started, 1e-9)
        if self.bar is not None:
            self.bar.set_postfix(
                messages=tally.seen, per_s=f"{rate:.1f}", findings=tally.findings, refresh=False
            )
            self.bar.update(1)
            return
        now = time.monotonic()
        if now - self.last_line >= self.interval or tally.partitions == self.partitions:
            self.last_line = now
            self.log.info(
                "sweep progress",
                partitions_done=tally.partitions,
                partitions=self.partitions,
                messages=tally.seen,
                per_second=round(rate, 1),
                findings=tally.findings,
                incidents=len(tally.incidents),
            )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
