"""The azd hooks (azure.yaml), run with dash (a strict POSIX shell) against stand-ins for `azd` (records `azd env set`)
and `az` (answers whether the vault holds token-signing-key): the preprovision hook stops on a missing or malformed
value with the command to run, asks for it in a terminal, and provides the token signing key of a first provision
without replacing one that is already in Key Vault; the postprovision hook removes the key from the azd
environment."""

from __future__ import annotations

import base64
import os
import pty
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.infra.bicep_text import ROOT, read

HOOKS = yaml.safe_load(read(ROOT / "azure.yaml"))["hooks"]
PREPROVISION = ROOT / HOOKS["preprovision"]["run"]
POSTPROVISION = ROOT / HOOKS["postprovision"]["run"]
VALID = {
    "INDUSTRACK_AUTH_ISSUER": "https://11111111-2222-3333-4444-555555555555.ciamlogin.com/11111111-2222-3333-4444-555555555555/v2.0",
    "INDUSTRACK_AUTH_JWKS_URI": "https://contoso.ciamlogin.com/11111111-2222-3333-4444-555555555555/discovery/v2.0/keys",
    "INDUSTRACK_PORTAL_CLIENT_ID": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
}


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    azd_calls: list[list[str]]


def shell() -> str:
    found = shutil.which("dash") or shutil.which("sh")
    assert found, "a POSIX shell is needed"
    return found


@pytest.fixture
def stubs(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "azd").write_text('#!/bin/sh\nprintf "%s\\n" "$*" >> "$AZD_LOG"\n')
    (bin_dir / "az").write_text('#!/bin/sh\nprintf "%s\\n" "$*" >> "$AZ_LOG"\nexit "${AZ_EXIT:-1}"\n')
    for stub in bin_dir.iterdir():
        stub.chmod(0o755)
    return tmp_path


