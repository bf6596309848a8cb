"""jwt-audit: a JWT verifier that never validates silently.

Every ``verify`` returns the decision **and** an audit record (what was presented, what was
decided, why, how long it took, in which request — redacted) and hands the record to the
configured sinks. The verification itself runs in the Rust core, the same in every binding.

>>> import jwt_audit
>>> verifier = jwt_audit.Verifier(
...     keys=[{"secret": "a-very-long-secret-of-at-least-32-bytes!"}],
...     algorithms=["HS256"],
... )
>>> v = verifier.verify("eyJhbGciOiJub25lIn0.e30.", {"path": "/orders"})
>>> v.ok, v.kind, v.record["severity"]
(False, 'algorithm_not_allowed', 'critical')

Framework glue: :mod:`jwt_audit.fastapi` (``JWTAuditBearer``) and :mod:`jwt_audit.starlette`
(ASGI middleware, ``requires``).
"""

from ._native import (
    Challenge,
    ConfigError,
    Verification,
    Verifier,
    __version__,
    correlation_id,
    new_correlation_id,
)
from .types import AuditRecord, RequestContext, Stats, VerifierOptions

__all__ = [
    "AuditRecord",
    "Challenge",
    "ConfigError",
    "RequestContext",
    "Stats",
    "Verification",
    "Verifier",
    "VerifierOptions",
    "__version__",
    "correlation_id",
    "new_correlation_id",
]
