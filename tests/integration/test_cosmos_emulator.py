"""The local Cosmos DB stand-in (`tools/cosmos-emulator.js`, issue 27): time-to-live as Cosmos DB documents it, and
queries scoped to one partition reading only that partition. Everything goes through the real SDK, built as the app
builds it for the local emulator, on an emulator process of this module's own (its clock is moved, its counters
are read), never the shared one on 8081."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from azure.cosmos import ContainerProxy, DatabaseProxy, PartitionKey
from azure.cosmos import exceptions as cosmos_errors

from scripts.cosmos_emulator import PrivateCosmosEmulator
from tests.helpers import rid, wait_for

DAY = 24 * 3600


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateCosmosEmulator]:
    log_path = tmp_path_factory.mktemp("cosmos-emulator") / "emulator.log"
    with PrivateCosmosEmulator(log_path=log_path, sweep_ms=100) as emu:
        yield emu


@pytest.fixture(scope="module")
def database(emulator: PrivateCosmosEmulator) -> DatabaseProxy:
    return emulator.client().create_database(rid("emulator-test-"))


@pytest.fixture(autouse=True)
def real_time(emulator: PrivateCosmosEmulator) -> Iterator[None]:
    """Every test starts and ends on the real time with the sweep running."""
    emulator.set_clock_offset(0)
    emulator.pause_sweep(False)
    yield
    emulator.set_clock_offset(0)
    emulator.pause_sweep(False)


def new_container(database: DatabaseProxy, *, default_ttl: int | None) -> ContainerProxy:
    """A container partitioned on /pk; `default_ttl=None` leaves `defaultTtl` out."""
    return database.create_container(rid("c-"), partition_key=PartitionKey(path="/pk"), default_ttl=default_ttl)


def exists(container: ContainerProxy, item_id: str, pk: Any) -> bool:
    try:
        container.read_item(item_id, partition_key=pk)
    except cosmos_errors.CosmosResourceNotFoundError:
        return False
    return True


def present(container: ContainerProxy, items: Iterable[tuple[str, Any]]) -> set[str]:
    return {item_id for item_id, pk in items if exists(container, item_id, pk)}


def ids(docs: Iterable[dict[str, Any]]) -> set[str]:
    return {d["id"] for d in docs}


def values(result: Iterable[Any]) -> list[Any]:
    """The rows of a `SELECT VALUE` query (the SDK types every row as a document)."""
    return list(result)


# ---------------------------------------------------------------- time-to-live


def test_default_ttl_is_accepted_on_create_and_replace_and_read_back(database: DatabaseProxy) -> None:
    container = new_container(database, default_ttl=3600)
    assert container.read()["defaultTtl"] == 3600
    container.create_item({"id": "kept", "pk": "a"})

    database.replace_container(container, partition_key=PartitionKey(path="/pk"), default_ttl=-1)
    assert container.read()["defaultTtl"] == -1
    assert exists(container, "kept", "a"), "replacing the container lost its items"

    database.replace_container(container, partition_key=PartitionKey(path="/pk"))
    assert container.read().get("defaultTtl") is None

    with pytest.raises(cosmos_errors.CosmosHttpResponseError) as refused:
        new_container(database, default_ttl=0)
    assert refused.value.status_code == 400


def test_container_default_ttl_expires_an_item_after_its_last_write(
    emulator: PrivateCosmosEmulator, database: DatabaseProxy
) -> None:
    container = new_container(database, default_ttl=1000)
    container.create_item({"id": "x", "pk": "a"})

    emulator.set_clock_offset(900)
    assert exists(container, "x", "a")
    emulator.set_clock_offset(1100)
    assert not exists(container, "x", "a")


def test_an_item_ttl_overrides_the_container_default(emulator: PrivateCosmosEmulator, database: DatabaseProxy) -> None:
    container = new_container(database, default_ttl=1000)
    container.create_item({"id": "short", "pk": "a", "ttl": 100})
    container.create_item({"id": "plain", "pk": "a"})
    container.create_item({"id": "long", "pk": "b", "ttl": 5000})
    container.create_item({"id": "never", "pk": "b", "ttl": -1})
    items = [("short", "a"), ("plain", "a"), ("long", "b"), ("never", "b")]

    emulator.set_clock_offset(200)
    assert present(container, items) == {"plain", "long", "never"}
    emulator.set_clock_offset(2000)
    assert present(container, items) == {"long", "never"}
    emulator.set_clock_offset(100 * 365 * DAY)
    assert present(container, items) == {"never"}


def test_default_ttl_minus_one_expires_only_items_with_a_ttl_of_their_own(
    emulator: PrivateCosmosEmulator, database: DatabaseProxy
) -> None:
    container = new_container(database, default_ttl=-1)
    container.create_item({"id": "plain", "pk": "a"})
    container.create_item({"id": "own", "pk": "a", "ttl": 100})
    items = [("plain", "a"), ("own", "a")]

    emulator.set_clock_offset(50)
    assert present(container, items) == {"plain", "own"}
    emulator.set_clock_offset(200)
    assert present(container, items) == {"plain"}
    emulator.set_clock_offset(100 * 365 * DAY)
    assert present(container, items) == {"plain"}


def test_without_default_ttl_an_item_ttl_is_ignored(emulator: PrivateCosmosEmulator, database: DatabaseProxy) -> None:
    container = new_container(database, default_ttl=None)
    container.create_item({"id": "own", "pk": "a", "ttl": 10})

    emulator.set_clock_offset(100 * 365 * DAY)
    assert exists(container, "own", "a")
    assert [d["id"] for d in container.query_items("SELECT * FROM c", partition_key="a")] == ["own"]


def test_an_expired_item_is_invisible_at_once_to_every_read(
    emulator: PrivateCosmosEmulator, database: DatabaseProxy
) -> None:
    container = new_container(database, default_ttl=1000)
    container.create_item({"id": "gone", "pk": "a"})
    container.create_item({"id": "stays", "pk": "a", "ttl": -1})
    container.create_item({"id": "other", "pk": "b", "ttl": -1})
    emulator.pause_sweep(True)  # what follows is the read paths' doing, not the background removal's
    emulator.set_clock_offset(1100)

    by_pk: list[dict[str, object]] = [{"name": "@p", "value": "a"}]
    scoped = container.query_items("SELECT * FROM c WHERE c.pk = @p", parameters=by_pk, partition_key="a")
    assert ids(scoped) == {"stays"}
    assert ids(container.query_items("SELECT * FROM c", enable_cross_partition_query=True)) == {"stays", "other"}
    assert values(container.query_items("SELECT VALUE COUNT(1) FROM c", partition_key="a")) == [1]
    assert values(container.query_items("SELECT VALUE COUNT(1) FROM c", enable_cross_partition_query=True)) == [2]
    assert ids(container.read_all_items()) == {"stays", "other"}
    assert emulator.container_stats(database.id, container.id)["stored"] == 3, "the expired item is still in memory"

    assert not exists(container, "gone", "a")
    recreated = container.create_item({"id": "gone", "pk": "a", "v": 2})
    assert recreated["_ts"] >= time.time() + 1100 - 60
    assert container.read_item("gone", partition_key="a")["v"] == 2


def test_expired_items_are_removed_in_the_background(emulator: PrivateCosmosEmulator, database: DatabaseProxy) -> None:
    container = new_container(database, default_ttl=1000)
    for i in range(50):
        container.create_item({"id": f"e{i}", "pk": f"p{i % 5}"})
    container.create_item({"id": "kept", "pk": "p0", "ttl": -1})
    emulator.pause_sweep(True)
    emulator.set_clock_offset(1100)
    assert emulator.container_stats(database.id, container.id)["stored"] == 51
    swept_before = emulator.stats()["sweep"]["expiredSwept"]

    emulator.pause_sweep(False)
    wait_for(
        lambda: emulator.container_stats(database.id, container.id)["stored"] == 1,
        timeout=30,
        what="the sweep to remove the 50 expired items",
    )
    after = emulator.stats()
    assert after["sweep"]["expiredSwept"] - swept_before >= 50
    assert emulator.container_stats(database.id, container.id)["pendingExpiries"] == 0
    assert exists(container, "kept", "p0")


def test_replace_and_upsert_stamp_ts_and_restart_the_expiry(
    emulator: PrivateCosmosEmulator, database: DatabaseProxy
) -> None:
    container = new_container(database, default_ttl=1000)
    before = time.time()
    written = container.create_item({"id": "replaced", "pk": "a"})
    assert math.floor(before) <= written["_ts"] <= time.time(), "_ts is the time of the write, in seconds"
    container.create_item({"id": "upserted", "pk": "a"})
    container.create_item({"id": "untouched", "pk": "a"})

    emulator.set_clock_offset(900)
    replaced = container.replace_item("replaced", {"id": "replaced", "pk": "a", "v": 2})
    assert replaced["_ts"] >= written["_ts"] + 899, "_ts follows the emulator's moved clock"
    container.upsert_item({"id": "upserted", "pk": "a", "v": 2})
    items = [("replaced", "a"), ("upserted", "a"), ("untouched", "a")]

    emulator.set_clock_offset(1100)
    assert present(container, items) == {"replaced", "upserted"}
    emulator.set_clock_offset(2000)
    assert present(container, items) == set()


# ---------------------------------------------------------------- partition-scoped queries

PARTITIONS: tuple[Any, ...] = ("a", "b", "1", 1, "empty")


def test_a_partition_scoped_query_answers_as_the_cross_partition_one(
    emulator: PrivateCosmosEmulator, database: DatabaseProxy
) -> None:
    container = new_container(database, default_ttl=None)
    for i in range(40):
        container.create_item({"id": f"i{i}", "pk": PARTITIONS[i % 4], "n": i, "tag": "x" if i % 3 else "y"})
    total = 40
    # Each query pins c.pk; written `NOT (c.pk != @p)` it means the same but is not recognised as pinned, so the
    # emulator scans the whole container for it: the reference answer.
    queries = (
        "SELECT * FROM c WHERE {pin} AND c.n > 3 ORDER BY c.n DESC",
        "SELECT VALUE COUNT(1) FROM c WHERE {pin} AND c.tag = 'x'",
        "SELECT c.id, c.n FROM c WHERE {pin}",
    )
    for template in queries:
        for pk in PARTITIONS:
            params: list[dict[str, Any]] = [{"name": "@p", "value": pk}]
            reference = list(
                container.query_items(
                    template.format(pin="NOT (c.pk != @p)"), parameters=params, enable_cross_partition_query=True
                )
            )
            assert emulator.stats()["lastQuery"]["scanned"] == total
            pinned = template.format(pin="c.pk = @p")
            by_header = list(container.query_items(pinned, parameters=params, partition_key=pk))
            assert emulator.stats()["lastQuery"]["scope"] == "partition"
            by_where = list(container.query_items(pinned, parameters=params, enable_cross_partition_query=True))
            assert emulator.stats()["lastQuery"]["scope"] == "partition"
            assert by_header == reference, (template, pk)
            assert by_where == reference, (template, pk)

    paged = container.query_items(
        "SELECT * FROM c WHERE c.pk = @p ORDER BY c.n", parameters=[{"name": "@p", "value": "a"}], partition_key="a"
    )
    pages = [list(page) for page in paged.by_page()]  # default page size; and 3 at a time below
    small = container.query_items("SELECT * FROM c ORDER BY c.n", partition_key="a", max_item_count=3)
    small_pages = [list(page) for page in small.by_page()]
    assert len(small_pages) > 1
    assert [d for page in small_pages for d in page] == [d for page in pages for d in page]


@pytest.mark.slow
def test_a_query_in_a_small_partition_scans_only_that_partition(
    emulator: PrivateCosmosEmulator, database: DatabaseProxy
) -> None:
    container = new_container(database, default_ttl=None)
    others = [f"bulk-{p:03d}" for p in range(100)]

    def fill(pk: str) -> None:
        for start in range(0, 200, 100):
            container.execute_item_batch(
                [("create", ({"id": f"{pk}-{i}", "pk": pk, "n": i},)) for i in range(start, start + 100)],
                partition_key=pk,
            )

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(fill, others))
    for i in range(10):
        container.create_item({"id": f"t{i}", "pk": "target", "n": i})
    assert emulator.container_stats(database.id, container.id)["stored"] == 20_010

    found = list(container.query_items("SELECT * FROM c WHERE c.n >= 0", partition_key="target"))
    assert ids(found) == {f"t{i}" for i in range(10)}
    last = emulator.stats()["lastQuery"]
    assert (last["container"], last["scope"], last["scanned"], last["visible"]) == (container.id, "partition", 10, 10)
    pinned = container.query_items(
        "SELECT VALUE COUNT(1) FROM c WHERE c.pk = @p",
        parameters=[{"name": "@p", "value": "target"}],
        enable_cross_partition_query=True,
    )
    assert values(pinned) == [10]
    assert emulator.stats()["lastQuery"]["scanned"] == 10

    everything = container.query_items("SELECT VALUE COUNT(1) FROM c", enable_cross_partition_query=True)
    assert values(everything) == [20_010]
    assert emulator.stats()["lastQuery"]["scanned"] == 20_010
