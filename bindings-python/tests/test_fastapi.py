"""A real FastAPI app through TestClient: the dependency, scopes, OpenAPI, context, sinks."""

from __future__ import annotations

import logging
import time
from typing import Any, Callable, Dict

import pytest
from fastapi.testclient import TestClient

import jwt_audit
from apps import fastapi_app, fastapi_app_with_middleware
from conftest import Records, claims, hs256, tamper

MakeVerifier = Callable[..., jwt_audit.Verifier]
INVALID = 'Bearer error="invalid_token"'


@pytest.fixture
def client(make_verifier: MakeVerifier) -> TestClient:
    return TestClient(fastapi_app(make_verifier()))


def bearer(token: str) -> Dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_valid_token(client: TestClient, records: Records) -> None:
    r = client.get("/orders", headers={**bearer(hs256(claims())), "User-Agent": "pytest/1", "X-Request-Id": "req-42"})
    assert r.status_code == 200
    assert r.json() == {"sub": "user-123", "event": "authn_token_valid"}
    [record] = records.records
    assert record["outcome"] == "accepted"
    assert record["request"] == {
        "correlation_id": "req-42",
        "client_ip": "testclient",
        "method": "GET",
        "path": "/orders",
        "user_agent": "pytest/1",
    }


@pytest.mark.parametrize(
    "headers, kind, www_authenticate",
    [
        (bearer(hs256(claims(exp=int(time.time()) - 3600))), "expired", INVALID),
        (bearer(tamper(hs256(claims()))), "bad_signature", INVALID),
        (bearer(hs256(claims(aud="billing-api"))), "audience_mismatch", INVALID),
        (bearer("garbage"), "malformed", INVALID),
        ({"Authorization": "Bearer"}, "malformed", INVALID),
        ({}, "missing_token", "Bearer"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "missing_token", "Bearer"),
    ],
)
def test_rejections_are_generic_to_the_client_and_specific_in_the_record(
    client: TestClient, records: Records, headers: Dict[str, str], kind: str, www_authenticate: str
) -> None:
    r = client.get("/orders", headers=headers)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == www_authenticate
    assert r.json() == {"detail": "unauthorized" if kind == "missing_token" else "invalid_token"}
    assert kind not in r.text  # the specifics stay in the record
    [record] = records.records
    assert record["failure"]["kind"] == kind
    assert r.headers["x-request-id"] == record["request"]["correlation_id"]  # generated UUIDv7


def test_two_authorization_headers_are_malformed(client: TestClient, records: Records) -> None:
    token = hs256(claims())
    r = client.get("/orders", headers=[("Authorization", f"Bearer {token}"), ("Authorization", f"Bearer {token}")])
    assert r.status_code == 401 and records.records[0]["failure"]["kind"] == "malformed"


def test_scopes_the_fastapi_way(client: TestClient, records: Records) -> None:
    reader = hs256(claims(scope="orders:read"))
    r = client.delete("/orders/7", headers=bearer(reader))
    assert r.status_code == 403
    assert r.headers["www-authenticate"] == 'Bearer error="insufficient_scope", scope="orders:admin"'
    assert r.json() == {"detail": "insufficient_scope"}
    [record] = records.records  # one record for the request
    assert record["event"] == "authz_fail" and record["failure"]["kind"] == "insufficient_scope"
    assert record["authz"] == {
        "required": {"scopes": ["orders:admin"], "roles": []},
        "granted": {"scopes": ["orders:read"], "roles": []},
        "decision": "deny",
    }
    admin = hs256(claims(scope="orders:read orders:admin"))
    r = client.delete("/orders/7", headers=bearer(admin))
    assert r.status_code == 200 and r.json() == {"deleted": "7"}
    assert records.records[1]["authz"]["decision"] == "allow"
    # An invalid token on a scoped route is still a 401, not a 403.
    assert client.delete("/orders/7", headers=bearer(tamper(admin))).status_code == 401


def test_optional_authentication(client: TestClient, records: Records) -> None:
    assert client.get("/public").json() == {"authenticated": False}
    assert client.get("/public", headers=bearer("garbage")).json() == {"authenticated": False}
    assert client.get("/public", headers=bearer(hs256(claims()))).json() == {"authenticated": True}
    assert [r["outcome"] for r in records.records] == ["rejected", "rejected", "accepted"]


def test_openapi_shows_http_bearer(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    schemes = doc["components"]["securitySchemes"]
    assert schemes["JWTAuditBearer"] == {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert doc["paths"]["/orders/{order_id}"]["delete"]["security"] == [{"JWTAuditBearer": ["orders:admin"]}]
    assert doc["paths"]["/orders"]["get"]["security"] == [{"JWTAuditBearer": []}]


def test_traceparent_is_the_correlation_id(client: TestClient, records: Records) -> None:
    tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    client.get("/orders", headers={**bearer(hs256(claims())), "traceparent": tp})
    assert records.records[0]["request"]["correlation_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"


def test_forwarded_for_is_ignored_unless_configured(make_verifier: MakeVerifier, records: Records) -> None:
    headers = {**bearer(hs256(claims())), "X-Forwarded-For": "203.0.113.9, 10.0.0.2"}
    TestClient(fastapi_app(make_verifier())).get("/orders", headers=headers)
    TestClient(fastapi_app(make_verifier(), trusted_proxy_hops=1)).get("/orders", headers=headers)
    TestClient(fastapi_app(make_verifier(), trusted_proxy_hops=2)).get("/orders", headers=headers)
    TestClient(fastapi_app(make_verifier(), trusted_proxy_hops=5)).get("/orders", headers=headers)
    assert [r["request"]["client_ip"] for r in records.records] == [
        "testclient",
        "10.0.0.2",
        "203.0.113.9",
        "203.0.113.9",
    ]


def test_logging_handler_receives_records(make_verifier: MakeVerifier, caplog: pytest.LogCaptureFixture) -> None:
    client = TestClient(fastapi_app(make_verifier(sink=logging.getLogger("audit.http"))))
    with caplog.at_level(logging.INFO, logger="audit.http"):
        client.get("/orders", headers=bearer(hs256(claims())))
        client.get("/orders", headers=bearer(tamper(hs256(claims()))))
    logged = [r for r in caplog.records if r.name == "audit.http"]
    assert [(r.levelname, getattr(r, "outcome")) for r in logged] == [("INFO", "accepted"), ("ERROR", "rejected")]
    assert getattr(logged[1], "failure")["kind"] == "bad_signature"


def test_middleware_and_dependency_verify_once(make_verifier: MakeVerifier, records: Records) -> None:
    client = TestClient(fastapi_app_with_middleware(make_verifier()))
    r = client.get("/orders", headers={**bearer(hs256(claims())), "X-Request-Id": "req-9"})
    assert r.status_code == 200 and r.headers["x-request-id"] == "req-9"
    assert len(records.records) == 1
    # With scopes: the middleware's authentication record, then one authz_fail record.
    r = client.delete("/orders/1", headers=bearer(hs256(claims())))
    assert r.status_code == 403
    assert [x["event"] for x in records.records[1:]] == ["authn_token_valid", "authz_fail"]
    assert records.records[1]["request"]["correlation_id"] == records.records[2]["request"]["correlation_id"]
    # Rejected by the middleware itself, before any route; excluded paths are not audited.
    r = client.get("/orders", headers=bearer("garbage"))
    assert r.status_code == 401 and r.json() == {"error": "invalid_token"}
    assert r.headers["www-authenticate"] == INVALID
    n = len(records.records)
    assert client.get("/health").json() == {"status": "ok"}
    assert len(records.records) == n


def test_bearer_requires_a_verifier() -> None:
    from jwt_audit.fastapi import JWTAuditBearer

    with pytest.raises(TypeError, match="jwt_audit.Verifier"):
        JWTAuditBearer({"keys": []})  # type: ignore[arg-type]


def test_records_reach_a_callable_sink_per_request(client: TestClient, records: Records) -> None:
    for _ in range(5):
        client.get("/orders", headers=bearer(hs256(claims())))
    ids = {r["id"] for r in records.records}
    assert len(ids) == 5 and all(r["request"]["path"] == "/orders" for r in records.records)


