"""Outlook .pst/.ost through Debian's readpst (pst-utils, libpst): it unpacks every mail item
of the file as its own MIME message (headers built from the MAPI properties when the item
kept no transport headers, as sent items do; bodies and attachments as MIME parts), folder
by folder, into a folder of ours; the sweep then reads those files in shards like any folder.

    readpst -q -D -j 0 -e -o TARGET FILE

``-D`` keeps the Deleted Items (mail that was sent and then deleted was still disclosed),
``-j 0`` runs no parallel children (with them the parent can exit before the last message
is written), ``-e`` writes one file per item with an extension: ``.eml`` for mail (meeting
requests and replies included), ``.ics`` for appointments and ``.vcf`` for contacts, which
are not messages and are left out.

readpst invents three things on every run: a random MIME boundary per message, a random
file name (``i<number>.ics``) for the calendar parts it writes, and their DTSTAMP of "now".
``stable`` puts fixed values in their place, so one item reads as the same bytes (the same
content hash) in every sweep: a second sweep of the same .pst, or a resumed one, finds its
records already in the ledger.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

READPST = ("-q", "-D", "-j", "0", "-e")
MAIL_SUFFIX = ".eml"
RANDOM = re.compile(rb'(--boundary-LibPST-iamunique-|name="i)(-?\d+)(_-_-|\.ics")')
"""readpst's random numbers: in its MIME boundaries, and in its calendar parts' file names
(``name=`` and ``filename=``)."""
DTSTAMP = re.compile(rb"^DTSTAMP:\d{8}T\d{6}Z(\r?)$", re.MULTILINE)
FIXED_DTSTAMP = b"DTSTAMP:19700101T000000Z"


@dataclass(frozen=True, slots=True)
class Unpacked:
    """The mail items readpst wrote for one .pst, or why there are none."""

    root: Path
    messages: tuple[str, ...] = ()
    error: str | None = None


def unpack(source: Path, into: Path) -> Unpacked:
    """Every mail item of ``source`` as a file under ``into`` (a folder named after the
    source's path, the same in every sweep: partitions keep their names for --resume)."""
    readpst = shutil.which("readpst")
    root = into / unpack_name(source)
    if readpst is None:
        return Unpacked(root, error="Outlook .pst/.ost needs readpst (pst-utils)")
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    done = subprocess.run(  # noqa: S603  (a fixed program, the path as one argument)
        [readpst, *READPST, "-o", str(root), str(source)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        return Unpacked(root, error=f"readpst could not read it (exit {done.returncode})")
    files = sorted(str(p) for p in root.rglob(f"*{MAIL_SUFFIX}") if p.is_file())
    return Unpacked(root, tuple(files))


def unpack_name(source: Path) -> str:
    """A folder name for one source: its file name and a digest of its absolute path."""
    digest = hashlib.sha256(str(source.resolve()).encode()).hexdigest()[:16]
    return f"{source.name}-{digest}"


def stable(raw: bytes) -> bytes:
    """The message readpst wrote, with its per-run numbers and DTSTAMP fixed: each distinct
    random number of a kind becomes 0, 1, 2… in order of first appearance (an item attached
    to another has a boundary of its own, and keeps it distinct)."""
    numbers: dict[bytes, dict[bytes, int]] = {}

    def numbered(match: re.Match[bytes]) -> bytes:
        prefix, number, suffix = match.groups()
        of_kind = numbers.setdefault(prefix, {})
        return b"%s%d%s" % (prefix, of_kind.setdefault(number, len(of_kind)), suffix)

    return DTSTAMP.sub(FIXED_DTSTAMP + rb"\1", RANDOM.sub(numbered, raw))
