"""The portal's API types are generated from the served OpenAPI document (issue 15): this fails when
portal/src/api/schema.d.ts no longer matches the endpoints (fix: `python -m scripts.portal_types`)."""

from __future__ import annotations

from scripts import portal_types


def test_generated_api_types_are_current() -> None:
    assert portal_types.GENERATOR.exists(), "openapi-typescript is missing: run `make install` (npm ci)"
    assert portal_types.TARGET.read_text() == portal_types.generate(), (
        "portal/src/api/schema.d.ts is stale: run `python -m scripts.portal_types`"
    )
