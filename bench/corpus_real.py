"""Real-world corpus: every document and mail file in the public test suites of the libraries
and tools that read mail and documents, screened by the gate's real path.

    .venv/bin/python bench/corpus_real.py                # fetch (once), unpack, screen, table
    .venv/bin/python bench/corpus_real.py --list         # and one line per file not readable
    .venv/bin/python bench/corpus_real.py --only rar3    # only files whose package/path has it
    .venv/bin/python bench/corpus_real.py --again        # only the files the last run did not read
    make corpus                                          # the same as the first line

The archives pinned in ``PINS`` (registry, name, version, sha256) are fetched by each
registry's own client into ``--cache`` (default ``~/.cache/piigate-corpus``), and each file is
checked against its pinned hash before it is read:

- PyPI source distributions with pip (``pip download --no-deps --no-binary NAME
  --require-hashes``). pip reads each sdist's metadata, so build backends come from a small
  virtualenv made once in the cache (``BACKENDS``), not from an isolated build per package;
- npm package tarballs with ``npm pack NAME@VERSION`` (npm checks the registry's integrity);
- Debian binary packages with ``apt-get download NAME=VERSION`` (apt checks the signed
  archive's hashes); Go and Rust ``-dev`` packages carry their library's source with its test
  data, read from the package's file tree (``dpkg-deb --fsys-tarfile``);
- Debian source packages with ``apt-get source --download-only NAME=VERSION`` (``debsrc``):
  the upstream tarball (``*.orig.tar.*``, the file pinned) holds the project's test suite. An
  apt of the corpus's own reads Debian's source index into ``<cache>/apt``.

Every member that looks like a document or mail (``FORMATS`` by extension, plus a pin's own
extensions: enmime's test messages are ``*.raw``) is unpacked (into
``<cache>/files/<archive>/<path>``), wrapped as the attachment of a message (mail is the
message itself) and screened by ``Screener.screen`` built as ``piigate scan`` builds it
(shipped settings, the isolation pool on). A file whose bytes an earlier archive already gave
is screened once. The table: files per format, readable, encrypted, unreadable (and why),
reader crashes, timeouts and worker deaths, and the time per file. Results per file go to
``<cache>/results.jsonl`` (``--again`` and ``--only`` write ``results-subset.jsonl``).
It is a benchmark: it needs the registries, and the gate never fetches anything.
"""

from __future__ import annotations

import argparse
import collections
import fnmatch
import hashlib
import io
import json
import statistics
import subprocess
import sys
import tarfile
import time
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import formats

from piigate.config import load_settings
from piigate.model import Envelope, Grade
from piigate.pipeline import Screener, build_screener


@dataclass(frozen=True)
class Pin:
    registry: str
    name: str
    version: str
    sha256: str
    formats: tuple[tuple[str, str], ...] = ()
    """Test files this archive carries beyond ``FORMATS``: (path pattern, format)."""


def _pin(line: str) -> Pin:
    registry, name, version, sha256, *extra = line.split()
    formats = tuple(tuple(item.split("=")) for item in extra)
    return Pin(registry, name, version, sha256, formats)  # type: ignore[arg-type]


