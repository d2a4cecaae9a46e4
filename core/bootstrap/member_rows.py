"""The owner's members page (core/services/member_rows.py): its reads of the account's partitions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.bootstrap.adapter import adapter
from core.bootstrap.clients import Clients

if TYPE_CHECKING:
    from core.adapters.cosmos_member_rows import CosmosMemberRowSource


class MemberRowPorts(Clients):
    @adapter
    def member_rows(self) -> CosmosMemberRowSource:
        from core.adapters.cosmos_member_rows import CosmosMemberRowSource

        return CosmosMemberRowSource(self.database)
