"""Framework-neutral HTTP glue over an ASGI scope, shared by the ASGI middleware, the Starlette
helpers and the FastAPI dependency. Bearer parsing, correlation ids and the client answer come
from the core (``Verifier.verify_authorization``, ``correlation_id``, ``Verification.challenge``).
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, MutableMapping, Optional, Sequence, Tuple

from ._native import Verification, Verifier, correlation_id, new_correlation_id
from .types import RequestContext

#: Where the verification of the current request is kept (``request.state.jwt_audit``).
STATE_KEY = "jwt_audit"
_VERIFIER_KEY = "jwt_audit_verifier"
_CORRELATION_KEY = "jwt_audit_correlation_id"

Scope = MutableMapping[str, Any]


def _header(scope: Scope, name: bytes) -> Optional[str]:
    """A request header; repeated headers are joined with ``", "`` (RFC 9110 §5.3), so two
    ``Authorization`` headers make a malformed credential instead of an arbitrary pick."""
    values = [v.decode("latin-1") for k, v in scope.get("headers", ()) if k.lower() == name]
    return ", ".join(values) if values else None


def client_ip(scope: Scope, trusted_proxy_hops: int = 0) -> Optional[str]:
    """The client address: the socket peer, or, behind ``trusted_proxy_hops`` proxies you
    operate, the address those proxies recorded in ``X-Forwarded-For``. Forwarding headers are
    ignored unless configured: anyone can send one."""
    client = scope.get("client")
    peer = client[0] if client else None
    if trusted_proxy_hops <= 0:
        return peer
    forwarded = _header(scope, b"x-forwarded-for")
    hops = [h.strip() for h in (forwarded or "").split(",") if h.strip()]
    if not hops:
        return peer
    return hops[max(0, len(hops) - trusted_proxy_hops)]


def request_context(scope: Scope, trusted_proxy_hops: int = 0) -> RequestContext:
    """The record's request context for an ASGI HTTP scope. The correlation id comes from
    ``X-Request-Id`` or ``traceparent``, else a new one; it is kept in the scope state so every
    record of the request (and the response header) carries the same id."""
    state = scope.setdefault("state", {})
    cid = state.get(_CORRELATION_KEY)
    if cid is None:
        cid = (
            correlation_id(_header(scope, b"x-request-id"), _header(scope, b"traceparent"))
            or new_correlation_id()
        )
        state[_CORRELATION_KEY] = cid
    return {
        "correlation_id": cid,
        "client_ip": client_ip(scope, trusted_proxy_hops),
        "method": scope.get("method"),
        "path": scope.get("path"),
        "user_agent": _header(scope, b"user-agent"),
    }


def authenticate(
    verifier: Verifier,
    scope: Scope,
    *,
    scopes: Sequence[str] = (),
    trusted_proxy_hops: int = 0,
) -> Verification:
    """Verifies the request's Bearer token once per request and verifier: a later call for the
    same request reuses that result and only checks the extra ``scopes`` (a denial adds an
    ``authz_fail`` record)."""
    state = scope.setdefault("state", {})
    done: Optional[Verification] = state.get(STATE_KEY)
    if done is not None and state.get(_VERIFIER_KEY) is verifier:
        return verifier.authorize(done, scopes=scopes) if scopes else done
    ctx = request_context(scope, trusted_proxy_hops)
    v = verifier.verify_authorization(_header(scope, b"authorization"), ctx, scopes=scopes)
    # A scope denial is not the request's authentication result: keep only the latter.
    if v.kind != "insufficient_scope":
        state[STATE_KEY] = v
        state[_VERIFIER_KEY] = verifier
    return v


def correlation_header(scope: Scope) -> List[Tuple[bytes, bytes]]:
    """``X-Request-Id`` for the response, when a correlation id was assigned."""
    cid = scope.get("state", {}).get(_CORRELATION_KEY)
    return [(b"x-request-id", cid.encode("latin-1"))] if cid else []


def challenge_headers(v: Verification, scope: Scope) -> Dict[str, str]:
    """``WWW-Authenticate`` and ``X-Request-Id`` for a rejection."""
    c = v.challenge()
    headers = {k.decode(): val.decode("latin-1") for k, val in correlation_header(scope)}
    if c is not None:
        headers["WWW-Authenticate"] = c.www_authenticate
    return headers


def as_list(scopes: Iterable[str]) -> List[str]:
    """A scopes argument as a list, refusing a bare string (it would be read as characters)."""
    if isinstance(scopes, str):
        raise TypeError("scopes must be a list of str, not str")
    return list(scopes)
