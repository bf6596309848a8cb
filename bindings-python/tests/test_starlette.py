"""The ASGI middleware and `requires` in a plain Starlette app (no FastAPI)."""

from __future__ import annotations

from typing import Any, Callable, Dict, List

import pytest
from starlette.testclient import TestClient

import jwt_audit
from apps import starlette_app
from conftest import Records, claims, hs256, tamper
from jwt_audit.starlette import JWTAuditMiddleware

MakeVerifier = Callable[..., jwt_audit.Verifier]


def bearer(token: str) -> Dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_required_middleware(make_verifier: MakeVerifier, records: Records) -> None:
    client = TestClient(starlette_app(make_verifier()))
    r = client.get("/me", headers={**bearer(hs256(claims())), "X-Request-Id": "abc"})
    assert r.status_code == 200 and r.json() == {"ok": True, "sub": "user-123"}
    assert r.headers["x-request-id"] == "abc"
    r = client.get("/me", headers=bearer(tamper(hs256(claims()))))
    assert r.status_code == 401 and r.json() == {"error": "invalid_token"}
    assert r.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert r.headers["content-type"] == "application/json"
    r = client.get("/me")
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert [x["failure"]["kind"] if x["failure"] else None for x in records.records] == [
        None,
        "bad_signature",
        "missing_token",
    ]
    assert client.get("/health").json() == {"status": "ok", "audited": False}
    assert client.options("/me").status_code in (200, 405)  # CORS preflight: not audited
    assert len(records.records) == 3


def test_requires_scopes_and_roles(make_verifier: MakeVerifier, records: Records) -> None:
    client = TestClient(starlette_app(make_verifier()))
    r = client.get("/admin", headers=bearer(hs256(claims())))
    assert r.status_code == 403 and r.json() == {"error": "insufficient_scope"}
    assert r.headers["www-authenticate"] == 'Bearer error="insufficient_scope", scope="orders:admin"'
    assert [x["event"] for x in records.records] == ["authn_token_valid", "authz_fail"]
    r = client.get("/admin", headers=bearer(hs256(claims(scope="orders:admin"))))
    assert r.status_code == 200 and r.json() == {"admin": "user-123"}
    assert client.get("/audit", headers=bearer(hs256(claims(roles=["auditor"])))).status_code == 200
    r = client.get("/audit", headers=bearer(hs256(claims())))
    assert r.status_code == 403 and records.records[-1]["authz"]["required"]["roles"] == ["auditor"]


def test_optional_middleware_lets_routes_decide(make_verifier: MakeVerifier, records: Records) -> None:
    client = TestClient(starlette_app(make_verifier(), required=False))
    assert client.get("/me", headers=bearer("garbage")).json() == {"ok": False, "sub": None}
    r = client.get("/admin", headers=bearer("garbage"))
    assert r.status_code == 401  # `requires` refuses the rejected token
    assert len(records.records) == 2  # no second verification for the same request


@pytest.mark.anyio
async def test_pure_asgi_app_and_non_http_scopes(make_verifier: MakeVerifier, records: Records) -> None:
    seen: List[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope)
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 204, "headers": [(b"x-request-id", b"mine")]})
            await send({"type": "http.response.body", "body": b""})

    mw = JWTAuditMiddleware(app, make_verifier())
    sent: List[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    async def receive() -> Any:
        return {"type": "http.request"}

    await mw({"type": "lifespan"}, receive, send)
    assert seen[-1]["type"] == "lifespan" and records.records == []
    token = hs256(claims())
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/x",
        "headers": [(b"authorization", f"Bearer {token}".encode())],
        "client": ("192.0.2.1", 5000),
    }
    await mw(scope, receive, send)
    assert seen[-1]["state"]["jwt_audit"].ok
    assert records.records[-1]["request"]["client_ip"] == "192.0.2.1"
    # The app's own X-Request-Id is kept, not duplicated.
    assert [h for h in sent[0]["headers"] if h[0] == b"x-request-id"] == [(b"x-request-id", b"mine")]


def test_middleware_requires_a_verifier() -> None:
    with pytest.raises(TypeError, match="jwt_audit.Verifier"):
        JWTAuditMiddleware(lambda *a: None, "not a verifier")  # type: ignore[arg-type]


def test_requires_refuses_a_bare_string_scope() -> None:
    from jwt_audit.starlette import requires

    with pytest.raises(TypeError, match="list of str"):
        requires("orders:admin")
