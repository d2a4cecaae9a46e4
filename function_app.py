"""Composition of the function app: create it and register each area's Blueprint. No I/O here.

The settings are read (from the environment only, no connection) at import, so a configuration the app must not run
with (e.g. `MINIMUM_AGE_YEARS` below 13, an unresolved Key Vault reference) stops the host at start-up instead of
failing on the first request that needs it."""

import azure.functions as func

from core.bootstrap import trace_background_functions
from core.settings import get_settings
from functions import (
    accounts,
    analytics,
    billing,
    consent,
    devices,
    email,
    health,
    job_sites,
    maps,
    members,
    meta,
    notes,
    photos,
    policy,
    privacy,
    private_zones,
    test_clock,
    tracking,
)

get_settings()

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

AREAS = (
    health,
    accounts,
    members,
    privacy,
    consent,
    tracking,
    private_zones,
    photos,
    notes,
    email,
    policy,
    billing,
    devices,
    job_sites,
    analytics,
    maps,
    test_clock,
    meta,
)
for area in AREAS:
    trace_background_functions(area.bp)  # queue and timer invocations: invocation id and trace context on logs
    app.register_functions(area.bp)
