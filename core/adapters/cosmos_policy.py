"""Cosmos DB side of policy versions: the `policy` container (partition = policy id, 'privacy') and the users'
acknowledgements in `users` (partition = user id)."""

from __future__ import annotations

from typing import Any

from azure.cosmos import ContainerProxy, DatabaseProxy
from azure.cosmos import exceptions as cosmos_errors

from core import schema
from core.adapters.cosmos import strip_system, to_doc
from core.domain.policy import POLICY_ID, PolicyAcknowledgement, PolicyVersion


def _clean(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in strip_system(doc).items() if k not in ("policyId", "userId")}


class CosmosPolicyStore:
    def __init__(self, database: DatabaseProxy) -> None:
        self._c: ContainerProxy = database.get_container_client(schema.POLICY.name)
        self._users: ContainerProxy = database.get_container_client(schema.USERS.name)

    def create_version(self, version: PolicyVersion) -> bool:
        doc = to_doc(
            version, doc_id=f"version-{version.version_id}", doc_type="policy-version", policyId=version.policy_id
        )
        try:
            self._c.create_item(doc)  # never upsert: a posted version is immutable
        except cosmos_errors.CosmosResourceExistsError:
            return False
        return True

    def get_version(self, version_id: str) -> PolicyVersion | None:
        try:
            doc: dict[str, Any] = self._c.read_item(item=f"version-{version_id}", partition_key=POLICY_ID)
        except cosmos_errors.CosmosResourceNotFoundError:
            return None
        return PolicyVersion.model_validate(_clean(doc)) if doc.get("docType") == "policy-version" else None

    def list_versions(self) -> list[PolicyVersion]:
        docs = self._c.query_items(
            "SELECT * FROM c WHERE c.policyId = @p AND c.docType = 'policy-version'",
            parameters=[{"name": "@p", "value": POLICY_ID}],
            partition_key=POLICY_ID,
        )
        return [PolicyVersion.model_validate(_clean(d)) for d in docs]

    def put_acknowledgement(self, ack: PolicyAcknowledgement) -> None:
        self._users.upsert_item(
            to_doc(ack, doc_id=f"policy-ack-{ack.version_id}-{ack.app}", doc_type="policy-ack", userId=ack.user_id)
        )

    def list_acknowledgements(self, user_id: str) -> list[PolicyAcknowledgement]:
        docs = self._users.query_items(
            "SELECT * FROM c WHERE c.userId = @u AND c.docType = 'policy-ack'",
            parameters=[{"name": "@u", "value": user_id}],
            partition_key=user_id,
        )
        return [PolicyAcknowledgement.model_validate(_clean(d)) for d in docs]
