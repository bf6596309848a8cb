"""Typed shapes of the configuration and of the audit record (JSON schema ``jwt-audit/v1``).

These are ``TypedDict`` s: at run time records and stats are plain ``dict`` s, so they serialise
with ``json.dumps`` and work with any logging stack; type checkers see every field.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Callable, Dict, List, Literal, Mapping, Optional, Sequence, TypedDict, Union

__all__ = [
    "AuditRecord",
    "AuthzInfo",
    "ClaimsInfo",
    "Event",
    "FailedCheck",
    "Failure",
    "FailureKind",
    "Grants",
    "KeySource",
    "Outcome",
    "Redaction",
    "RequestContext",
    "RequestInfo",
    "Severity",
    "SinkSpec",
    "Stats",
    "Step",
    "TokenInfo",
    "VerifierInfo",
    "VerifierOptions",
]

Event = Literal["authn_token_valid", "authn_token_invalid", "authn_token_reuse", "authz_fail"]
Outcome = Literal["accepted", "rejected"]
Severity = Literal["info", "low", "medium", "high", "critical"]
Step = Literal[
    "presence",
    "structure",
    "header",
    "signature",
    "time",
    "claims",
    "lifecycle",
    "authorization",
    "audit",
]
#: Stable snake_case failure kinds; new kinds may be added, none is ever renamed.
FailureKind = str


class FailedCheck(TypedDict):
    kind: FailureKind
    step: Step
    detail: str


class Failure(TypedDict):
    """The first failed check and every further check that failed after the signature passed."""

    kind: FailureKind
    step: Step
    detail: str
    also: List[FailedCheck]


class TokenInfo(TypedDict):
    """What identifies the token, without the token (``trusted`` only when the signature verified)."""

    fingerprint: Optional[str]
    alg: Optional[str]
    kid: Optional[str]
    typ: Optional[str]
    size: int
    trusted: bool
    jti: Any
    iss: Any
    aud: Any
    iat: Any
    nbf: Any
    exp: Any


class ClaimsInfo(TypedDict):
    """The redacted claims and the names of those left out."""

    values: Dict[str, Any]
    dropped: List[str]


class RequestContext(TypedDict, total=False):
    """The request a token arrived with (``verify(token, context=...)``); every key optional."""

    correlation_id: Optional[str]
    client_ip: Optional[str]
    method: Optional[str]
    path: Optional[str]
    user_agent: Optional[str]


class RequestInfo(TypedDict):
    """The request context as written in a record (every key present, possibly ``None``)."""

    correlation_id: Optional[str]
    client_ip: Optional[str]
    method: Optional[str]
    path: Optional[str]
    user_agent: Optional[str]


class Grants(TypedDict):
    scopes: List[str]
    roles: List[str]


class AuthzInfo(TypedDict):
    required: Grants
    granted: Grants
    decision: Literal["allow", "deny"]


class VerifierInfo(TypedDict):
    name: str
    version: str


class AuditRecord(TypedDict):
    """One verification (schema ``jwt-audit/v1``): the same fields in every binding."""

    schema: Literal["jwt-audit/v1"]
    id: str
    time: str
    duration_us: int
    event: Event
    outcome: Outcome
    severity: Severity
    failure: Optional[Failure]
    token: TokenInfo
    claims: ClaimsInfo
    request: RequestInfo
    authz: Optional[AuthzInfo]
    verifier: VerifierInfo


class Stats(TypedDict):
    """``Verifier.stats()``: counts by outcome and kind, and records sinks lost."""

    accepted: int
    rejected: int
    by_kind: Dict[str, int]
    sink_errors: int
    records_dropped: int
    records_failed: int


class KeySource(TypedDict, total=False):
    """Exactly one of ``jwks``, ``jwk``, ``pem``, ``secret``; ``kid`` for ``pem``/``secret``."""

    jwks: Union[Mapping[str, Any], str]
    jwk: Union[Mapping[str, Any], str]
    pem: str
    secret: str
    kid: str


class Redaction(TypedDict, total=False):
    """Per-claim overrides of the default redaction policy."""

    keep: Sequence[str]
    hash: Sequence[str]
    mask: Sequence[str]
    drop: Sequence[str]


#: Where records go: a callable taking the record dict, a ``logging.Logger``, ``"stdout"``,
#: ``{"file": path}``, or a list of these.
SinkSpec = Union[
    Callable[[AuditRecord], object],
    logging.Logger,
    str,
    Mapping[str, Union[str, os.PathLike[str]]],
    Sequence[
        Union[
            Callable[[AuditRecord], object],
            logging.Logger,
            str,
            Mapping[str, Union[str, os.PathLike[str]]],
        ]
    ],
]


class _RequiredOptions(TypedDict):
    keys: Sequence[KeySource]
    algorithms: Sequence[str]


class VerifierOptions(_RequiredOptions, total=False):
    """The keyword arguments of ``Verifier(**options)`` (the canonical snake_case names)."""

    issuer: Union[str, Sequence[str]]
    audience: Union[str, Sequence[str]]
    leeway_seconds: int
    required_claims: Sequence[str]
    typ: str
    max_token_bytes: int
    now: int
    redaction: Redaction
    fingerprint_key: str
    name: str
    audit_fail_closed: bool
    sink: Optional[SinkSpec]
