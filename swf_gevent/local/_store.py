"""The database file of the local SWF endpoint: what a restart finds again.

With a database (``LocalSWF(db=...)``, ``python -m swf_gevent.local --db``)
the endpoint keeps in one SQLite file (the standard library's
:mod:`sqlite3`, WAL mode) all a restart needs: domains and types, each
execution and its history, the details and time of each activity task's
latest heartbeat, how far the clock was skipped, and the key that signs task
tokens and page tokens. Open state (decision and activity tasks scheduled or
started, timers, open children, timeouts) is not stored apart: the history
holds it, and the engine reads it back from there on start.

:class:`Journal` is what the registry and the engine tell about their
changes: an execution whose history grew (:meth:`Journal.touch`), a
heartbeat, a domain or type saved, a closed execution past its retention
forgotten. They call :meth:`Journal.commit` at the end of every operation,
timer callback and clock jump, before an answer is sent, and one transaction
writes everything changed since: a process killed at any moment loses
nothing it acknowledged. The base class keeps nothing (the in-memory
endpoint); :class:`Store` writes to the file.

The file is held exclusively (``locking_mode=EXCLUSIVE``) while the endpoint
runs, so a second endpoint on it is refused rather than let the two diverge.
``synchronous=NORMAL``: in WAL mode a killed process loses no commit, a
power cut may lose the latest ones. Every problem with the file is a
:class:`StoreError` whose message is one line naming it.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import sqlite3
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._executions import Execution
    from ._timers import Clock

__all__ = ["APPLICATION_ID", "SCHEMA_VERSION", "Journal", "Snapshot", "Store", "StoreError", "StoredExecution"]

log = logging.getLogger(__name__)

#: ``PRAGMA application_id`` of the endpoint's files: "SWFL" in ASCII.
APPLICATION_ID = 0x5357464C
#: ``PRAGMA user_version``: the schema this code writes; a file with a higher one is refused.
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE domains (name TEXT PRIMARY KEY, body TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE types (
    domain TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (domain, kind, name, version)
) WITHOUT ROWID;
CREATE TABLE executions (
    id INTEGER PRIMARY KEY, domain TEXT NOT NULL, workflow_id TEXT NOT NULL, run_id TEXT NOT NULL, closed_at REAL
);
CREATE TABLE events (
    execution INTEGER NOT NULL, event_id INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (execution, event_id)
) WITHOUT ROWID;
CREATE TABLE heartbeats (
    execution INTEGER NOT NULL, scheduled_event_id INTEGER NOT NULL, details TEXT, at REAL NOT NULL,
    PRIMARY KEY (execution, scheduled_event_id)
) WITHOUT ROWID;
"""


class StoreError(Exception):
    """The database file cannot be used; the message is one line naming the file and why."""


@dataclass
class StoredExecution:
    """One execution as the file holds it.

    :ivar row: its row id in the file.
    :ivar events: its history, in the wire shape, ``eventId`` order.
    :ivar heartbeats: ``{scheduled event id: (details or None, epoch seconds)}``
        of the latest heartbeat of each activity task that sent one.
    """

    row: int
    domain: str
    workflow_id: str
    run_id: str
    events: list[dict[str, Any]]
    heartbeats: dict[int, tuple[str | None, float]] = field(default_factory=dict)


@dataclass
class Snapshot:
    """Everything the file holds, read at start.

    :ivar key: the endpoint's secret key (32 bytes), signing task and page tokens.
    :ivar skipped: seconds the clock had been moved ahead of real time.
    :ivar latest: the latest event timestamp stored (epoch seconds), 0 when none.
    :ivar domains: each domain's saved body (see :meth:`Journal.save_domain`).
    :ivar types: ``(domain, body)`` of each type (see :meth:`Journal.save_type`).
    :ivar executions: in the order they started.
    """

    key: bytes
    skipped: float
    latest: float
    domains: list[dict[str, Any]]
    types: list[tuple[str, dict[str, Any]]]
    executions: list[StoredExecution]


class Journal:
    """Told of every change by the registry and the engine; this one keeps nothing.

    All methods are called from the endpoint's server thread.
    """

    def touch(self, execution: Execution) -> None:
        """``execution`` changed: events were added, or it closed."""

    def adopt(self, execution: Execution, stored: StoredExecution) -> None:
        """``execution`` was rebuilt from ``stored``: what it holds now is saved."""

    def heartbeat(self, execution: Execution, scheduled_event_id: int, details: str | None, at: float) -> None:
        """An activity task of ``execution`` recorded a heartbeat at ``at`` (epoch seconds)."""

    def forget(self, execution: Execution) -> None:
        """``execution`` is gone (closed, past its domain's retention)."""

    def save_domain(self, body: dict[str, Any]) -> None:
        """A domain was registered or changed; ``body`` is JSON-able and holds its ``name``."""

    def save_type(self, domain: str, body: dict[str, Any], deleted: bool = False) -> None:
        """A type of ``domain`` was registered or changed (or ``deleted``).

        ``body`` is JSON-able and holds its ``kind``, ``name`` and ``version``.
        """

    def commit(self) -> None:
        """Make every change told since the last commit durable, in one transaction."""

    def close(self) -> None:
        """Release the file."""


