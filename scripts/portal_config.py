"""Finish the owner portal's Azure bundle: write its production config.json from the deployment's outputs and put the
Static Web Apps configuration beside it, after `npm run portal:build:azure` built portal/dist-azure.

    python -m scripts.portal_config --dist portal/dist-azure --outputs outputs.json   # GitHub workflow
    python -m scripts.portal_config --dist portal/dist-azure                         # azd hook: outputs from env

`--outputs` is the `properties.outputs` object of the deployment (`az deployment group show`); without it the
values are read from the environment, where azd puts the outputs of the last provision (infra/main.bicep,
PORTAL_CONFIG_*). Standard library only.

Refuses (exit 1, nothing written) when:
- the bundle was built for the local stack (it would accept the development sign-in): the Azure build carries
  AZURE_BUILD_REFUSAL (portal/src/config.ts) and the local one does not;
- a value is missing or malformed: the API base and the MSAL authority must be https URLs, the client id a GUID,
  the scope non-empty; a Stripe key must be a publishable one (`pk_`), never a secret key (`sk_`, `rk_`).
The written config always has auth.mode "msal": this script cannot produce a development sign-in.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
SWA_CONFIG = ROOT / "portal" / "staticwebapp.config.json"
AZURE_BUILD_REFUSAL = "This build of the portal is for Azure and signs in with MSAL only"  # portal/src/config.ts
STRIPE_JS = "https://js.stripe.com/v3/"
OUTPUTS = {
    "apiBase": "PORTAL_CONFIG_API_BASE",
    "clientId": "PORTAL_CONFIG_MSAL_CLIENT_ID",
    "authority": "PORTAL_CONFIG_MSAL_AUTHORITY",
    "scope": "PORTAL_CONFIG_API_SCOPE",
    "mapStyle": "PORTAL_CONFIG_MAP_STYLE",
    "mapProvider": "PORTAL_CONFIG_MAP_PROVIDER",
    "blobOrigin": "PORTAL_CONFIG_BLOB_ORIGIN",
    "stripeKey": "PORTAL_CONFIG_STRIPE_PUBLISHABLE_KEY",
}
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class ConfigError(ValueError):
    """A value the portal cannot be configured with."""


def values_from_outputs(outputs: Mapping[str, Any]) -> dict[str, str]:
    """The deployment outputs (`{"NAME": {"type": ..., "value": ...}}`, names compared without case)."""
    by_name = {str(k).upper(): v for k, v in outputs.items()}
    out: dict[str, str] = {}
    for key, name in OUTPUTS.items():
        entry = by_name.get(name)
        value = entry.get("value") if isinstance(entry, Mapping) else entry
        out[key] = "" if value is None else str(value)
    return out


def values_from_env(env: Mapping[str, str]) -> dict[str, str]:
    by_name = {k.upper(): v for k, v in env.items()}
    return {key: by_name.get(name, "") for key, name in OUTPUTS.items()}


def _https_url(value: str, what: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme != "https" or not parts.hostname:
        raise ConfigError(f"{what} must be an https URL, not {value!r}")
    return value.strip().rstrip("/")


def authority_host(authority: str) -> str:
    """The authority's host as MSAL.js compares it with `knownAuthorities`: with its port when it has one (a local
    provider's does; Entra's never)."""
    parts = urlsplit(authority)
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)


MAP_PROVIDERS = ("azure-maps", "offline")


def _map(values: Mapping[str, str]) -> dict[str, Any]:
    """The base map: Azure Maps when infra deployed it (docs/portal.md, "Base map"), a style URL if one is given."""
    provider = values.get("mapProvider", "").strip() or "offline"
    if provider not in MAP_PROVIDERS:
        raise ConfigError(f"{OUTPUTS['mapProvider']} must be one of {', '.join(MAP_PROVIDERS)}, not {provider!r}")
    style = _https_url(values["mapStyle"], OUTPUTS["mapStyle"]) if values.get("mapStyle") else None
    return {"provider": provider, "style": style}


def production_config(values: Mapping[str, str]) -> dict[str, Any]:
    """The config.json of the deployed portal. Raises ConfigError on a missing or malformed value."""
    missing = [OUTPUTS[k] for k in ("apiBase", "clientId", "authority", "scope") if not values.get(k, "").strip()]
    if missing:
        raise ConfigError(f"missing deployment outputs: {', '.join(missing)} (provision first)")
    api_base = _https_url(values["apiBase"], OUTPUTS["apiBase"])
    authority = _https_url(values["authority"], OUTPUTS["authority"])
    client_id = values["clientId"].strip()
    if not _GUID.match(client_id):
        raise ConfigError(f"{OUTPUTS['clientId']} must be the portal app registration's client id (a GUID)")
    config: dict[str, Any] = {
        "apiBase": api_base,
        "auth": {
            "mode": "msal",
            "msal": {
                "clientId": client_id,
                "authority": authority,
                "knownAuthorities": [authority_host(authority)],
                "scopes": [values["scope"].strip()],
            },
        },
        "map": _map(values),
    }
    key = values.get("stripeKey", "").strip()
    if key:
        if not key.startswith("pk_"):
            raise ConfigError(
                f"{OUTPUTS['stripeKey']} must be a Stripe publishable key (pk_...); a secret key never goes to a browser"
            )
        config["stripe"] = {"jsUrl": STRIPE_JS, "publishableKey": key}
    return config


def check_azure_build(dist: Path) -> None:
    if not (dist / "index.html").is_file():
        raise ConfigError(f"{dist} has no index.html: run `npm run portal:build:azure` first")
    bundles = list((dist / "assets").glob("*.js"))
    if not any(AZURE_BUILD_REFUSAL in p.read_text(encoding="utf-8", errors="replace") for p in bundles):
        raise ConfigError(
            f"{dist} was not built for Azure (it would accept the development sign-in): "
            "run `npm run portal:build:azure`"
        )


AZURE_MAPS = "https://atlas.microsoft.com"


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def named_hosts(csp: str, *, connect: Sequence[str], images: Sequence[str]) -> str:
    """The deployed policy names its hosts: the `https:` wildcard the local file keeps (for the local stand-ins) is
    replaced in connect-src by `connect` and in img-src by `images`; every other directive stays as it is."""
    out = []
    for part in (p.strip() for p in csp.split(";") if p.strip()):
        name, *sources = part.split()
        extra = connect if name == "connect-src" else images if name == "img-src" else None
        if extra is not None and "https:" in sources:
            sources = [src for src in sources if src != "https:"]
            sources += [host for host in extra if host not in sources]
        out.append(" ".join([name, *sources]))
    return "; ".join(out)


def swa_config_for(config: Mapping[str, Any], values: Mapping[str, str], swa_config: Path = SWA_CONFIG) -> str:
    """staticwebapp.config.json with each Content-Security-Policy naming exactly the hosts the portal talks to: the
    API, the sign-in authority, Azure Maps when it is the base map, the photos' blob endpoint (read links)."""
    doc = json.loads(swa_config.read_text(encoding="utf-8"))
    connect = [_origin_of(config["apiBase"]), _origin_of(config["auth"]["msal"]["authority"])]
    images = []
    if config["map"]["provider"] == "azure-maps":
        connect.append(AZURE_MAPS)
    if config["map"]["style"]:
        connect.append(_origin_of(config["map"]["style"]))
    blob = values.get("blobOrigin", "").strip()
    if blob:
        images.append(_origin_of(_https_url(blob, OUTPUTS["blobOrigin"])))
    headers = [doc.get("globalHeaders", {})] + [r.get("headers", {}) for r in doc.get("routes", [])]
    for h in headers:
        if "Content-Security-Policy" in h:
            h["Content-Security-Policy"] = named_hosts(h["Content-Security-Policy"], connect=connect, images=images)
    return json.dumps(doc, indent=2) + "\n"


def write(dist: Path, values: Mapping[str, str], swa_config: Path = SWA_CONFIG) -> dict[str, Any]:
    check_azure_build(dist)
    config = production_config(values)
    (dist / "staticwebapp.config.json").write_text(swa_config_for(config, values, swa_config), encoding="utf-8")
    (dist / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    return config


def main(argv: Sequence[str] | None = None) -> int:
    cli = argparse.ArgumentParser(description="Write the deployed owner portal's config.json.")
    cli.add_argument("--dist", type=Path, required=True, help="the Azure build (portal/dist-azure)")
    cli.add_argument("--outputs", type=Path, default=None, help="deployment outputs JSON (default: environment)")
    args = cli.parse_args(argv)
    if args.outputs is not None:
        values = values_from_outputs(json.loads(args.outputs.read_text(encoding="utf-8")))
    else:
        values = values_from_env(os.environ)
    try:
        config = write(args.dist, values)
    except ConfigError as e:
        print(f"portal config: {e}", file=sys.stderr)
        return 1
    stripe = "with" if "stripe" in config else "without"
    print(f"portal config: {args.dist}/config.json (API {config['apiBase']}, MSAL sign-in, {stripe} Stripe billing)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
