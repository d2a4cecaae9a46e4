"""The local development token issuer: an RSA key under .local/dev-issuer and a JWKS the app reads.

python -m scripts.dev_issuer init
python -m scripts.dev_issuer mint --sub USER_ID --email a@example.com [--admin] [--minutes 60]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ROOT = Path(__file__).resolve().parent.parent
DIR = ROOT / ".local" / "dev-issuer"
ISSUER = "https://dev-issuer.industrack.local/"
AUDIENCE = "api://industrack"


def ensure_keys(directory: Path = DIR) -> tuple[Any, str]:  # (RSA private key, kid)
    directory.mkdir(parents=True, exist_ok=True)
    key_file, jwks_file = directory / "key.pem", directory / "jwks.json"
    if not key_file.exists():
        new_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        key_file.write_bytes(
            new_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        key_file.chmod(0o600)
    key: Any = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    kid = "dev-" + uuid.uuid5(uuid.NAMESPACE_URL, key_file.read_text()).hex[:12]
    jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": kid, "use": "sig", "alg": "RS256"})
    document = json.dumps({"keys": [jwk]}, indent=2)
    if not jwks_file.exists() or jwks_file.read_text() != document:
        # Atomic: hosts read this file while tokens are minted (a truncate-then-write was seen half-written, and
        # a host reading it then had no keys and answered 503).
        tmp = jwks_file.with_name(f".jwks.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(document)
        tmp.replace(jwks_file)
    return key, kid


def mint(
    sub: str,
    email: str | None = None,
    *,
    admin: bool = False,
    minutes: int = 60,
    issuer: str = ISSUER,
    audience: str = AUDIENCE,
    extra: dict[str, Any] | None = None,
    directory: Path = DIR,
) -> str:
    key, kid = ensure_keys(directory)
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": sub,
        "iat": now,
        "nbf": now,
        "exp": now + minutes * 60,
    }
    if email:
        claims["email"] = email
    if admin:
        claims["roles"] = ["platform-admin"]
    claims.update(extra or {})
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.dev_issuer")
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("init")
    p = sub.add_parser("mint")
    p.add_argument("--sub", default=None, help="user id (default: a new random one)")
    p.add_argument("--email", default=None)
    p.add_argument("--admin", action="store_true", help="add the platform-admin role")
    p.add_argument("--minutes", type=int, default=60)
    args = parser.parse_args()
    if args.cmd == "init":
        ensure_keys()
        print(f"  development issuer keys in {DIR.relative_to(ROOT)}")
        return 0
    print(mint(args.sub or str(uuid.uuid4()), args.email, admin=args.admin, minutes=args.minutes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