_PINNED = """
pypi oletools 0.60.2 ad452099f4695ffd8855113f453348200d195ee9fa341a09e197d66ee7e0b2c3
pypi pypdf 7.1.1 2eff4e2fc5fb22a6d6711e6f1166cdc9ab5765d90cd0d77dfea3f4aa91a27b1d
pypi python-pptx 1.0.2 479a8af0eaf0f0d76b6f00b0887732874ad2e3188230315290cd1f9dd9cc7095
pypi rarfile 4.5 7425d0afa180f0092db903abb1526a130b36858980aad90b3694f48e41420155
pypi python-docx 1.2.0 7bc9d7b7d8a69c9c02ca09216118c86552704edc23bac179283f2e38f86220ce
pypi odfpy 1.4.1 db766a6e59c5103212f3cc92ec8dd50a0f3a02790233ed0b52148b70d3c438ec
pypi xlsx2csv 0.8.6 618fc502612860de8ab8e3d6195e99ef332fffc68337f6b89e59690aad0d20b5
pypi xlrd 1.2.0 546eb36cee8db40c3eaa46c351e67ffee6eeb5fa2650b71bc4c758a29a1b29b2
pypi tnefparse 1.4.0 bd871432b9afecb478fda2bbd4ab3673de00db4ba5dcc723bbb6c86a76420f95
pypi pdfminer 20191125 9e700bc731300ed5c8936343c1dd4529638184198e54e91dd2b59b64a755dc01
pypi pyexcel-xlsx 0.6.1 80b7985d394b73abf5c52212027bbbc0c7f6090192bcbc76403f8672d74c7960
pypi ezodf 0.3.2 000da534f689c6d55297a08f9e2ed7eada9810d194d31d164388162fb391122d
pypi pyexcel-ods3 0.6.1 53740fc9bc6e91e43cdc0ee4f557bb3b252d8493d34f2c11d26a93c53cfebc2e
pypi msg-parser 1.2.0 0de858d4fcebb6c8f6f028da83a17a20fe01cdce67c490779cf43b3b0162aa66
pypi olefile 0.47 599383381a0bf3dfbd932ca0ca6515acd174ed48870cbf7fee123d698c192c1c
pypi PyPDF2 1.26.0 e28f902f2f0a1603ea95ebe21dff311ef09be3d0f0ef29a3e44a932729564385
pypi pdfminer.six 20200517 429a099d2ca76cedff79652e17cfc37d7751a26d50f30af0fa791a69f68a3ddc
pypi py7zr 0.20.8 2a6b0db0441e63a2dd74cbd18f5d9ae7e08dc0e54685aa486361d0db6a0b4f78
pypi puremagic 1.15 6e46aa78113a466abc9f69e6e8a4ce90eb57d908dafb809597012621061462bd
pypi pyexcel-xls 0.7.0 5ec606ef8667aafbb0c3fbd8242a7c23bf175ee7c10b08f70799b84fb2db84cb
npm mammoth 1.13.0 fe778792e43b06dbbff93d20e22951fe1bc55a05eb04ec823961e8639c62260b
npm pdf-parse 1.1.1 ebca13fce97da77fd529f570188aee0fa696d00aac335914cef87d62ac2ac1b1
npm node-tnef 1.4.0 b0119559e97b0f8b845fd08a6b5ed909545edf656185060ec70d1eb7109d57b3
npm eml-format 0.6.1 e81cb3de56a7762e1a468bb2c9d490b8ad2e333b15547a93f631837c447954eb
npm mailparser 0.6.2 e29b1f023b3e1bc43d5b9588d5713692d2dee48c0a22072e7836e0728a261883
npm xlsx-populate 1.21.0 7e7431c2b706062c8ea5460a574eeede2e65f8264d7be604af10d9f4e46d3eb4
debian golang-github-gabriel-vasile-mimetype-dev 1.4.1+dfsg1-2
    80de15cc24494d1a06325a11122b17ee10c3e3cc11bf304b47f07e5aaed08152
    *.txt=text *.png=image *.jpg=image
debian golang-github-jhillyerd-enmime-dev 0.9.3-2
    c451c964e2475c2363da7dd893f63978e035c08dfb684fe08a7bc967fcd72146 *.raw=mail
debian golang-github-emersion-go-message-dev 0.15.0-1
    e3dd976b3610e09638e309cb14ff315278651a9e885e088c42be26f7402d3322
debian golang-github-protonmail-go-mime-dev 0.0~git20221031.8fd9bc3-2
    d3d960b4632045da8a67385aeb4cacc2208a0cb9b5f781f649cfe8dfeabaf6d8
debian golang-github-klauspost-compress-dev 1.15.12+ds1-3
    b52ace76ce9276993aceb0a9ed7103ca16df1c4057b8fc1de3bf293476f64752
debian golang-github-keltia-archive-dev 0.8.0-2
    3768e5823e8a3b6de8cadcc8153060fbc35eb33029fc3a7e5d9fce9040cf512c
debian golang-github-tealeg-xlsx-dev 1.0.3+git20181024.dbf71b6-2
    cf6be3507874a47661d27c7b36e14284fe281efac426fab147b8eede9510bf70
debian golang-gopkg-h2non-filetype.v1-dev 1.1.3+ds1-1
    24707d393f0a5c0f7c590a1eb98fa5f76ca40bc1941a18ffa29021b83c24a189
debian golang-rsc-pdf-dev 0.1.0+git20180525.c47d69c-3
    434212e9cfc6072603731349642fa3c4ef71efd62471a14c72e7ab6c60223797
debian librust-zip-dev 0.6.3-3 046a40cc918c990cc3a55781dbca9a78c812834844537815c64a8fe0bd81e7fc
debian librust-tar-dev 0.4.38-1 1afc30c493890575d47fa2d0b7f7248d52017c54add7892f84b19e783f0695db
debian python3-pandas 1.5.3+dfsg-2 4c530b36c107dcfdcbf2a2bef4008a4667b1833084259c0c40ef7d26b7fec0a5
debian python3-xlsxwriter 3.0.2-2 08f682b576f661785ee1fb1c551046e55c195c2e45b36548184282885b2f9a3d
debian golang-1.19-src 1.19.8-2
    2dfa82fe4f08f4e0193c532e561af4c91871f5235608f04f2bb8d57bb288df5a
debian libpython3.11-testsuite 3.11.2-6+deb12u9
    5dd0f85e950b344a51374e0ef68089e808f73c6c594c80e5232936b5c7ea4a28
    */test_email/data/msg_*.txt=mail */cjkencodings/*.txt=text
debian golang-golang-x-text-dev 0.7.0-1
    0d4e17e9caa2656bdc633b723645d4adafeda93189bd1d55fedf64ec38439f63
    */encoding/testdata/*.txt=text
debian librust-encoding-rs-dev 0.8.31-2
    976313519f61e3d469796567589d58738fced99d2d4c9c2b5c83ff0361c7758a
    */src/test_data/*.txt=text
debsrc qpdf 11.3.0-1+deb12u1 547cee67de77b5c4ef4917e57d2db9c848cfe3aa950361f68d36367a3a03936e
debsrc libxlsxwriter 1.1.4-2 b379eb35fdd9c653ebe72485b9c992f612c7ea66f732784457997d6e782f619b
debsrc pdfminer 20221105+dfsg-1.1~deb12u1
    f1f162956168a27fb3be36072f2cc746d2a2de8a6dd2d44c60a6cc6f21c62f9c
debsrc pypdf 3.4.1-1+deb12u1 97fba6fca8f51945bc44a7875dec9c21d670a08a4b0f045e1360f2803ec6abc6
debsrc pikepdf 6.0.0+dfsg-1 eafb9426030404593164613abcd8e032954e10bcbe175a891002e4f9aeba0e97
debsrc notmuch 0.37-1 0e766df28b78bf4eb8235626ab1f52f04f1e366649325a8ce8d3c908602786f6
debsrc libytnef 2.0-1 bb12f34572de89e4825fce98d2d235d93cd34b2c41fed0074ebfa89af9e724a9
"""
PINS = tuple(_pin(line) for line in _PINNED.strip().replace("\n    ", " ").splitlines())
"""Archives that ship their test files (registry, name, version, sha256, extra formats)."""

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
    **dict.fromkeys(("html", "htm"), "HTML"),
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


