"""FastAPI security dependency: ``auth = JWTAuditBearer(verifier)`` then
``Security(auth)`` or ``Security(auth, scopes=["orders:admin"])`` in a route.

It appears in the OpenAPI document as an HTTP bearer scheme (``bearerFormat: JWT``), verifies
the ``Authorization`` header through the core (one audit record per request, with the request's
method, path, client address, user agent and correlation id) and returns the accepted
:class:`jwt_audit.Verification` (``.claims``, ``.record``). A rejection raises ``HTTPException``
401 with ``WWW-Authenticate: Bearer error="invalid_token"``; missing scopes raise 403
``insufficient_scope`` and record an ``authz_fail`` event. Works alongside
:class:`jwt_audit.starlette.JWTAuditMiddleware`: the token is then verified only once.
"""

from __future__ import annotations

import json
from typing import Optional

from fastapi import HTTPException, Request
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.security import SecurityScopes
from fastapi.security.base import SecurityBase

from . import _http
from ._native import Verification, Verifier

__all__ = ["JWTAuditBearer"]


class JWTAuditBearer(SecurityBase):
    """A FastAPI dependency verifying the request's Bearer JWT with ``verifier``.

    ``auto_error=False`` returns ``None`` instead of raising (the record is written either way),
    for routes that serve anonymous and authenticated callers. ``trusted_proxy_hops`` is the
    number of reverse proxies you run whose ``X-Forwarded-For`` entries are believed for the
    record's ``client_ip`` (default 0: the socket peer, as uvicorn reports it).
    """

    def __init__(
        self,
        verifier: Verifier,
        *,
        auto_error: bool = True,
        scheme_name: Optional[str] = None,
        description: Optional[str] = None,
        trusted_proxy_hops: int = 0,
    ) -> None:
        if not isinstance(verifier, Verifier):
            raise TypeError(f"verifier must be a jwt_audit.Verifier, not {type(verifier).__name__}")
        self.verifier = verifier
        self.auto_error = auto_error
        self.trusted_proxy_hops = trusted_proxy_hops
        self.model = HTTPBearerModel(bearerFormat="JWT", description=description)
        self.scheme_name = scheme_name or type(self).__name__

    async def __call__(
        self, request: Request, security_scopes: SecurityScopes
    ) -> Optional[Verification]:
        v = _http.authenticate(
            self.verifier,
            request.scope,
            scopes=security_scopes.scopes,
            trusted_proxy_hops=self.trusted_proxy_hops,
        )
        if v.ok:
            return v
        if not self.auto_error:
            return None
        c = v.challenge()
        if c is None:  # pragma: no cover - only an accepted verification has no challenge
            return v
        raise HTTPException(
            status_code=c.status,
            detail=json.loads(c.body)["error"],
            headers=_http.challenge_headers(v, request.scope),
        )
