"""Shared helpers: HS256 tokens minted with the standard library (no JWT library involved)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import pytest

import jwt_audit

REPO = Path(__file__).resolve().parents[2]
SECRET = "0123456789abcdef0123456789abcdef-test-only"
ISSUER = "https://auth.example.com"
AUDIENCE = "orders-api"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256(claims: Dict[str, Any], secret: str = SECRET, header: Optional[Dict[str, Any]] = None) -> str:
    h = b64url(json.dumps(header or {"alg": "HS256", "typ": "JWT"}).encode())
    p = b64url(json.dumps(claims).encode())
    sig = hmac.new(secret.encode(), f"{h}.{p}".encode(), hashlib.sha256).digest()
    return f"{h}.{p}.{b64url(sig)}"


def claims(**overrides: Any) -> Dict[str, Any]:
    now = int(time.time())
    c: Dict[str, Any] = {
        "iss": ISSUER,
        "sub": "user-123",
        "aud": AUDIENCE,
        "iat": now - 10,
        "exp": now + 600,
        "jti": "t-1",
        "scope": "orders:read",
        "email": "alice@example.com",
    }
    c.update(overrides)
    return {k: v for k, v in c.items() if v is not None}


def tamper(token: str) -> str:
    """The same token with `sub` changed to "admin" and the original signature kept."""
    h, p, s = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
    payload["sub"] = "admin"
    return f"{h}.{b64url(json.dumps(payload).encode())}.{s}"


class Records:
    """A callable sink collecting records."""

    def __init__(self) -> None:
        self.records: List[Dict[str, Any]] = []

    def __call__(self, record: Dict[str, Any]) -> None:
        self.records.append(record)

    def events(self) -> List[str]:
        return [r["event"] for r in self.records]


@pytest.fixture
def records() -> Records:
    return Records()


@pytest.fixture
def make_verifier(records: Records) -> Callable[..., jwt_audit.Verifier]:
    def make(**options: Any) -> jwt_audit.Verifier:
        config: Dict[str, Any] = {
            "keys": [{"secret": SECRET}],
            "algorithms": ["HS256"],
            "issuer": ISSUER,
            "audience": AUDIENCE,
            "sink": records,
        }
        config.update(options)
        return jwt_audit.Verifier(**config)

    return make