class Store(Journal):
    """The endpoint's SQLite file, opened (and made when missing) for exclusive use.

    :param path: the file; made with the schema when missing or empty.
    :param clock: the endpoint's clock; each commit saves how far it was skipped.
    :raises StoreError: the file cannot be made or opened (directory missing
        or not writable), is another program's SQLite database or no SQLite
        database at all, is corrupt, was written by a newer version of this
        endpoint, or is held by another endpoint.
    """

    def __init__(self, path: str, clock: Clock) -> None:
        self.path = path
        self._clock = clock
        _check_access(path)
        self._db = _connect(path)
        self._rows: dict[Execution, list[Any]] = {}  # execution -> [row, events saved, closed saved]
        self._touched: dict[Execution, None] = {}
        self._forgotten: list[int] = []
        self._heartbeats: dict[tuple[Execution, int], tuple[str | None, float]] = {}
        self._domains: dict[str, str] = {}
        self._types: dict[tuple[str, str, str, str], str | None] = {}
        self._skipped = clock.skipped

    def load(self) -> Snapshot:
        """Read everything the file holds.

        :raises StoreError: the file is corrupt.
        """
        try:
            return self._load()
        except sqlite3.DatabaseError as err:
            raise StoreError(f"{self.path}: cannot read the database: {err}") from None
        except (ValueError, KeyError, TypeError) as err:
            raise StoreError(f"{self.path}: the database holds a malformed record: {err}") from None

    def _load(self) -> Snapshot:
        db = self._db
        problems = [row[0] for row in db.execute("PRAGMA quick_check(1)")]
        if problems != ["ok"]:
            raise StoreError(f"{self.path}: the database is corrupt: {problems[0].splitlines()[-1]}")
        meta = dict(db.execute("SELECT key, value FROM meta"))
        key = meta.get("key")
        if not isinstance(key, bytes) or len(key) != 32:
            key = secrets.token_bytes(32)
            db.execute("INSERT OR REPLACE INTO meta VALUES ('key', ?)", (key,))
        skipped = float(meta.get("skipped") or 0.0)
        self._skipped = skipped
        domains = [json.loads(body) for (body,) in db.execute("SELECT body FROM domains ORDER BY name")]
        types = [(domain, json.loads(body)) for domain, body in db.execute("SELECT domain, body FROM types")]
        executions: dict[int, StoredExecution] = {}
        for row, domain, workflow_id, run_id in db.execute(
            "SELECT id, domain, workflow_id, run_id FROM executions ORDER BY id"
        ):
            executions[row] = StoredExecution(row, domain, workflow_id, run_id, [])
        latest = 0.0
        for row, body in db.execute("SELECT execution, body FROM events ORDER BY execution, event_id"):
            event = json.loads(body)
            executions[row].events.append(event)
        for stored in executions.values():
            if not stored.events or stored.events[0]["eventType"] != "WorkflowExecutionStarted":
                raise ValueError(f"execution {stored.workflow_id!r} run {stored.run_id!r} has no start event")
            if [event["eventId"] for event in stored.events] != list(range(1, len(stored.events) + 1)):
                raise ValueError(f"execution {stored.workflow_id!r} run {stored.run_id!r} misses events")
            latest = max(latest, float(stored.events[-1]["eventTimestamp"]))
        for row, scheduled_event_id, details, at in db.execute(
            "SELECT execution, scheduled_event_id, details, at FROM heartbeats"
        ):
            if row in executions:
                executions[row].heartbeats[scheduled_event_id] = (details, float(at))
        return Snapshot(key, skipped, latest, domains, types, list(executions.values()))

    # -- the journal ----------------------------------------------------------------

    def touch(self, execution: Execution) -> None:
        self._touched[execution] = None

    def adopt(self, execution: Execution, stored: StoredExecution) -> None:
        self._rows[execution] = [stored.row, len(stored.events), execution.close_status is not None]

    def heartbeat(self, execution: Execution, scheduled_event_id: int, details: str | None, at: float) -> None:
        self._heartbeats[(execution, scheduled_event_id)] = (details, at)
        self._touched[execution] = None

    def forget(self, execution: Execution) -> None:
        self._touched.pop(execution, None)
        row = self._rows.pop(execution, None)
        if row is not None:
            self._forgotten.append(row[0])

    def save_domain(self, body: dict[str, Any]) -> None:
        self._domains[body["name"]] = json.dumps(body, separators=(",", ":"))

    def save_type(self, domain: str, body: dict[str, Any], deleted: bool = False) -> None:
        key = (domain, body["kind"], body["name"], body["version"])
        self._types[key] = None if deleted else json.dumps(body, separators=(",", ":"))

    def commit(self) -> None:
        skipped = self._clock.skipped
        if not (self._touched or self._forgotten or self._domains or self._types) and skipped == self._skipped:
            return
        db = self._db
        saved: list[tuple[list[Any], int, bool]] = []
        db.execute("BEGIN")
        try:
            for execution in self._touched:
                row = self._rows.get(execution)
                if row is None:
                    cursor = db.execute(
                        "INSERT INTO executions (domain, workflow_id, run_id) VALUES (?, ?, ?)",
                        (execution.domain, execution.workflow_id, execution.run_id),
                    )
                    row = self._rows[execution] = [cursor.lastrowid, 0, False]
                events = execution.events
                if len(events) > row[1]:
                    db.executemany(
                        "INSERT INTO events VALUES (?, ?, ?)",
                        [(row[0], event["eventId"], _dumps(event)) for event in events[row[1] :]],
                    )
                closed = execution.close_timestamp is not None
                if closed and not row[2]:
                    db.execute("UPDATE executions SET closed_at = ? WHERE id = ?", (execution.close_timestamp, row[0]))
                saved.append((row, len(events), closed))
            if self._heartbeats:
                db.executemany(
                    "INSERT OR REPLACE INTO heartbeats VALUES (?, ?, ?, ?)",
                    [
                        (self._rows[execution][0], scheduled, details, at)
                        for (execution, scheduled), (details, at) in self._heartbeats.items()
                        if execution in self._rows
                    ],
                )
            for table in ("heartbeats", "events"):
                db.executemany(f"DELETE FROM {table} WHERE execution = ?", [(row,) for row in self._forgotten])
            db.executemany("DELETE FROM executions WHERE id = ?", [(row,) for row in self._forgotten])
            db.executemany("INSERT OR REPLACE INTO domains VALUES (?, ?)", self._domains.items())
            db.executemany(
                "DELETE FROM types WHERE domain = ? AND kind = ? AND name = ? AND version = ?",
                [key for key, body in self._types.items() if body is None],
            )
            db.executemany(
                "INSERT OR REPLACE INTO types VALUES (?, ?, ?, ?, ?)",
                [(*key, body) for key, body in self._types.items() if body is not None],
            )
            if skipped != self._skipped:
                db.execute("INSERT OR REPLACE INTO meta VALUES ('skipped', ?)", (skipped,))
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            for execution, row in list(self._rows.items()):
                if not row[1] and not row[2]:  # inserted by the transaction rolled back
                    del self._rows[execution]
            raise
        for row, count, closed in saved:
            row[1], row[2] = count, closed
        self._touched.clear()
        self._heartbeats.clear()
        self._forgotten.clear()
        self._domains.clear()
        self._types.clear()
        self._skipped = skipped

    def close(self) -> None:
        try:
            self._db.close()
        except sqlite3.Error:
            log.exception("Closing %s failed", self.path)


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _check_access(path: str) -> None:
    """Refuse, before SQLite tries, a path it could not make or keep its ``-wal`` file beside.

    :raises StoreError: naming the path and the problem.
    """
    if os.path.isdir(path):
        raise StoreError(f"{path}: is a directory, not a database file")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise StoreError(f"{path}: directory {directory} does not exist")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise StoreError(
            f"{path}: directory {directory} is not writable (SQLite keeps its write-ahead log beside the database)"
        )
    if os.path.exists(path) and not os.access(path, os.R_OK | os.W_OK):
        raise StoreError(f"{path}: the file is not readable and writable")


