"""Billing in the privacy registry (docs/billing.md): the `billing` container that `core/adapters/cosmos_billing.py`
writes. Kept after closure with the billing records (tax and accounting law); never exported or erased on request.
"""

from __future__ import annotations

from azure.cosmos import DatabaseProxy

from core import schema
from core.adapters.privacy_kinds import KeysetKind


def billing_kinds(database: DatabaseProxy) -> list[KeysetKind]:
    billing = schema.BILLING.name
    return [
        KeysetKind(
            database,
            name="billing-history",
            doc_type="billing",
            container=billing,
            export_file=None,
            description="The account's Stripe customer and subscription ids and billing status history.",
            kept_for="billing-records",
        ),
        KeysetKind(
            database,
            name="stripe-events",
            doc_type="stripe-event",
            container=billing,
            export_file=None,
            description="Stripe events applied to the account.",
            kept_for="billing-records",
        ),
    ]
