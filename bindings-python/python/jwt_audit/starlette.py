"""ASGI middleware (any ASGI app: Starlette, FastAPI, Litestar, Quart …) and a ``requires``
decorator for Starlette endpoints.

.. code-block:: python

    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from jwt_audit.starlette import JWTAuditMiddleware, requires

    @requires(scopes=["orders:admin"])
    async def delete_order(request):
        claims = request.state.jwt_audit.claims
        ...

    app = Starlette(routes=[...], middleware=[Middleware(JWTAuditMiddleware, verifier=verifier)])
"""

from __future__ import annotations

import functools
from typing import Any, Awaitable, Callable, Collection, Optional, Sequence, TypeVar

from . import _http
from ._native import Verification, Verifier

__all__ = ["JWTAuditMiddleware", "requires", "verification"]

Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]
ASGIApp = Callable[[Any, Receive, Send], Awaitable[None]]

_MIDDLEWARE_VERIFIER = "jwt_audit_middleware_verifier"


async def _send_challenge(v: Verification, scope: Any, send: Send) -> None:
    c = v.challenge()
    if c is None:  # pragma: no cover - only rejected verifications get here
        raise RuntimeError("an accepted verification has no challenge")
    body = c.body.encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"www-authenticate", c.www_authenticate.encode("latin-1")),
        *_http.correlation_header(scope),
    ]
    await send({"type": "http.response.start", "status": c.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class JWTAuditMiddleware:
    """Audits every HTTP request: verifies its Bearer token (one record per request, with the
    request's method, path, client address, user agent and correlation id), keeps the result in
    ``scope["state"]["jwt_audit"]`` (``request.state.jwt_audit`` in Starlette/FastAPI) and echoes
    the correlation id as ``X-Request-Id``.

    ``required=True`` answers rejected requests itself (401 ``invalid_token``, RFC 6750);
    ``required=False`` lets them through so routes decide. ``exclude_paths`` (exact paths, or
    prefixes ending in ``/``) and ``exclude_methods`` (default: CORS preflights) are not audited.
    ``trusted_proxy_hops`` is the number of reverse proxies you run in front of the app whose
    ``X-Forwarded-For`` entries are believed (default 0: the socket peer).
    """

    def __init__(
        self,
        app: ASGIApp,
        verifier: Verifier,
        *,
        required: bool = True,
        exclude_paths: Collection[str] = (),
        exclude_methods: Collection[str] = ("OPTIONS",),
        trusted_proxy_hops: int = 0,
    ) -> None:
        if not isinstance(verifier, Verifier):
            raise TypeError(f"verifier must be a jwt_audit.Verifier, not {type(verifier).__name__}")
        self.app = app
        self.verifier = verifier
        self.required = required
        self.exclude_paths = tuple(exclude_paths)
        self.exclude_methods = frozenset(m.upper() for m in exclude_methods)
        self.trusted_proxy_hops = trusted_proxy_hops

    def _excluded(self, scope: Any) -> bool:
        path = scope.get("path", "")
        return scope.get("method", "") in self.exclude_methods or any(
            path == p or (p.endswith("/") and path.startswith(p)) for p in self.exclude_paths
        )

    async def __call__(self, scope: Any, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._excluded(scope):
            await self.app(scope, receive, send)
            return
        v = _http.authenticate(
            self.verifier, scope, trusted_proxy_hops=self.trusted_proxy_hops
        )
        scope["state"][_MIDDLEWARE_VERIFIER] = self.verifier
        if not v.ok and self.required:
            await _send_challenge(v, scope, send)
            return
        extra = _http.correlation_header(scope)

        async def send_with_id(message: Any) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", ())}
                message = dict(message)
                message["headers"] = [
                    *message.get("headers", ()),
                    *(h for h in extra if h[0] not in names),
                ]
            await send(message)

        await self.app(scope, receive, send_with_id)


def verification(request: Any) -> Optional[Verification]:
    """The verification the middleware made for this request (``None`` if it did not run)."""
    v: Optional[Verification] = request.scope.get("state", {}).get(_http.STATE_KEY)
    return v


F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


def requires(scopes: Sequence[str] = (), *, roles: Sequence[str] = ()) -> Callable[[F], F]:
    """Decorates an ``async def endpoint(request)`` of a Starlette app that runs
    :class:`JWTAuditMiddleware`: the request's token must be accepted and grant every scope and
    role, else the client gets 401/403 (RFC 6750) and a denial is recorded (``authz_fail``)."""
    need_scopes, need_roles = _http.as_list(scopes), _http.as_list(roles)

    def decorate(endpoint: F) -> F:
        @functools.wraps(endpoint)
        async def guarded(request: Any, *args: Any, **kwargs: Any) -> Any:
            from starlette.responses import Response

            state = request.scope.get("state", {})
            verifier: Optional[Verifier] = state.get(_MIDDLEWARE_VERIFIER)
            if verifier is None:
                raise RuntimeError("jwt_audit.starlette.requires needs JWTAuditMiddleware")
            v = _http.authenticate(verifier, request.scope)
            if v.ok and (need_scopes or need_roles):
                v = verifier.authorize(v, scopes=need_scopes, roles=need_roles)
            c = v.challenge()
            if c is not None:
                return Response(
                    c.body,
                    status_code=c.status,
                    media_type="application/json",
                    headers=_http.challenge_headers(v, request.scope),
                )
            return await endpoint(request, *args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate
