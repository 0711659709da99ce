"""The two places the ledger can live, behind one small interface: the SQL is the same
(written with ``?`` placeholders); what differs is how to connect, how to take the lock that
serialises appends to the chain, and how to bulk-insert individuals.

SQLite: one file in WAL mode; ``BEGIN IMMEDIATE`` takes the database's write lock, so two
processes on one file append one at a time. PostgreSQL: a transaction-level advisory lock
(``pg_advisory_xact_lock``) serialises appends from any number of gate instances; it is
released by COMMIT or ROLLBACK, and by the server if the connection dies.

psycopg is imported by the PostgreSQL connection only (a SQLite ledger, and every command
that opens one, never loads it); its errors are translated at this boundary into
``PostgresError``, so callers catch ``DB_ERRORS`` without naming psycopg.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from piigate.errors import LedgerError

if TYPE_CHECKING:
    import psycopg

Row = tuple[Any, ...]

SQLITE_CHUNK = 500  # markers per IN (...) list
APPEND_LOCK = 0x70696967  # "piig": the advisory lock id of the chain
INDEX_LOCK = 0x70696968  # the advisory lock id of the individuals' look-up index


class PostgresError(Exception):
    """A ``psycopg.Error`` (its text, and the original as ``__cause__``), raised by
    ``PostgresDatabase``."""


DB_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, PostgresError)
"""What a database may raise; the ledger translates each into ``LedgerError``."""


@contextmanager
def _translated() -> Iterator[None]:
    import psycopg  # noqa: PLC0415 (PostgreSQL only: see the top)

    try:
        yield
    except psycopg.Error as exc:
        raise PostgresError(str(exc) or type(exc).__name__) from exc


class Database(Protocol):
    name: str
    """Where the ledger is, for messages (a path, or a URL without its password)."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...
    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...
    def insert_individuals(self, rows: Sequence[tuple[int, str]]) -> None: ...
    def begin_locked(self) -> None:
        """Start a transaction holding the chain's append lock."""

    def begin_indexing(self) -> None:
        """Start a transaction holding the look-up index's lock (appends go on meanwhile,
        where the database allows: on PostgreSQL; SQLite has one write lock)."""

    def hold_index_lock(self) -> None:
        """In a transaction that holds the append lock, take the index's lock too (prune
        does: it moves the index's state). Always in this order, so no deadlock."""

    def begin(self) -> None:
        """Start a transaction that will write (SQLite takes its write lock at once)."""

    def ddl(self, statement: str) -> str: ...
    def any_of(self, column: str, values: Sequence[Any]) -> Iterator[tuple[str, list[Any]]]:
        """``column`` is one of ``values``: (SQL condition, parameters), chunked as the
        database likes (PostgreSQL takes one array; SQLite a bounded list of markers)."""

    def reconnect_if_broken(self) -> bool: ...
    def close(self) -> None: ...


def not_found(name: str) -> str:
    """The one line a read-only command says when the ledger it looked for is not there."""
    return (
        f"ledger {name}: does not exist (check ledger.url and the directory you run in; "
        "`piigate serve` or `piigate records init` creates one)"
    )