def run_hook(
    script: Path, stubs: Path, env: Mapping[str, str], stdin: int | None = subprocess.DEVNULL, with_az: bool = True
) -> Run:
    bin_dir = stubs / "bin"
    if not with_az:
        (bin_dir / "az").unlink(missing_ok=True)
    log = stubs / "azd.log"
    log.write_text("")
    full = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "AZD_LOG": str(log),
        "AZ_LOG": str(stubs / "az.log"),
        **env,
    }
    done = subprocess.run(
        [shell(), str(script)], env=full, stdin=stdin, capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    calls = [line.split(" ") for line in log.read_text().splitlines()]
    return Run(done.returncode, done.stdout, done.stderr, calls)


def stored(run: Run, name: str) -> str | None:
    values = [c[3] if len(c) > 3 else "" for c in run.azd_calls if c[:3] == ["env", "set", name]]
    return values[-1] if values else None


def test_the_hooks_are_posix_scripts_that_dash_parses() -> None:
    for script in (PREPROVISION, POSTPROVISION):
        assert read(script).startswith("#!/bin/sh\n")
        done = subprocess.run([shell(), "-n", str(script)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("missing", sorted(VALID))
def test_a_missing_value_stops_the_provision_and_names_the_command(stubs: Path, missing: str) -> None:
    env = {k: v for k, v in VALID.items() if k != missing}
    run = run_hook(PREPROVISION, stubs, env)
    assert run.returncode == 1
    assert f"{missing} is not set" in run.stderr and f"azd env set {missing} <value>" in run.stderr
    assert stored(run, "INDUSTRACK_TOKEN_SIGNING_KEY") is None, "nothing is generated when the check fails"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("INDUSTRACK_AUTH_ISSUER", "http://issuer.example/v2.0", "must be an https URL"),
        ("INDUSTRACK_PORTAL_CLIENT_ID", "portal", "must be a GUID"),
        ("INDUSTRACK_STRIPE_BILLING", "yes", "must be true or false"),
        ("INDUSTRACK_STRIPE_BILLING", "true", "INDUSTRACK_STRIPE_PUBLISHABLE_KEY pk_"),
        ("INDUSTRACK_STRIPE_PUBLISHABLE_KEY", "sk_live_123", "must be a publishable key"),
    ],
)
def test_a_malformed_value_stops_the_provision(stubs: Path, name: str, value: str, expected: str) -> None:
    run = run_hook(PREPROVISION, stubs, {**VALID, name: value})
    assert run.returncode == 1 and expected in run.stderr, run.stderr


def test_a_first_provision_gets_a_generated_token_signing_key(stubs: Path) -> None:
    run = run_hook(PREPROVISION, stubs, VALID, with_az=False)
    assert run.returncode == 0, run.stderr
    key = stored(run, "INDUSTRACK_TOKEN_SIGNING_KEY")
    assert key, run.azd_calls
    assert len(base64.b64decode(key, validate=True)) == 48
    assert "generated a new token signing key" in run.stdout and key not in run.stdout + run.stderr
    again = run_hook(PREPROVISION, stubs, VALID, with_az=False)
    assert stored(again, "INDUSTRACK_TOKEN_SIGNING_KEY") != key, "a new random key each time one is generated"


def test_a_given_key_or_one_already_in_key_vault_is_kept(stubs: Path) -> None:
    given = run_hook(PREPROVISION, stubs, {**VALID, "INDUSTRACK_TOKEN_SIGNING_KEY": "given-key"})
    assert given.returncode == 0 and stored(given, "INDUSTRACK_TOKEN_SIGNING_KEY") is None
    assert "writes it to Key Vault" in given.stdout
    earlier = {**VALID, "keyVaultName": "kv-abc-dev", "AZURE_RESOURCE_GROUP": "rg-industrack-dev"}
    in_vault = run_hook(PREPROVISION, stubs, {**earlier, "AZ_EXIT": "0"})
    assert in_vault.returncode == 0 and stored(in_vault, "INDUSTRACK_TOKEN_SIGNING_KEY") is None
    assert "already in Key Vault kv-abc-dev" in in_vault.stdout
    asked = read(stubs / "az.log")
    assert "--parent vaults/kv-abc-dev" in asked and "--name token-signing-key" in asked
    not_in_vault = run_hook(PREPROVISION, stubs, {**earlier, "AZ_EXIT": "3"})
    assert not_in_vault.returncode == 0 and stored(not_in_vault, "INDUSTRACK_TOKEN_SIGNING_KEY")


def test_empty_values_get_their_defaults_written_back(stubs: Path) -> None:
    run = run_hook(PREPROVISION, stubs, {**VALID, "INDUSTRACK_AUTH_AUDIENCE": "", "INDUSTRACK_STRIPE_BILLING": ""})
    assert run.returncode == 0, run.stderr
    assert stored(run, "INDUSTRACK_AUTH_AUDIENCE") == "api://industrack"
    assert stored(run, "INDUSTRACK_STRIPE_BILLING") == "false"
    assert stored(run, "INDUSTRACK_EMAIL_DOMAIN_VERIFIED") is None, "an unset value is left to the parameter default"


def test_in_a_terminal_the_missing_values_are_asked_for(stubs: Path) -> None:
    primary, secondary = pty.openpty()
    try:
        answers = [
            VALID[k] for k in ("INDUSTRACK_AUTH_ISSUER", "INDUSTRACK_AUTH_JWKS_URI", "INDUSTRACK_PORTAL_CLIENT_ID")
        ]
        os.write(primary, ("\n".join(answers) + "\n").encode())
        run = run_hook(PREPROVISION, stubs, {}, stdin=secondary, with_az=False)
    finally:
        os.close(primary)
        os.close(secondary)
    assert run.returncode == 0, run.stdout + run.stderr
    for name, value in VALID.items():
        assert f"({name}): " in run.stdout
        assert stored(run, name) == value


def test_the_postprovision_hook_removes_the_key_from_the_azd_environment(stubs: Path) -> None:
    run = run_hook(POSTPROVISION, stubs, {"INDUSTRACK_TOKEN_SIGNING_KEY": "k", "keyVaultName": "kv-abc-dev"})
    assert run.returncode == 0 and stored(run, "INDUSTRACK_TOKEN_SIGNING_KEY") == ""
    assert "kv-abc-dev" in run.stdout
    nothing = run_hook(POSTPROVISION, stubs, {})
    assert nothing.returncode == 0 and nothing.azd_calls == []
