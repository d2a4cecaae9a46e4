"""Composition of the function app: create it and register each area's Blueprint. No I/O here."""

import azure.functions as func

from functions import (
    accounts,
    billing,
    consent,
    devices,
    email,
    health,
    members,
    meta,
    notes,
    photos,
    policy,
    privacy,
    tracking,
)

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

AREAS = (health, accounts, members, privacy, consent, tracking, photos, notes, email, policy, billing, devices, meta)
for area in AREAS:
    app.register_functions(area.bp)
