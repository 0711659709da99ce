"""What lets an interrupted sweep continue (``--resume``): ``sweep-state.jsonl`` in the
output folder, one line per finished partition (its counts, problems and external messages
with masked findings only), appended and fsync'ed after the partition's records are in the
ledger. A resumed sweep adds these up again and runs only the other partitions; a partition
that was running when the sweep stopped is run again, and its records are not added twice
(the ledger refuses a message it already holds).

The individuals' keyed digests are not kept (with the sweep's key they could be tested
against guessed SSNs), so a resumed sweep counts distinct individuals only over the
partitions it ran itself, and says so (``individuals_complete: false``)."""

from __future__ import annotations

import json
import os
from dataclasses import fields
from pathlib import Path
from typing import Any

from piigate.sweep.sources import Partition, SourceProblem
from piigate.sweep.work import PartitionResult, SweptMessage

STATE_FILE = "sweep-state.jsonl"
NOT_KEPT = ("identities", "individual_digests", "attachments")
TUPLES = ("recipients", "recipient_organizations", "rules", "findings", "uninspected")


class SweepState:
    def __init__(self, out: Path, *, resume: bool) -> None:
        path = out / STATE_FILE
        out.mkdir(parents=True, exist_ok=True)
        self.done: dict[str, PartitionResult] = load(path) if resume else {}
        self.handle = path.open("a" if resume else "w", encoding="utf-8")

    def finished(self, result: PartitionResult) -> None:
        self.handle.write(json.dumps(result_to_json(result), sort_keys=True) + "\n")
        self.handle.flush()
        os.fsync(self.handle.fileno())

    def close(self) -> None:
        self.handle.close()


def load(path: Path) -> dict[str, PartitionResult]:
    """The finished partitions by name; a line cut short by the interruption is ignored."""
    done: dict[str, PartitionResult] = {}
    if not path.exists():
        return done
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            result = result_from_json(json.loads(line))
        except (ValueError, KeyError, TypeError):
            continue
        done[result.partition.name] = result
    return done


def result_to_json(result: PartitionResult) -> dict[str, Any]:
    partition = result.partition
    return {
        "partition": {**{f.name: getattr(partition, f.name) for f in fields(partition)}},
        "seen": result.seen,
        "skipped": result.skipped,
        "internal": result.internal,
        "problems": [[p.source, p.reason] for p in result.problems],
        "messages": [
            {f.name: getattr(m, f.name) for f in fields(m) if f.name not in NOT_KEPT}
            for m in result.messages
        ],
    }


def result_from_json(data: dict[str, Any]) -> PartitionResult:
    partition = data["partition"]
    return PartitionResult(
        Partition(**{**partition, "files": tuple(partition["files"])}),
        messages=[_message(m) for m in data["messages"]],
        problems=[SourceProblem(source, reason) for source, reason in data["problems"]],
        seen=int(data["seen"]),
        skipped=int(data["skipped"]),
        internal=int(data["internal"]),
    )


def _message(data: dict[str, Any]) -> SweptMessage:
    values: dict[str, Any] = {k: tuple(v) if k in TUPLES else v for k, v in data.items()}
    return SweptMessage(**values)
