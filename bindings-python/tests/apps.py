"""The FastAPI and Starlette apps the HTTP tests run (in-process and under a real uvicorn)."""

from __future__ import annotations

from typing import Any, Dict, Optional

from fastapi import Depends, FastAPI, Request, Security
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from jwt_audit import Verification, Verifier
from jwt_audit.fastapi import JWTAuditBearer
from jwt_audit.starlette import JWTAuditMiddleware, requires


def fastapi_app(verifier: Verifier, **bearer_options: Any) -> FastAPI:
    auth = JWTAuditBearer(verifier, **bearer_options)
    optional = JWTAuditBearer(verifier, auto_error=False, scheme_name="OptionalBearer")
    app = FastAPI()

    @app.get("/orders")
    def orders(token: Verification = Security(auth)) -> Dict[str, Any]:
        assert token.claims is not None
        return {"sub": token.claims["sub"], "event": token.record["event"]}

    @app.delete("/orders/{order_id}")
    def delete(order_id: str, token: Verification = Security(auth, scopes=["orders:admin"])) -> Dict[str, Any]:
        return {"deleted": order_id}

    @app.get("/public")
    def public(token: Optional[Verification] = Depends(optional)) -> Dict[str, Any]:
        return {"authenticated": token is not None}

    @app.get("/health")
    def health() -> Dict[str, str]:
        return {"status": "ok"}

    return app


def fastapi_app_with_middleware(verifier: Verifier) -> FastAPI:
    """Middleware audits every request; the dependency then reuses its verification."""
    app = fastapi_app(verifier)
    app.add_middleware(JWTAuditMiddleware, verifier=verifier, exclude_paths=["/health", "/docs", "/openapi.json"])
    return app


def starlette_app(verifier: Verifier, required: bool = True) -> Starlette:
    async def me(request: Request) -> Response:
        v = request.state.jwt_audit
        return JSONResponse({"ok": v.ok, "sub": (v.claims or {}).get("sub")})

    @requires(scopes=["orders:admin"])
    async def admin(request: Request) -> Response:
        return JSONResponse({"admin": request.state.jwt_audit.claims["sub"]})

    @requires(roles=["auditor"])
    async def audit(request: Request) -> Response:
        return JSONResponse({"auditor": True})

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "audited": "jwt_audit" in request.scope.get("state", {})})

    return Starlette(
        routes=[Route("/me", me), Route("/admin", admin), Route("/audit", audit), Route("/health", health)],
        middleware=[
            Middleware(
                JWTAuditMiddleware, verifier=verifier, required=required, exclude_paths=["/health"]
            )
        ],
    )