def fetch(pins: tuple[Pin, ...], cache: Path) -> list[tuple[Pin, Path]]:
    """Each pinned archive, downloaded once by its registry's client and checked by hash."""
    found = []
    for pin in pins:
        where = cache / _FOLDERS[pin.registry]
        where.mkdir(parents=True, exist_ok=True)
        have = _cached(where, pin)
        if have is None:
            done = subprocess.run(_download(pin, cache), cwd=where, check=False)
            have = _cached(where, pin) if done.returncode == 0 else None
        if have is None:
            print(f"corpus: {pin.registry} {pin.name} {pin.version}: not fetched", file=sys.stderr)
        else:
            found.append((pin, have))
    return found


_FOLDERS = {"pypi": "sdists", "npm": "npm", "debian": "debian", "debsrc": "debian-source"}
_DEB_SRC = """Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""
"""Debian's source index, read by an apt of the corpus's own (its lists in the cache): the
machine's apt configuration is not touched."""


def _download(pin: Pin, cache: Path) -> list[str]:
    """The registry client's command that fetches ``pin`` into the working directory."""
    if pin.registry == "npm":
        return ["npm", "pack", "--silent", f"{pin.name}@{pin.version}"]
    if pin.registry == "debian":
        return ["apt-get", "download", "-q", f"{pin.name}={pin.version}"]
    if pin.registry == "debsrc":
        apt = _source_apt(cache)
        return [*apt, "source", "--download-only", f"{pin.name}={pin.version}"]
    requirement = cache / "requirement.txt"
    requirement.write_text(f"{pin.name}=={pin.version} --hash=sha256:{pin.sha256}\n")
    command = [str(_build_env(cache) / "bin" / "pip"), "download", "-q", "--no-deps"]
    command += ["--no-build-isolation", "--no-binary", pin.name, "--require-hashes"]
    return [*command, "-r", str(requirement), "-d", "."]


