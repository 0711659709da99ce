"""The programs the gate reads some formats with (Debian packages, installed by ``make
readers``): catdoc for Word 97-2003 text, LibreOffice (headless) to turn PowerPoint 97-2003
into .pptx, unar (through rarfile) for compressed RAR members and for the 7z archives whose
method py7zr lacks (BCJ2).

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

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence

from piigate.errors import ExtractionError
from piigate.extract.limits import Budget

PROGRAMS = {
    "catdoc": "Word 97-2003 (.doc) text (Debian package catdoc)",
    "soffice": "PowerPoint 97-2003 (.ppt) slides (LibreOffice Impress)",
    "unar": "compressed RAR archive members, 7z archives in methods py7zr lacks (BCJ2) "
    "(Debian package unar)",
}
"""Each program, and what cannot be read without it."""

PROGRAM_KINDS = frozenset({"doc", "ppt", "rar", "7z"})
"""The kinds (``registry.READERS``) whose readers run one of these programs: the worker pool
gives them ``isolation.program_seconds`` instead of ``isolation.file_seconds`` (every 7z: the
kind is known before the reader finds a method py7zr lacks and hands the archive to unar)."""

PROGRAM_SECONDS = 60.0
"""The longest one program may run; the scan deadline, when sooner, bounds it too."""

_CHUNK = 1024 * 1024


def missing_programs() -> dict[str, str]:
    """The reader programs not found on PATH, each with what cannot be read without it."""
    return {name: what for name, what in PROGRAMS.items() if shutil.which(name) is None}


def run_program(
    argv: Sequence[str],
    budget: Budget,
    what: str,
    *,
    stderr_is_failure: bool = False,
    max_output: int | None = None,
) -> bytes:
    """``argv``'s standard output. ``what`` names the format in errors. A program that is
    missing, fails or runs out of time is an ExtractionError; so is one that writes to its
    standard error when ``stderr_is_failure`` (catdoc reports a broken file there and exits 0),
    and one that writes more than ``max_output`` bytes (killed with its process group as soon
    as it does: the output is counted as it arrives)."""
    program = shutil.which(argv[0])
    killer = shutil.which("timeout")
    if program is None or killer is None:
        raise ExtractionError(f"{what} cannot be read: {argv[0]} is not installed")
    seconds = PROGRAM_SECONDS
    if budget.deadline is not None:
        seconds = min(seconds, budget.deadline - time.monotonic())
    budget.check_time()
    command = [killer, "-s", "KILL", f"{max(seconds, 0.1):.1f}", program, *argv[1:]]
    try:
        with tempfile.TemporaryFile() as errors:
            # timeout puts itself and the program in a process group of its own (its pid).
            with subprocess.Popen(  # noqa: S603  (a fixed program; the file is a temporary path)
                command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors
            ) as process:
                output = _read_output(process, max_output, what)
                returncode = process.wait(timeout=seconds + 5)
            errors.seek(0)
            complained = bool(errors.read(4096).strip())
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ExtractionError(f"{what} cannot be read ({type(exc).__name__})") from exc
    budget.check_time()
    if returncode != 0 or (stderr_is_failure and complained):
        raise ExtractionError(f"{what} cannot be read: {argv[0]} failed ({returncode})")
    return output


def _read_output(process: subprocess.Popen[bytes], limit: int | None, what: str) -> bytes:
    """The program's standard output to its end; past ``limit`` bytes, the program's process
    group is killed and the output refused."""
    assert process.stdout is not None
    chunks = []
    total = 0
    while chunk := process.stdout.read(_CHUNK):
        total += len(chunk)
        if limit is not None and total > limit:
            with contextlib.suppress(OSError):
                os.killpg(process.pid, signal.SIGKILL)
            raise ExtractionError(f"{what}: the program wrote more than the archive declares")
        chunks.append(chunk)
    return b"".join(chunks)
