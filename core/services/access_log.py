"""The access log: who else read a worker's data (location here; photos and notes append through the same port).

Reads are coalesced (`AccessLogWindows`, the process's `access_log` port): one stored entry per viewer, worker,
kind of data (and item) and window of ACCESS_LOG_WINDOW_MINUTES, holding the first read, the last read recorded and
a count. The first read of a window creates the entry before the data is answered (a create by a deterministic id:
when another process created it first, the read is added to it later); the window's further reads are counted in
memory, without a write, and added to the entry in ONE read-and-replace when the window has ended (at the next
read of the same worker's data by that viewer, or by the sweep any later read of the process runs; several entries
at a time). So an owner keeping the live map open writes per worker shown one entry and at most one update per
window (12 writes an hour at 10 minutes, where each poll wrote one before), and the worker's page shows one line per
window. What may be lost: the count and last read of the window a process was in when it stopped (the entry itself
is always there).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from core.domain.identity import Principal
from core.domain.tracking import (
    AccessedData,
    AccessLogEntry,
    AccessLogEntryPublic,
    AccessLogPage,
    AccessLogSlice,
)
from core.ports import AccessLog, AccessLogStore, AccountStore
from core.services.paging import PageTokens

log = logging.getLogger(__name__)

SWEEP_EVERY = timedelta(seconds=60)  # how often a read also closes the ended windows of other keys
CLOSE_PER_CALL = 50  # ended windows saved at most per read (the rest at the next ones): bounded latency
CLOSE_THREADS = 8  # of those, saved at once (a read and a replace each: 50 in a row took most of a second)


def new_entry(
    *,
    principal: Principal,
    subject_user_ids: list[str],
    data: AccessedData,
    at: datetime,
    range_from: datetime | None = None,
    range_to: datetime | None = None,
    resource_id: str | None = None,
) -> AccessLogEntry | None:
    """The entry for a read by `principal`, or None when they read only their own data (not logged)."""
    others = sorted({u for u in subject_user_ids if u != principal.user_id})
    if not others:
        return None
    return AccessLogEntry(
        entry_id=f"{at.strftime('%Y%m%dT%H%M%S%f')}-{uuid.uuid4().hex[:12]}",
        account_id=principal.account_id,
        viewer_user_id=principal.user_id,
        viewer_role=principal.role.value,
        subject_user_ids=others,
        data=data,
        resource_id=resource_id,
        range_from=range_from,
        range_to=range_to,
        at=at,
    )


def record_read(*, log: AccessLog, entry: AccessLogEntry | None) -> None:
    if entry is not None:
        log.append(entry)


def read_my_access_log(
    *,
    principal: Principal,
    access_log: AccessLog,
    accounts: AccountStore,
    continuation: str | None,
    limit: int,
    page_tokens: PageTokens,
) -> AccessLogPage:
    """The caller's own entries only: who viewed their location, photos and notes, newest first."""
    scope = ("access-log", principal.account_id, principal.user_id)
    page = access_log.for_subject(
        account_id=principal.account_id,
        user_id=principal.user_id,
        continuation=page_tokens.open(scope, continuation),
        limit=limit,
    )
    names: dict[str, str | None] = {}
    for entry in page.entries:
        if entry.viewer_user_id not in names:
            viewer = accounts.get_member(principal.account_id, entry.viewer_user_id)
            names[entry.viewer_user_id] = viewer.full_name if viewer is not None else None
    return AccessLogPage(
        items=[
            AccessLogEntryPublic(
                viewer_user_id=e.viewer_user_id,
                viewer_name=names.get(e.viewer_user_id),
                viewer_role=e.viewer_role,
                data=e.data,
                resource_id=e.resource_id,
                range_from=e.range_from,
                range_to=e.range_to,
                at=e.at,
                last_at=e.last_at or e.at,
                count=e.count,
            )
            for e in page.entries
        ],
        continuation=page_tokens.seal(scope, page.continuation),
    )


def window_start(at: datetime, window: timedelta) -> datetime:
    """The start of the window holding `at` (windows counted from the Unix epoch, in UTC)."""
    seconds = int(window.total_seconds())
    stamp = int(at.timestamp())
    return datetime.fromtimestamp(stamp - stamp % seconds, tz=UTC)


def window_entry_id(entry: AccessLogEntry, subject: str, start: datetime) -> str:
    """The stored id of a window's entry: the same in every process, so a second create of it conflicts."""
    key = "\x00".join((entry.viewer_user_id, subject, entry.data.value, entry.resource_id or ""))
    return f"{start.strftime('%Y%m%dT%H%M%S')}-{hashlib.sha256(key.encode()).hexdigest()[:20]}"


Key = tuple[str, str, str, str, str]  # account, viewer, subject, kind, item


@dataclass
class _Window:
    key: Key
    entry: AccessLogEntry  # as created
    start: datetime
    last: datetime
    range_from: datetime | None
    range_to: datetime | None
    unsaved: int = 0  # reads counted here and not yet in the stored entry
    ready: threading.Event = field(default_factory=threading.Event)
    stored: bool = False  # the entry exists (created here or by another process)


