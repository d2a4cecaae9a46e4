"""Hostile input (proof row 8): oversized and malformed bodies against every endpoint that takes one, a 100,000-ping
batch, absurd page sizes on every paged endpoint. Each is refused with 413/422 before any work (never a 5xx, nothing
queued or stored), and the local host's peak memory (VmHWM of its process) stays bounded while it happens."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

import function_app  # noqa: F401 - registers every endpoint
from core.adapters.queues import build_queue_service
from functions._http import ENDPOINTS, Auth
from tests.integration.conftest import Stack, User
from tests.integration.tracking_helpers import ping, post, set_location_consent, track_ids, wait_for_stored

_PARAM = re.compile(r"\{\*?([A-Za-z_][A-Za-z0-9_]*)(?::[a-z]+)?\??\}")
MiB = 1024 * 1024
# The host holds a whole body in memory once or twice while it refuses it (10 MB here, 100 MB at most by the host's
# own limit); everything above a few such copies would mean it parses or keeps what it should refuse.
MAX_PEAK_GROWTH = 200 * MiB
PAGE_FIELD = "limit"  # the page-size query field of every paged endpoint


def _status_kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {key} in /proc/{pid}/status")


@dataclass
class PeakMemory:
    """The host's peak resident memory during a test: VmHWM is reset to the current RSS at the start (clear_refs 5)
    where the kernel allows it, so `peak - before` is what the test's requests added at most."""

    pid: int
    before: int = 0
    reset: bool = False

    def start(self) -> None:
        try:
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")
            self.reset = True
        except OSError:
            self.reset = False
        self.before = _status_kib(self.pid, "VmHWM" if not self.reset else "VmRSS") * 1024

    @property
    def peak(self) -> int:
        return _status_kib(self.pid, "VmHWM") * 1024

    def summary(self) -> str:
        return (
            f"host peak RSS {self.peak / MiB:.0f} MiB, {(self.peak - self.before) / MiB:.0f} MiB above the"
            f" {self.before / MiB:.0f} MiB {'resident' if self.reset else 'peak'} before"
        )


@pytest.fixture
def memory(stack: Stack) -> Iterator[PeakMemory]:
    assert stack.pid > 0 and Path(f"/proc/{stack.pid}/status").exists(), "the devhost's pid is not known"
    mem = PeakMemory(stack.pid)
    mem.start()
    yield mem


def _path(route: str, owner: User) -> str:
    ids = {"accountId": owner.account_id, "userId": owner.user_id}
    return "/" + _PARAM.sub(lambda m: ids.get(m.group(1), str(uuid.uuid4())), route)


