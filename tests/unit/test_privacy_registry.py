"""The personal-data registry as wired (core/adapters/privacy_registry.py), without the emulator: every expected kind
is there once (a missing area fails here, it is not skipped), the purge order keeps what finds the account's users
before the member profiles, and a kind's `count` asks the database for a COUNT instead of reading documents."""

from __future__ import annotations

from typing import Any, cast

import pytest
from azure.cosmos import DatabaseProxy

from core.adapters.privacy_registry import platform_kinds, registered_kinds
from core.ports import PersonalDataKind
from core.services.retention import EXPECTED_KINDS


class Pager:
    continuation_token = None

    def __iter__(self) -> Any:
        return iter(())

    def by_page(self) -> Any:
        return iter([[]])


class Container:
    """Records each query; answers 3 to a COUNT, one member `u1` to a member list, nothing otherwise. No point
    reads (a count that read a document would fail on the missing `read_item`)."""

    def __init__(self, name: str, log: list[tuple[str, str, dict[str, Any]]]) -> None:
        self.name, self.log = name, log

    def query_items(self, query: str, **kwargs: Any) -> Any:
        self.log.append((self.name, query, kwargs))
        if "COUNT(1)" in query:
            return iter([3])
        if "SELECT VALUE c.user_id" in query:
            return iter(["u1"])
        if "SELECT c.user_id" in query:
            return iter([{"user_id": "u1"}])
        return Pager()


class Database:
    def __init__(self) -> None:
        self.log: list[tuple[str, str, dict[str, Any]]] = []

    def get_container_client(self, name: str) -> Container:
        return Container(name, self.log)


def wired(database: Database) -> list[PersonalDataKind]:
    return registered_kinds(database, sink=None, blobs=None)  # type: ignore[arg-type]  # no blob call is made here


def test_every_expected_kind_is_wired_once() -> None:
    database = Database()
    names = [k.name for k in wired(database)]
    sdk = cast(DatabaseProxy, database)  # a partial fake of the SDK's database: only get_container_client is called
    platform = [k.name for k in platform_kinds(sdk, outbox_days=90, page_views_days=30)]
    assert len(names) == len(set(names))
    assert set(EXPECTED_KINDS) <= set(names) | set(platform), sorted(set(EXPECTED_KINDS) - set(names) - set(platform))


def test_kinds_that_find_users_through_the_profiles_go_before_them() -> None:
    order = [k.name for k in wired(Database())]
    before_profiles = (
        "sign-in-records",
        "pings",
        "consents",
        "tracking-schedules",
        "latest-positions",
        "devices",
        "private-zones",
        "withheld-pings",
        "policy-acknowledgements",
        "email-preferences",
        "email-status",
    )
    assert all(order.index(name) < order.index("profiles") for name in before_profiles)
    assert order.index("data-exports") < order.index("privacy-requests")
    assert order.index("closure-record") > order.index("profiles") and order.index("billing-records") > order.index(
        "billing-history"
    )


@pytest.mark.parametrize("name", [k.name for k in wired(Database()) if k.name != "pings"])
def test_count_is_a_count_query_never_a_read_of_the_documents(name: str) -> None:
    database = Database()
    kind = next(k for k in wired(database) if k.name == name)
    database.log.clear()
    assert kind.count(account_id="a1") == 3  # the account's COUNT, or the sum over its one member's partition
    counts = [q for _, q, _ in database.log if "COUNT(1)" in q]
    reads = [q for _, q, _ in database.log if "COUNT(1)" not in q and "c.user_id" not in q]
    assert counts and not reads, database.log


def test_pings_are_not_counted() -> None:
    database = Database()
    pings = next(k for k in wired(database) if k.name == "pings")
    database.log.clear()
    assert pings.count(account_id="a1") == -1 and database.log == []
