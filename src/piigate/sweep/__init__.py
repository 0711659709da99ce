"""sweep: rebuild who received whose PII from an archive of sent mail (``piigate sweep``).

    sources    what a path holds (by content) and its partitions: mbox byte ranges,
               Maildir and folder shards, .msg via extract-msg
    pst        .pst/.ost unpacked by readpst, its per-run tokens made stable
    work       one partition in a worker: the gate's own Screener on every message
    engines    local worker processes            cluster   a Dask distributed cluster
    tally      the figures, added up on the client as partitions finish
    recording  reconstructed disclosure records, never twice (client only)
    report     summary.json, messages.csv, report.html (inline SVG charts)
    progress   a tqdm bar on a terminal, else periodic log lines
    resume     the finished partitions kept in --out DIR, for --resume
    run        a sweep from start to end

The sweep adds sources and executors, not a second pipeline: parse → extract → detect →
decide are the gate's (``piigate.pipeline.Screener``), and the ledger is the gate's.
"""

from __future__ import annotations

from piigate.sweep.run import Engine, sweep
from piigate.sweep.sources import Sizes
from piigate.sweep.work import Filters

__all__ = ["Engine", "Filters", "Sizes", "sweep"]