class AccessLogWindows:
    """The `access_log` port as the composition root builds it, once per process, over the stored log (see the
    module docstring). Thread-safe: the host runs invocations on a thread pool."""

    def __init__(self, store: AccessLogStore, *, window: timedelta) -> None:
        if window.total_seconds() < 1:
            raise ValueError("the window must be at least a second")
        self.store, self.window = store, window
        self._open: dict[Key, _Window] = {}
        self._closing: list[_Window] = []  # ended windows with reads to add to their entries
        self._lock = threading.Lock()
        self._swept_at: datetime | None = None

    def append(self, entry: AccessLogEntry) -> None:
        """Log one read of each of `entry.subject_user_ids`: returns once each has a stored entry for its window."""
        start = window_start(entry.at, self.window)
        waiting: list[tuple[_Window, str]] = []
        fresh: list[_Window] = []
        with self._lock:
            for subject in entry.subject_user_ids:
                key: Key = (entry.account_id, entry.viewer_user_id, subject, entry.data.value, entry.resource_id or "")
                current = self._open.get(key)
                if current is not None and current.start == start:
                    current.unsaved += 1
                    current.last = max(current.last, entry.at)
                    current.range_from = _earliest(current.range_from, entry.range_from)
                    current.range_to = _latest(current.range_to, entry.range_to)
                    if not current.ready.is_set():
                        waiting.append((current, subject))
                    continue
                if current is not None and current.unsaved:
                    self._closing.append(current)
                opened = _Window(
                    key=key,
                    entry=entry.model_copy(
                        update={
                            "entry_id": window_entry_id(entry, subject, start),
                            "subject_user_ids": [subject],
                            "last_at": entry.at,
                            "count": 1,
                            "window_start": start,
                        }
                    ),
                    start=start,
                    last=entry.at,
                    range_from=entry.range_from,
                    range_to=entry.range_to,
                )
                self._open[key] = opened
                fresh.append(opened)
        if fresh:
            self._create(fresh)
        for w, subject in waiting:  # another thread is creating that window's entry: answer once it is stored
            w.ready.wait(timeout=30)
            if not w.stored:  # its create failed (that thread raised): log this read on its own
                self.append(entry.model_copy(update={"subject_user_ids": [subject]}))
        self._close(entry.at)

    def _create(self, windows: list[_Window]) -> None:
        try:
            created = self.store.create_many([w.entry for w in windows])
        except BaseException:
            with self._lock:
                for w in windows:
                    if self._open.get(w.key) is w:
                        del self._open[w.key]
                    w.ready.set()  # a thread waiting for it logs its own read
            raise
        with self._lock:
            for w, new in zip(windows, created, strict=True):
                if not new:
                    w.unsaved += 1  # another process logged the window first: this read is added to its entry
                w.stored = True
                w.ready.set()

    def _close(self, now: datetime) -> None:
        """Save the reads of ended windows: those replaced by a newer window of their key, and every SWEEP_EVERY
        the ended windows of all keys (at most CLOSE_PER_CALL per call; the rest at the next calls)."""
        with self._lock:
            if self._swept_at is None or now - self._swept_at >= SWEEP_EVERY:
                self._swept_at = now
                ended = [k for k, w in self._open.items() if w.start + self.window <= now and w.ready.is_set()]
                for k in ended:
                    w = self._open.pop(k)
                    if w.unsaved:
                        self._closing.append(w)
            batch, self._closing = self._closing[:CLOSE_PER_CALL], self._closing[CLOSE_PER_CALL:]
        if len(batch) > 1:  # each a read and a replace: CLOSE_THREADS at a time, not one after the other
            with ThreadPoolExecutor(min(CLOSE_THREADS, len(batch)), thread_name_prefix="access-log-close") as pool:
                list(pool.map(self._save, batch))
        else:
            for w in batch:
                self._save(w)

    def _save(self, w: _Window) -> None:
        """Add the reads counted in memory to the window's stored entry."""
        with self._lock:
            reads, w.unsaved = w.unsaved, 0
            last, first, to = w.last, w.range_from, w.range_to
        if not reads or not w.stored:
            return
        try:
            self.store.add_reads(
                account_id=w.entry.account_id,
                entry_id=w.entry.entry_id,
                reads=reads,
                last_at=last,
                range_from=first,
                range_to=to,
            )
        except Exception:  # the reads are logged (the entry exists); only their count and last time are lost
            log.warning("could not add %d read(s) to an access-log entry", reads, exc_info=True)

    def for_subject(self, *, account_id: str, user_id: str, continuation: str | None, limit: int) -> AccessLogSlice:
        """The stored entries, with the reads this process counted and has not saved yet added (the other
        processes' join their entries when their windows close)."""
        page = self.store.for_subject(account_id=account_id, user_id=user_id, continuation=continuation, limit=limit)
        with self._lock:
            pending = {
                w.entry.entry_id: (w.unsaved, w.last)
                for w in [*self._open.values(), *self._closing]
                if w.unsaved and w.key[0] == account_id and w.key[2] == user_id
            }
        if not pending:
            return page
        entries = [
            e.model_copy(
                update={
                    "count": e.count + pending[e.entry_id][0],
                    "last_at": max(e.last_at or e.at, pending[e.entry_id][1]),
                }
            )
            if e.entry_id in pending
            else e
            for e in page.entries
        ]
        return page.model_copy(update={"entries": entries})


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return min(a, b) if a is not None and b is not None else a or b


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return max(a, b) if a is not None and b is not None else a or b
