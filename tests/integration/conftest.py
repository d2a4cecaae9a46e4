"""Integration fixtures: the real emulators (started by `make test`), a fresh database and queues per session,
and this checkout's function app served by the local host on a free port."""

from __future__ import annotations

import json
import os
import socket
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from core import schema
from core.settings import Settings
from devhost.launch import start_local_host
from scripts import dev_issuer
from tests.helpers import rid
from tests.integration import portal_address

ROOT = Path(__file__).resolve().parents[2]
EMULATOR_PORTS = {"Azurite": 10001, "Cosmos DB": 8081, "localstripe": 8420, "SMTP": 1025}


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Stack:
    base_url: str
    host_url: str
    log_path: Path
    settings: Settings
    suffix: str
    pid: int = 0  # the devhost's process id (tests read its memory from /proc/<pid>/status)

    def host_log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _load_settings_into_env() -> None:
    path = ROOT / "local.settings.json"
    if not path.exists():
        path = ROOT / "local.settings.sample.json"
    for key, value in json.loads(path.read_text())["Values"].items():
        os.environ.setdefault(key, str(value))


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    missing = [name for name, port in EMULATOR_PORTS.items() if not _port_open(port)]
    if missing:
        pytest.exit(f"local emulators not running ({', '.join(missing)}): run the suite with `make test`", 2)
    _load_settings_into_env()
    suffix = uuid.uuid4().hex[:8]
    os.environ["COSMOS_DATABASE"] = f"test-{suffix}"
    for q in schema.QUEUES:
        os.environ[q.setting] = f"{q.default_name}-{suffix}"
    # host.json overrides through app settings, as on the real host: quick retries keep the suite fast.
    os.environ["AzureFunctionsJobHost__extensions__queues__visibilityTimeout"] = "00:00:01"
    os.environ["AzureFunctionsJobHost__extensions__queues__maxPollingInterval"] = "00:00:00.5"
    os.environ["AUTH_JWKS_URI"] = f"file:{ROOT / '.local/dev-issuer/jwks.json'}"
    # This session's own test clock (docs/test-clock.md), never the one of a `make run` host in the same checkout.
    portal_address.apply_to_environment()  # invitation links open the test portal's join page
    os.environ["TEST_CLOCK_FILE"] = str(ROOT / ".local" / "run" / f"test-clock-{suffix}.json")
    dev_issuer.ensure_keys()

    from scripts.provision import drop, provision

    settings = Settings()
    provision(settings)
    host = start_local_host(log_path=ROOT / ".local" / "logs" / f"devhost-test-{suffix}.log", env=os.environ)
    try:
        host.wait_until_answering()
        yield Stack(host.api, host.base, host.log_path, settings, suffix, host.proc.pid)
    finally:
        host.stop()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the emulator's self-signed certificate, during clean-up
            drop(settings)


@pytest.fixture(scope="session")
def api(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class User:
    user_id: str
    email: str
    token: str = field(repr=False)  # never in test output
    account_id: str = ""

    @property
    def auth(self) -> dict[str, str]:
        return bearer(self.token)


def registration_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "fullLegalName": "Ada Owner",
        "companyName": "Field Co",
        "email": "ada@example.com",
        "billingAddress": {
            "line1": "1 Main St",
            "city": "Plymouth",
            "state": "MN",
            "postalCode": "55441",
            "country": "US",
        },
        "timeZone": "America/Chicago",
        "dateOfBirth": "1985-04-02",
    }
    body.update(overrides)
    return body


def new_identity(admin: bool = False) -> User:
    user_id = rid("u-")
    email = f"{user_id}@example.com"
    return User(user_id=user_id, email=email, token=dev_issuer.mint(user_id, email, admin=admin))


def register_owner(api: httpx.Client) -> User:
    owner = new_identity()
    r = api.post("/accounts", json=registration_body(email=owner.email), headers=owner.auth)
    assert r.status_code == 201, r.text
    owner.account_id = r.json()["account"]["accountId"]
    return owner


def add_member(api: httpx.Client, owner: User) -> User:
    member = new_identity()
    r = api.post(
        f"/accounts/{owner.account_id}/invitations",
        json={"email": member.email, "fullName": "Field Worker"},
        headers=owner.auth,
    )
    assert r.status_code == 201, r.text
    r = api.post(f"/invitations/{r.json()['token']}/accept", json={}, headers=member.auth)
    assert r.status_code == 201, r.text
    member.account_id = owner.account_id
    return member


@pytest.fixture
def owner(api: httpx.Client) -> User:
    return register_owner(api)


@pytest.fixture
def member(api: httpx.Client, owner: User) -> User:
    return add_member(api, owner)