def _source_apt(cache: Path) -> list[str]:
    """apt-get with Debian's source index in ``<cache>/apt`` (fetched once)."""
    root = cache / "apt"
    (root / "sources").mkdir(parents=True, exist_ok=True)
    (root / "lists" / "partial").mkdir(parents=True, exist_ok=True)
    (root / "sources" / "debian-src.sources").write_text(_DEB_SRC)
    apt = ["apt-get", "-q", "-o", "Dir::Etc::SourceList=/dev/null"]
    apt += ["-o", f"Dir::Etc::SourceParts={root / 'sources'}"]
    apt += ["-o", f"Dir::State::Lists={root / 'lists'}", "-o", f"Dir::Cache={root / 'cache'}"]
    if not any((root / "lists").glob("*Sources*")):
        subprocess.run([*apt, "update"], check=True)
    return apt


def _build_env(cache: Path) -> Path:
    env = cache / "buildenv"
    if not (env / "bin" / "pip").exists():
        subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
        subprocess.run([env / "bin" / "pip", "install", "-q", *BACKENDS], check=True)
    return env


def _cached(where: Path, pin: Pin) -> Path | None:
    """The archive already fetched, when its bytes have the pinned hash."""
    stem = pin.name.lower().replace("-", "_").replace(".", "_").split("/")[-1]
    for path in sorted(where.iterdir()):
        named = path.name.lower().replace("-", "_").replace(".", "_").startswith(stem)
        if named and hashlib.sha256(path.read_bytes()).hexdigest() == pin.sha256:
            return path
    return None


def members(pin: Pin, archive_path: Path) -> Iterator[tuple[str, bytes]]:
    """(path, bytes) of every document or mail member of an archive (tar, zip or .deb)."""
    if archive_path.suffix == ".zip":
        with zipfile.ZipFile(archive_path) as archive:
            for info in archive.infolist():
                if _wanted(pin, info.filename, info.file_size):
                    yield info.filename, archive.read(info)
        return
    if archive_path.suffix == ".deb":
        tree = subprocess.run(
            ["dpkg-deb", "--fsys-tarfile", str(archive_path)], capture_output=True, check=True
        )
        source: dict[str, object] = {"fileobj": io.BytesIO(tree.stdout)}
    else:
        source = {"name": archive_path}
    with tarfile.open(**source) as archive:  # type: ignore[call-overload]
        for member in archive:
            if member.isfile() and _wanted(pin, member.name, member.size):
                stream = archive.extractfile(member)
                if stream is not None:
                    yield member.name, stream.read()