def test_hostile_bodies_are_refused_before_work(
    api: httpx.Client, owner: User, stack: Stack, memory: PeakMemory, figure: Callable[..., None]
) -> None:
    limit = stack.settings.max_body_bytes
    hostile: dict[str, tuple[bytes, int]] = {
        "10 MB JSON": (b'{"a": "' + b"x" * (10 * 1024 * 1024) + b'"}', 413),
        "just over the limit": (b'{"a": "' + b"x" * limit + b'"}', 413),
        "deeply nested": (b'{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}", 422),
        "invalid UTF-8": (b'{"a": "\xff\xfe\xfd"}', 422),
        "NaN": (b'{"a": NaN}', 422),
        "Infinity": (b'{"a": -Infinity}', 422),
        "not an object": (b"[1, 2, 3]", 422),
    }
    me_before = api.get("/me", headers=owner.auth).json()
    targets = [e for e in ENDPOINTS if e.body is not None]
    tried, wrong = 0, []
    for spec in targets:
        headers = {"Content-Type": "application/json"}
        if spec.auth is not Auth.NONE:
            headers.update(owner.auth)
        for label, (raw, expected) in hostile.items():
            r = api.request(spec.method, _path(spec.route, owner), content=raw, headers=headers)
            tried += 1
            if r.status_code in (401, 403, 404) and spec.auth not in (Auth.PRINCIPAL, Auth.FORMER_OR_PRINCIPAL):
                continue  # refused before the body was read (e.g. an identity-only or admin endpoint)
            if r.status_code != expected or r.headers.get("content-type") != "application/problem+json":
                wrong.append(f"{spec.method} {spec.route} {label}: {r.status_code} {r.text[:200]}")
    figure(
        8,
        f"{tried} hostile bodies (10 MB, just over the limit, 5,000-deep nesting, invalid UTF-8, NaN,"
        f" Infinity, not an object) x {len(targets)} body endpoints: {len(wrong)} not refused with 413/422;"
        f" {memory.summary()}",
        tried=tried,
        endpoints=len(targets),
        wrong=len(wrong),
        peak_rss_mib=round(memory.peak / MiB),
        peak_growth_mib=round((memory.peak - memory.before) / MiB),
    )
    assert not wrong, "\n".join(wrong[:20])
    assert api.get("/me", headers=owner.auth).json() == me_before
    assert memory.peak - memory.before < MAX_PEAK_GROWTH, memory.summary()


def test_wrong_content_type_on_every_body_endpoint_is_415(api: httpx.Client, owner: User) -> None:
    for spec in [e for e in ENDPOINTS if e.body is not None and e.auth in (Auth.PRINCIPAL, Auth.FORMER_OR_PRINCIPAL)]:
        r = api.request(
            spec.method,
            _path(spec.route, owner),
            content=b"<x/>",
            headers={**owner.auth, "Content-Type": "application/xml"},
        )
        assert r.status_code in (415, 403, 404), f"{spec.method} {spec.route}: {r.status_code}"


def _pings(start: datetime, count: int) -> list[dict[str, Any]]:
    return [ping(start + timedelta(milliseconds=i), i % 500) for i in range(count)]


def test_a_100000_ping_batch_is_refused_before_anything_is_queued(
    api: httpx.Client, member: User, stack: Stack, memory: PeakMemory, figure: Callable[..., None]
) -> None:
    set_location_consent(api, member, True)
    begin = datetime.now(UTC) + timedelta(milliseconds=50)  # taken while location access is granted
    huge = json.dumps({"pings": _pings(begin, 100_000)}).encode()
    compact = json.dumps({"pings": [{}] * 100_000}, separators=(",", ":")).encode()  # fits the body limit
    one_over = json.dumps({"pings": _pings(begin, 1001)}).encode()
    assert len(compact) < stack.settings.max_body_bytes < len(huge)

    def chunks() -> Iterator[bytes]:  # no Content-Length: the host must still count what it reads
        for i in range(0, len(huge), 256 * 1024):
            yield huge[i : i + 256 * 1024]

    headers = {**member.auth, "Content-Type": "application/json"}
    attempts: dict[str, tuple[Callable[[], httpx.Response], int, str | None]] = {
        f"100,000 pings ({len(huge) / MiB:.0f} MB)": (
            lambda: api.post("/me/locations", content=huge, headers=headers),
            413,
            None,
        ),
        "100,000 pings, chunked (no Content-Length)": (
            lambda: api.post("/me/locations", content=chunks(), headers=headers),
            413,
            None,
        ),
        f"100,000 empty pings ({len(compact) / 1024:.0f} KB, under the body limit)": (
            lambda: api.post("/me/locations", content=compact, headers=headers),
            422,
            "pings",
        ),
        "1,001 valid pings": (lambda: api.post("/me/locations", content=one_over, headers=headers), 422, "pings"),
    }
    queue = build_queue_service(stack.settings).get_queue_client(stack.settings.queue_location_pings)
    outcomes: dict[str, int] = {}
    wrong: list[str] = []
    for label, (send, expected, field_name) in attempts.items():
        r = send()
        outcomes[label] = r.status_code
        fields = [e["field"] for e in r.json().get("errors", [])] if r.status_code < 500 else []
        if r.status_code != expected or (field_name is not None and field_name not in fields):
            wrong.append(f"{label}: {r.status_code} {r.text[:200]}")
    queued = queue.get_queue_properties().approximate_message_count
    # A valid batch after them is stored; the hostile ones, had any slipped through, would be stored with it.
    sentinel = ping(datetime.now(UTC) + timedelta(milliseconds=50), 7)
    assert post(api, member, [sentinel])["accepted"] == 1
    window_end = datetime.now(UTC) + timedelta(minutes=2)
    wait_for_stored(api, member, {sentinel["id"]}, begin - timedelta(minutes=1), window_end)
    stored = track_ids(api, member, begin - timedelta(minutes=1), window_end)
    figure(
        8,
        f"100,000-ping batches ({len(attempts)} variants: {len(huge) / MiB:.0f} MB with and without"
        f" Content-Length, {len(compact) / 1024:.0f} KB of empty pings, 1,001 pings):"
        f" {sum(1 for s in outcomes.values() if s in (413, 422))} refused with 413/422, {queued} queued,"
        f" {len(stored) - 1} stored besides the sentinel; {memory.summary()}",
        tried=len(attempts),
        refused=sum(1 for s in outcomes.values() if s in (413, 422)),
        queued=queued,
        stored_extra=len(stored) - 1,
        peak_rss_mib=round(memory.peak / MiB),
        peak_growth_mib=round((memory.peak - memory.before) / MiB),
    )
    assert not wrong, "\n".join(wrong)
    assert queued == 0, f"{queued} messages queued by refused batches"
    assert stored == [sentinel["id"]], f"{len(stored) - 1} pings of refused batches were stored"
    assert memory.peak - memory.before < MAX_PEAK_GROWTH, memory.summary()


PAGE_SIZES = [
    "1e6",
    "1000000",
    "1E+6",
    "99999999999999999999999999",
    "9" * 5000,
    "-1",
    "0",
    "-99999999999999999999",
    "abc",
    "",
    "1.5",
    "0x10",
    "NaN",
    "inf",
    "\uff11\uff12",
]


def test_absurd_page_sizes_are_refused_on_every_paged_endpoint(
    api: httpx.Client, owner: User, memory: PeakMemory, figure: Callable[..., None]
) -> None:
    paged = [e for e in ENDPOINTS if e.method == "GET" and e.query is not None and PAGE_FIELD in e.query.model_fields]
    assert len(paged) >= 5, [e.route for e in paged]  # access log, my notes, notes, photos, both tracks
    tried, wrong = 0, []
    for spec in paged:
        path = _path(spec.route, owner)
        largest = spec.query.model_fields[PAGE_FIELD].metadata  # type: ignore[union-attr]  # this endpoint is declared with a query model (asserted by the test)
        ceiling = next(m.le for m in largest if hasattr(m, "le"))
        ok = api.get(path, params={PAGE_FIELD: str(ceiling)}, headers=owner.auth)  # the endpoint is reachable
        if ok.status_code != 200:
            wrong.append(f"GET {spec.route}?{PAGE_FIELD}={ceiling}: {ok.status_code} {ok.text[:200]}")
        cases = [(PAGE_FIELD, v) for v in [*PAGE_SIZES, str(ceiling + 1)]] + [
            ("page_size", "1e6"),
            ("pageSize", "1000000"),
        ]
        for name, value in cases:
            r = api.get(path, params={name: value}, headers=owner.auth)
            tried += 1
            fields = [e["field"] for e in r.json().get("errors", [])] if r.status_code == 422 else []
            if r.status_code != 422 or fields != [f"query.{name}"]:
                wrong.append(f"GET {spec.route}?{name}={value[:20]}: {r.status_code} {r.text[:200]}")
    figure(
        8,
        f"{tried} absurd page sizes ({PAGE_FIELD}=1e6, huge, negative, zero, non-numeric, 5,000 digits; unknown"
        f" page_size/pageSize) on {len(paged)} paged endpoints: {len(wrong)} not refused with a 422 naming the"
        f" field; {memory.summary()}",
        tried=tried,
        endpoints=len(paged),
        wrong=len(wrong),
        peak_rss_mib=round(memory.peak / MiB),
        peak_growth_mib=round((memory.peak - memory.before) / MiB),
    )
    assert not wrong, "\n".join(wrong[:20])
    assert memory.peak - memory.before < MAX_PEAK_GROWTH, memory.summary()