class SqliteDatabase:
    def __init__(self, path: Path, *, create: bool) -> None:
        self.name = str(path)
        if not create and not path.is_file():
            raise LedgerError(not_found(str(path.absolute())))
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA busy_timeout=30000")
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self._db.execute(sql, params).fetchall()

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self._db.executemany(sql, rows)

    def insert_individuals(self, rows: Sequence[tuple[int, str]]) -> None:
        self.executemany(
            "INSERT INTO disclosure_individuals (disclosure_id, individual) VALUES (?, ?)", rows
        )

    def begin_locked(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def begin_indexing(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def hold_index_lock(self) -> None:
        """SQLite's one write lock, held already, covers the index too."""

    def begin(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def ddl(self, statement: str) -> str:
        return statement

    def any_of(self, column: str, values: Sequence[Any]) -> Iterator[tuple[str, list[Any]]]:
        for start in range(0, len(values), SQLITE_CHUNK):
            chunk = list(values[start : start + SQLITE_CHUNK])
            yield f"{column} IN ({', '.join('?' * len(chunk))})", chunk

    def reconnect_if_broken(self) -> bool:
        """A closed SQLite connection stays closed: the file is local, nothing to retry."""
        return False

    def close(self) -> None:
        self._db.close()


CLIENT_CHECK_MS = 1000
"""How often PostgreSQL checks, while it runs a statement, that the gate is still there."""
CLIENT_CHECK_SINCE = 140000
"""client_connection_check_interval is PostgreSQL 14's."""


class PostgresDatabase:
    def __init__(self, url: str) -> None:
        self.url = url
        self.name = redact(url)
        self._db = self._connect()

    def _connect(self) -> psycopg.Connection[Row]:
        import psycopg  # noqa: PLC0415 (PostgreSQL only: see the top)

        with _translated():
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=10)
            if conn.info.server_version >= CLIENT_CHECK_SINCE:
                # A statement still waiting (on a lock) when the gate dies is cancelled, not
                # run to its commit after the gate is gone: an intent written by a killed gate
                # would become an unconfirmed record of a message that never left.
                conn.execute(f"SET client_connection_check_interval = {CLIENT_CHECK_MS}")
        return conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with _translated():
            cursor = self._db.execute(_pg(sql), params)
            return cursor.fetchall() if cursor.description is not None else []

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with _translated(), self._db.cursor() as cursor:
            cursor.executemany(_pg(sql), rows)

    def insert_individuals(self, rows: Sequence[tuple[int, str]]) -> None:
        copy_sql = "COPY disclosure_individuals (disclosure_id, individual) FROM STDIN"
        with _translated(), self._db.cursor() as cursor, cursor.copy(copy_sql) as copy:
            for row in rows:
                copy.write_row(row)

    def begin_locked(self) -> None:
        self.execute("BEGIN")
        self.execute("SELECT pg_advisory_xact_lock(?)", (APPEND_LOCK,))

    def begin_indexing(self) -> None:
        self.execute("BEGIN")
        self.hold_index_lock()

    def hold_index_lock(self) -> None:
        self.execute("SELECT pg_advisory_xact_lock(?)", (INDEX_LOCK,))

    def begin(self) -> None:
        self.execute("BEGIN")

    def ddl(self, statement: str) -> str:
        return (
            statement.replace("INTEGER PRIMARY KEY AUTOINCREMENT", "BIGINT PRIMARY KEY")
            .replace(" INTEGER", " BIGINT")
            .replace(" BLOB", " BYTEA")
        )

    def any_of(self, column: str, values: Sequence[Any]) -> Iterator[tuple[str, list[Any]]]:
        # A join against the unnested array lets the planner probe the index once per value;
        # "= ANY(array)" made it scan the whole table, testing each row against the array.
        if values:
            array = "text[]" if isinstance(values[0], str) else "bigint[]"
            yield f"{column} IN (SELECT unnest(?::{array}))", [list(values)]

    def reconnect_if_broken(self) -> bool:
        """After a server restart or a network fault the connection is broken: make a new one
        (a connection the application closed stays closed). True when it did."""
        if not self._db.broken:
            return False
        self._db = self._connect()
        return True

    def close(self) -> None:
        with _translated():
            self._db.close()


def _pg(sql: str) -> str:
    return sql.replace("?", "%s")


def redact(url: str) -> str:
    """The URL without its password, fit for a message."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def connect(url: str, *, create: bool = True, setting: str = "ledger.url") -> Database:
    """``sqlite:///PATH`` or ``postgresql://…`` → an open database; ``LedgerError`` otherwise
    (its message names ``setting``). The quarantine's metadata uses the same two places."""
    parts = urlsplit(url)
    if parts.scheme in ("postgresql", "postgres"):
        return PostgresDatabase(url)
    if parts.scheme == "sqlite":
        return SqliteDatabase(sqlite_path(url, setting), create=create)
    raise LedgerError(
        f"{setting}: unsupported scheme {parts.scheme!r} "
        "(use sqlite:///PATH or postgresql://USER@HOST:PORT/DB)"
    )


def sqlite_path(url: str, setting: str = "ledger.url") -> Path:
    parts = urlsplit(url)
    if parts.scheme != "sqlite":
        raise LedgerError(f"{setting}: unsupported scheme {parts.scheme!r} (use sqlite:///PATH)")
    path = parts.path[1:] if parts.path.startswith("/") else parts.path
    if not path:
        raise LedgerError(f"{setting}: no database file in the URL (sqlite:///var/x.db)")
    return Path(path)
