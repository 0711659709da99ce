"""The programs the gate reads some formats with (Debian packages, installed by ``make
readers``): catdoc for Word 97-2003 text, LibreOffice (headless) to turn PowerPoint 97-2003
into .pptx, unar (through rarfile) for compressed RAR members.

Each runs in the worker that reads the file, so it inherits the worker's memory limit; it is
started under coreutils ``timeout`` in a process group of its own, so it is killed with all
it started when its time is up, even when the worker itself was killed first. A file read by
a program has a time limit of its own in the pool (``isolation.program_seconds``, 60 s):
LibreOffice takes 3 s to convert a .ppt on an idle machine and 13-16 s on a loaded one,
near the 15 s every other reader gets (README "Limits"). A program that
is missing makes its format unreadable (a blocking defect), never clean; ``piigate serve``
says at start which are missing (``missing_programs``).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Sequence

from piigate.errors import ExtractionError
from piigate.extract.limits import Budget

PROGRAMS = {
    "catdoc": "Word 97-2003 (.doc) text (Debian package catdoc)",
    "soffice": "PowerPoint 97-2003 (.ppt) slides (LibreOffice Impress)",
    "unar": "compressed RAR archive members (Debian package unar)",
}
"""Each program, and what cannot be read without it."""

PROGRAM_KINDS = frozenset({"doc", "ppt", "rar"})
"""The kinds (``registry.READERS``) whose readers run one of these programs: the worker pool
gives them ``isolation.program_seconds`` instead of ``isolation.file_seconds``."""

PROGRAM_SECONDS = 60.0
"""The longest one program may run; the scan deadline, when sooner, bounds it too."""


def missing_programs() -> dict[str, str]:
    """The reader programs not found on PATH, each with what cannot be read without it."""
    return {name: what for name, what in PROGRAMS.items() if shutil.which(name) is None}


def run_program(
    argv: Sequence[str], budget: Budget, what: str, *, stderr_is_failure: bool = False
) -> bytes:
    """``argv``'s standard output. ``what`` names the format in errors. A program that is
    missing, fails or runs out of time is an ExtractionError; so is one that writes to its
    standard error when ``stderr_is_failure`` (catdoc reports a broken file there and exits 0)."""
    program = shutil.which(argv[0])
    killer = shutil.which("timeout")
    if program is None or killer is None:
        raise ExtractionError(f"{what} cannot be read: {argv[0]} is not installed")
    seconds = PROGRAM_SECONDS
    if budget.deadline is not None:
        seconds = min(seconds, budget.deadline - time.monotonic())
    budget.check_time()
    try:
        done = subprocess.run(  # noqa: S603  (a fixed program; the file is a temporary path)
            [killer, "-s", "KILL", f"{max(seconds, 0.1):.1f}", program, *argv[1:]],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=False,
            timeout=seconds + 5,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ExtractionError(f"{what} cannot be read ({type(exc).__name__})") from exc
    budget.check_time()
    if done.returncode != 0 or (stderr_is_failure and done.stderr.strip()):
        raise ExtractionError(f"{what} cannot be read: {argv[0]} failed ({done.returncode})")
    return done.stdout