def _wanted(pin: Pin, name: str, size: int) -> bool:
    kind = _format(pin, name)
    return kind is not None and 0 < size <= MAX_BYTES and len(PurePosixPath(name).parts) > 1


def _format(pin: Pin, path: str) -> str | None:
    for pattern, kind in pin.formats:
        if fnmatch.fnmatchcase(path, pattern):
            return kind
    lower = PurePosixPath(path).name.lower()
    if "." not in lower or (lower.endswith(".dat") and "winmail" not in lower):
        return None
    return FORMATS.get(lower.rsplit(".", 1)[-1])


def message_for(name: str, kind: str, data: bytes) -> bytes:
    """Mail is the message; anything else travels as its attachment."""
    if kind == "mail":
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


def keep(files: Path, archive: Path, name: str, data: bytes) -> None:
    """Write the member under ``files`` (to open or ``piigate scan`` by hand); a path that
    would leave the directory is not written."""
    parts = [part for part in PurePosixPath(name).parts if part not in ("", ".", "..", "/")]
    target = files.joinpath(archive.name, *parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


def corpus(archives: list[tuple[Pin, Path]], files: Path) -> Iterator[tuple[str, str, str, bytes]]:
    """(archive, path, format, bytes) of every file once: a file whose bytes an earlier
    archive gave (pdfminer.six ships pdfminer's samples) is not screened twice."""
    seen: set[str] = set()
    for pin, archive in archives:
        for name, data in members(pin, archive):
            digest = hashlib.sha256(data).hexdigest()
            if digest in seen:
                continue
            seen.add(digest)
            keep(files, archive, name, data)
            yield archive.name, name, _format(pin, name) or "?", data


def screen_all(
    chosen: Iterable[tuple[str, str, str, bytes]], screener: Screener
) -> Iterator[Result]:
    for archive, name, kind, data in chosen:
        started = time.perf_counter()
        try:
            outcome, reason = classify(screener, message_for(name, kind, data))
        except Exception as exc:  # an internal fault: the gate would answer 451
            outcome, reason = "gate error", type(exc).__name__
        yield Result(archive, name, kind, outcome, reason, time.perf_counter() - started)


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
    parser.add_argument("--only", help="only files whose archive/path contains this text")
    parser.add_argument("--again", action="store_true", help="only the last run's not readable")
    args = parser.parse_args()
    chosen = _chosen(corpus(fetch(PINS, args.cache), args.cache / "files"), args)
    subset = args.only is not None or args.again
    screener = build_screener(load_settings(None))
    results = []
    written = args.cache / ("results-subset.jsonl" if subset else "results.jsonl")
    try:
        with written.open("w") as out:
            for result in screen_all(chosen, screener):
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


def _chosen(
    every: Iterator[tuple[str, str, str, bytes]], args: argparse.Namespace
) -> Iterator[tuple[str, str, str, bytes]]:
    again: set[tuple[str, str]] | None = None
    if args.again:
        lines = (args.cache / "results.jsonl").read_text().splitlines()
        last = [json.loads(line) for line in lines]
        again = {(r["package"], r["file"]) for r in last if r["outcome"] != "readable"}
        again -= {(r["package"], r["file"]) for r in last if r["outcome"] == "encrypted"}
    for archive, name, kind, data in every:
        if args.only is not None and args.only not in f"{archive}/{name}":
            continue
        if again is None or (archive, name) in again:
            yield archive, name, kind, data


if __name__ == "__main__":
    main()
