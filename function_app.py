"""Composition of the function app: create it and register each area's Blueprint. No I/O here."""

import azure.functions as func

from functions import (
    accounts,
    billing,
    consent,
    email,
    health,
    members,
    meta,
    notes,
    photos,
    policy,
    privacy,
    test_clock,
    tracking,
)

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

for area in (health, accounts, members, privacy, consent, tracking, photos, notes, email, policy, billing, test_clock,
             meta):
    app.register_functions(area.bp)
