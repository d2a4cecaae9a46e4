"""Composition of the function app: create it and register each area's Blueprint. No I/O here."""

import azure.functions as func

from core.adapters.telemetry import trace_background_functions
from functions import accounts, billing, consent, email, health, members, meta, notes, photos, policy, privacy, tracking

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

for area in (health, accounts, members, privacy, consent, tracking, photos, notes, email, policy, billing, meta):
    trace_background_functions(area.bp)  # queue and timer invocations: invocation id and trace context on logs
    app.register_functions(area.bp)