def _connect(path: str) -> sqlite3.Connection:
    """Open ``path`` for exclusive use, check it is ours, make the schema when it is new.

    :raises StoreError: naming the path and the problem.
    """
    try:
        db = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as err:
        raise StoreError(f"{path}: cannot open the database: {err}") from None
    try:
        db.execute("PRAGMA locking_mode = EXCLUSIVE")
        application_id = db.execute("PRAGMA application_id").fetchone()[0]
        version = db.execute("PRAGMA user_version").fetchone()[0]
        tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if application_id != APPLICATION_ID and (application_id != 0 or tables):
            raise StoreError(f"{path}: not a database of the local SWF endpoint (another program's file)")
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{path}: written by a newer version of the local SWF endpoint "
                f"(schema {version}; this one reads up to {SCHEMA_VERSION})"
            )
        if db.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() != "wal":
            raise StoreError(f"{path}: SQLite cannot keep this file in WAL mode")
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("BEGIN IMMEDIATE")  # takes the exclusive lock, held until close
        if application_id == 0:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            log.info("Made the database %s", path)
        db.execute("COMMIT")
    except StoreError:
        db.close()
        raise
    except sqlite3.OperationalError as err:
        db.close()
        if "locked" in str(err) or "busy" in str(err):
            raise StoreError(f"{path}: the database is in use by another process") from None
        raise StoreError(f"{path}: cannot use the database: {err}") from None
    except sqlite3.DatabaseError as err:
        db.close()
        raise StoreError(f"{path}: not a database or corrupt: {err}") from None
    return db
