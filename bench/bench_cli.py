"""How long each ``piigate`` command takes, as a whole process, and its peak memory.

    .venv/bin/python bench/bench_cli.py                     # this tree against 3fbb88f
    .venv/bin/python bench/bench_cli.py --baseline-commit 5412ee4 --runs 5
    .venv/bin/python bench/bench_cli.py --importtime "records list"

Every command runs ``--runs`` times from a fresh interpreter (the admin's experience: nothing
warm but the OS page cache) in a scratch directory with its own config, keys, SQLite ledger
(``records init``) and quarantine, so each command does its real work on an empty store
rather than stopping at a missing ledger. A command that exits with any status but 0 (or 3,
``scan``'s "held") is reported with the tree and its last line on stderr, and its row is
marked: its time is not the command's. The figures are the median wall time, the median CPU
time (user + system, from ``wait4``: on a loaded machine the wall time is mostly waiting for
a core, the CPU time much less so) and the largest peak RSS. Both trees' sources are
byte-compiled first (``compileall``), as an installed package is: with
``PYTHONDONTWRITEBYTECODE`` set, as in this project's sessions, every run would otherwise
compile piigate's modules anew. The baseline is the same commands, same interpreter and
libraries, with the source of another commit on ``PYTHONPATH`` (``git archive``; default
3fbb88f, main before this round of start-up work; 5412ee4 is main before issue 21),
measured in the same run, so the ratio is what the code changed; ``python -c pass`` is the
floor. ``--importtime`` prints the slowest imports of one command (``python -X importtime``),
cumulative, largest first, for the baseline and this tree.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

COMMANDS = (
    "--version",
    "--help",
    "records --help",
    "records list",
    "records verify",
    "quarantine list",
    "rules check",
    "scan {message}",
)
MESSAGE = b"""From: alice@dhs.gov
To: bob@example.com
Subject: lunch

See you at noon for the budget review.
"""
ROOT = Path(__file__).resolve().parents[1]


def scratch(folder: Path) -> Path:
    """A config of its own (keys, ledger, quarantine under ``folder``) and one clean message."""
    config = folder / "piigate.yaml"
    config.write_text(
        f"rules_dir: {ROOT / 'rules'}\n"
        "internal_domains: [dhs.gov]\n"
        f"ledger: {{url: 'sqlite:///{folder}/ledger.db', key_file: {folder}/ledger.key}}\n"
        f"quarantine: {{url: 'sqlite:///{folder}/quarantine.db', dir: {folder}/held,"
        f" key_file: {folder}/quarantine.key}}\n"
        "isolation: {enabled: false}\n",
        encoding="utf-8",
    )
    (folder / "small.eml").write_bytes(MESSAGE)
    return config


class Run(NamedTuple):
    wall: float
    cpu: float
    megabytes: int
    code: int
    last_error_line: str


def run_once(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> Run:
    """Wall and CPU seconds, peak RSS, exit status and last line on stderr of one process."""
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
        err.seek(0)
        lines = err.read().decode("utf-8", "replace").strip().splitlines()
    cpu = usage.ru_utime + usage.ru_stime
    code = os.waitstatus_to_exitcode(status)
    return Run(elapsed, cpu, usage.ru_maxrss // 1024, code, lines[-1] if lines else "")


def command_argv(command: str, folder: Path, config: Path) -> list[str]:
    words = command.format(message=folder / "small.eml").split()
    takes_config = words[0] in {"records", "quarantine", "rules", "scan"} and "--help" not in words
    extra = ["--config", str(config)] if takes_config else []
    return [sys.executable, "-m", "piigate", *words, *extra]


def measure(command: str, folder: Path, config: Path, runs: int, env: dict[str, str] | None) -> Run:
    """Median wall and CPU seconds, the largest peak; a failed run's status."""
    argv = command_argv(command, folder, config)
    results = [run_once(argv, folder, env) for _ in range(runs)]
    failed = [r for r in results if r.code not in (0, 3)]
    for run in failed[:1]:
        tree = "baseline" if env else "this tree"
        print(f"  ({command!r}, {tree}: exited {run.code}: {run.last_error_line})", file=sys.stderr)
    return Run(
        statistics.median(r.wall for r in results),
        statistics.median(r.cpu for r in results),
        max(r.megabytes for r in results),
        failed[0].code if failed else 0,
        "",
    )


def importtime(
    label: str, command: str, folder: Path, config: Path, env: dict[str, str] | None
) -> None:
    top = 15
    argv = command_argv(command, folder, config)
    argv.insert(1, "-X")
    argv.insert(2, "importtime")
    err = subprocess.run(
        argv, cwd=folder, env=env, capture_output=True, text=True, check=False
    ).stderr
    rows = []
    for line in err.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = line.split("|")
            if cumulative.strip().isdigit():
                rows.append((int(cumulative), name.rstrip()))
    print(f"python -X importtime, piigate {command}, {label} (cumulative µs, top {top})")
    for micros, name in sorted(rows, reverse=True)[:top]:
        print(f"  {micros:>9,}  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline-commit", default="3fbb88f")
    parser.add_argument("--importtime", metavar="COMMAND", help="Show one command's imports.")
    parser.add_argument("--commands", nargs="*", default=list(COMMANDS))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        config = scratch(folder)
        base_src = baseline_source(args.baseline_commit, folder)
        base = {**os.environ, "PYTHONPATH": str(base_src)}
        for src in (ROOT / "src", base_src):
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(src)], check=True)
        trees = {"this tree": None, f"baseline {args.baseline_commit}": base}
        for setup in (["keys", "init"], ["records", "init"]):
            subprocess.run(
                [sys.executable, "-m", "piigate", *setup, "--config", str(config)],
                cwd=folder,
                capture_output=True,
                check=True,
            )
        if args.importtime:
            for label, env in reversed(trees.items()):
                importtime(label, args.importtime, folder, config, env)
            return
        floor = statistics.median(
            run_once([sys.executable, "-c", "pass"], folder).wall for _ in range(args.runs)
        )
        print(f"python -c pass: {floor * 1000:.0f} ms (the floor)")
        print(
            f"| command | this tree ms (CPU ms) / MB | {args.baseline_commit} ms (CPU ms) / MB "
            "| time ratio |"
        )
        print("|---|---|---|---|")
        for command in args.commands:
            now = measure(command, folder, config, args.runs, None)
            then = measure(command, folder, config, args.runs, base)
            shown = command.replace("{message}", "small.eml")
            print(
                f"| `piigate {shown}` | {cell(now)} | {cell(then)} | {now.wall / then.wall:.2f} |",
                flush=True,
            )


def cell(run: Run) -> str:
    failed = f" (exit {run.code})" if run.code not in (0, 3) else ""
    return f"{run.wall * 1000:.0f} ({run.cpu * 1000:.0f}) / {run.megabytes}{failed}"


def baseline_source(commit: str, folder: Path) -> Path:
    """The ``src`` folder of ``commit`` (``git archive``), to put first on ``PYTHONPATH``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit, "src"], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder / "src"


if __name__ == "__main__":
    main()
