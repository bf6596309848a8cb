"""An example service, type-checked with `mypy --strict` by tests/test_typing.py."""

from __future__ import annotations

import logging
from typing import List, Optional

from fastapi import Depends, FastAPI, Security
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

import jwt_audit
from jwt_audit import AuditRecord, Stats, Verification, Verifier, VerifierOptions
from jwt_audit.fastapi import JWTAuditBearer
from jwt_audit.starlette import JWTAuditMiddleware, requires, verification
from jwt_audit.types import Failure, RequestContext

rejections: List[AuditRecord] = []


def keep_rejections(record: AuditRecord) -> None:
    failure: Optional[Failure] = record["failure"]
    if failure is not None:
        rejections.append(record)


options: VerifierOptions = {
    "keys": [{"secret": "0123456789abcdef0123456789abcdef", "kid": "k1"}],
    "algorithms": ["HS256"],
    "issuer": ["https://auth.example.com"],
    "audience": "orders-api",
    "leeway_seconds": 30,
    "redaction": {"hash": ["email"]},
    "sink": [keep_rejections, logging.getLogger("audit"), "stdout"],
}
verifier = Verifier(**options)
auth = JWTAuditBearer(verifier, trusted_proxy_hops=1)
optional_auth = JWTAuditBearer(verifier, auto_error=False)
app = FastAPI()
app.add_middleware(JWTAuditMiddleware, verifier=verifier, required=False)


@app.get("/orders")
def orders(token: Verification = Security(auth)) -> dict[str, object]:
    claims = token.claims or {}
    severity: str = token.record["severity"]
    return {"user": claims.get("sub"), "severity": severity}


@app.delete("/orders/{order_id}")
def delete(order_id: str, token: Verification = Security(auth, scopes=["orders:admin"])) -> dict[str, str]:
    return {"deleted": order_id, "by": token.record["token"]["fingerprint"] or ""}


@app.get("/public")
def public(token: Optional[Verification] = Depends(optional_auth)) -> dict[str, bool]:
    return {"authenticated": token is not None}


@requires(scopes=["orders:admin"], roles=["admin"])
async def starlette_endpoint(request: Request) -> Response:
    v = verification(request)
    return JSONResponse({"kind": v.kind if v else None})


def check(token: str) -> Optional[str]:
    context: RequestContext = {"correlation_id": jwt_audit.new_correlation_id(), "path": "/cli"}
    v = verifier.verify(token, context, scopes=["orders:read"])
    again = verifier.authorize(v, roles=["admin"])
    challenge = again.challenge()
    if challenge is not None:
        status: int = challenge.status
        print(status, challenge.www_authenticate, challenge.body)
    stats: Stats = verifier.stats()
    print(stats["by_kind"].get("expired", 0), v.record_json, verifier.name)
    try:
        Verifier(keys=[{"secret": "short"}], algorithms=["HS256"])
    except jwt_audit.ConfigError as e:
        print(e.option, e.message)
    return v.kind
