"""Every Cosmos DB query in core/adapters names its container's partition key in the WHERE clause (accountId for
the per-account containers) and is sent to that one partition. The local Cosmos DB server ignores the
partition-key header, and on real Cosmos DB a query without it fans out over every partition: without the filter in
the text, one account's query could read another's documents. Platform-wide sweeps are the only exception and are
listed here, each with its reason; a new cross-partition query fails this test until it is reviewed and listed."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from core import schema

ROOT = Path(__file__).resolve().parents[2]
ADAPTERS = sorted((ROOT / "core" / "adapters").glob("*.py"))
PARTITION_FIELDS = {spec.partition_key.lstrip("/") for spec in schema.CONTAINERS}
# (module, function) -> why it reads across partitions. Each is a timer's or a purge's platform-wide sweep.
CROSS_PARTITION = {
    ("cosmos.py", "list_expired_pending_invitations"): "daily expiry timer over every account's pending invitations",
    ("cosmos_expiry.py", "_query"): "ttl re-stamp after a hold or a retention change: a member's day partitions by"
    " the partition key's prefix, paged (one job per change, not per request)",
    ("cosmos_email.py", "list_stuck"): "outbox re-dispatch timer: one partition per e-mail by design",
    ("cosmos_email.py", "ids_with_prefix"): "outbox: one partition per e-mail by design",
    ("cosmos_email.py", "verified_recipients"): "policy notices go to every verified address of the platform",
    ("cosmos_privacy.py", "accounts_after"): "the purge's walk over every account (account ids only)",
    ("cosmos_page_views.py", "_query"): "page views: one person's events over the day partitions (export, erasure)",
    ("cosmos_page_views.py", "count"): "page views: an account's events over the day partitions (closure summary)",
    ("cosmos_page_views.py", "expired_page"): "page views: the purge's age sweep over old day partitions",
    ("cosmos_devices.py", "list_for_account"): "the owner's device list: one account's devices across its members'"
    " partitions, keyset-paged (one query a page instead of one per member)",
    ("privacy_pings.py", "count_of_user"): "an erasure's progress: one member's pings over their day partitions"
    " (one COUNT over a range of partition keys, once per erasure step)",
}


@dataclass
class Query:
    module: str
    function: str
    line: int
    text: str
    cross_partition: bool
    partition_key_given: bool


def _strings(node: ast.AST) -> str:
    return " ".join(n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str))


@cache
def _queries() -> list[Query]:
    found: list[Query] = []
    for path in ADAPTERS:
        tree = ast.parse(path.read_text())
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for call in ast.walk(fn):
                if not isinstance(call, ast.Call):
                    continue
                name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
                if name == "query_items":
                    arg = (
                        call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "query"), None)
                    )
                elif name == "first_page" and len(call.args) >= 2:
                    arg = call.args[1]
                else:
                    continue
                if arg is None:
                    continue
                text = _strings(arg)
                if any(isinstance(n, ast.Name) for n in ast.walk(arg)):  # built from parts (a list of clauses)
                    text += " " + _strings(fn)
                if "SELECT" not in text.upper():  # a helper that receives its query from its caller (first_page)
                    continue
                keywords = {k.arg: k.value for k in call.keywords}
                cross = (
                    isinstance(keywords.get("enable_cross_partition_query"), ast.Constant)
                    and keywords["enable_cross_partition_query"].value is True  # type: ignore[attr-defined]  # an ast.Constant keyword value here (the AST node type is ast.expr)
                )
                found.append(
                    Query(
                        path.name,
                        fn.name,
                        call.lineno,
                        text,
                        cross,
                        "partition_key" in keywords or name == "first_page",
                    )
                )
    return found


def test_queries_are_found() -> None:
    queries = _queries()
    assert len(queries) >= 25, "the scan must see the adapters' queries"
    assert {q.module for q in queries} >= {"cosmos.py", "cosmos_privacy.py", "cosmos_tracking.py", "cosmos_media.py"}


def test_every_query_names_its_partition_key_and_targets_one_partition() -> None:
    bad: list[str] = []
    for q in _queries():
        if q.cross_partition:
            continue
        names_pk = any(re.search(rf"\bc\.{f}\s*=\s*@\w+", q.text) for f in PARTITION_FIELDS)
        if not names_pk or not q.partition_key_given:
            bad.append(f"{q.module}:{q.line} {q.function}: {q.text[:100]!r}")
    assert not bad, "queries without their partition key in the text or without partition_key=:\n" + "\n".join(bad)


def test_cross_partition_queries_are_only_the_reviewed_sweeps() -> None:
    cross = {(q.module, q.function) for q in _queries() if q.cross_partition}
    assert cross <= set(CROSS_PARTITION), f"unreviewed cross-partition queries: {sorted(cross - set(CROSS_PARTITION))}"


def test_the_rule_catches_a_query_without_the_account_filter() -> None:
    text = "SELECT * FROM c WHERE c.docType = 'member'"
    assert not any(re.search(rf"\bc\.{f}\s*=\s*@\w+", text) for f in PARTITION_FIELDS)
