"""How long each ``piigate`` command takes, as a whole process, and its peak memory.

    .venv/bin/python bench/bench_cli.py                     # this tree against main's venv
    .venv/bin/python bench/bench_cli.py --baseline /work/main/.venv/bin/python --runs 5
    .venv/bin/python bench/bench_cli.py --importtime "rules check"

Every command runs ``--runs`` times from a fresh interpreter (the admin's experience: nothing
warm but the OS page cache) in a scratch directory with its own config, keys, SQLite ledger and
quarantine; the figures are the median wall time and the largest peak RSS (``wait4``). The
baseline is the same commands under another interpreter (by default main's venv, whose
editable install is main's code), measured in the same run, so the ratio is what this tree
changed; ``python -c pass`` is the floor no command can go under. ``--importtime`` prints the
slowest imports of one command (``python -X importtime``), cumulative, largest first.
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


def run_once(argv: list[str], cwd: Path) -> tuple[float, int, int]:
    """Wall seconds, peak RSS in MB and exit status of one process."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - started, usage.ru_maxrss // 1024, proc.returncode


def command_argv(python: str, command: str, folder: Path, config: Path) -> list[str]:
    words = command.format(message=folder / "small.eml").split()
    takes_config = words[0] in {"records", "quarantine", "rules", "scan"} and "--help" not in words
    return [python, "-m", "piigate", *words, *(["--config", str(config)] if takes_config else [])]


def measure(python: str, command: str, folder: Path, config: Path, runs: int) -> tuple[float, int]:
    argv = command_argv(python, command, folder, config)
    results = [run_once(argv, folder) for _ in range(runs)]
    if results[0][2] not in (0, 3):
        print(f"  ({command!r} exited {results[0][2]} under {python})", file=sys.stderr)
    return statistics.median(r[0] for r in results), max(r[1] for r in results)


def importtime(python: str, command: str, folder: Path, config: Path, top: int = 15) -> None:
    argv = command_argv(python, command, folder, config)
    argv.insert(1, "-X")
    argv.insert(2, "importtime")
    err = subprocess.run(argv, cwd=folder, capture_output=True, text=True, check=False).stderr
    rows = []
    for line in err.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = line.split("|")
            if cumulative.strip().isdigit():
                rows.append((int(cumulative), name.rstrip()))
    print(f"python -X importtime: {command} under {python} (cumulative µs, top {top})")
    for micros, name in sorted(rows, reverse=True)[:top]:
        print(f"  {micros:>9,}  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline", default="/work/main/.venv/bin/python")
    parser.add_argument("--importtime", metavar="COMMAND", help="Show one command's imports.")
    parser.add_argument("--commands", nargs="*", default=list(COMMANDS))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        config = scratch(folder)
        for python in (sys.executable, args.baseline):
            subprocess.run(
                [python, "-m", "piigate", "keys", "init", "--config", str(config)],
                cwd=folder,
                capture_output=True,
                check=True,
            )
        if args.importtime:
            for python in (args.baseline, sys.executable):
                importtime(python, args.importtime, folder, config)
            return
        floor = statistics.median(
            run_once([sys.executable, "-c", "pass"], folder)[0] for _ in range(args.runs)
        )
        print(f"python -c pass: {floor * 1000:.0f} ms (the floor)")
        print("| command | this tree ms / MB | baseline ms / MB | time ratio |")
        print("|---|---|---|---|")
        for command in args.commands:
            now = measure(sys.executable, command, folder, config, args.runs)
            base = measure(args.baseline, command, folder, config, args.runs)
            shown = command.replace("{message}", "small.eml")
            print(
                f"| `piigate {shown}` | {now[0] * 1000:.0f} / {now[1]} "
                f"| {base[0] * 1000:.0f} / {base[1]} | {now[0] / base[0]:.2f} |"
            )


if __name__ == "__main__":
    main()
