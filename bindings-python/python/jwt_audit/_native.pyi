"""Type stubs of the compiled extension ``jwt_audit._native`` (re-exported by ``jwt_audit``)."""

from typing import Any, Dict, Final, Iterable, Optional, Union, final

from typing_extensions import Unpack

from .types import AuditRecord, RequestContext, Stats, VerifierOptions

__version__: Final[str]

class ConfigError(ValueError):
    """An invalid ``Verifier`` option, raised by the constructor (never at the first request)."""

    option: str
    """The option at fault, e.g. ``"leeway_seconds"`` or ``"keys[0].pem"``."""
    message: str
    """What is wrong with it (never contains key material)."""

@final
class Challenge:
    """The generic HTTP answer to a rejection (RFC 6750); specifics stay in the record."""

    @property
    def status(self) -> int:
        """401, 403 (``insufficient_scope``) or 503 (fail-closed auditing could not record)."""
    @property
    def www_authenticate(self) -> str:
        """The ``WWW-Authenticate`` header value."""
    @property
    def body(self) -> str:
        """A JSON body such as ``{"error":"invalid_token"}``."""

@final
class Verification:
    """The outcome of one verification."""

    @property
    def ok(self) -> bool:
        """``True`` when every check passed."""
    @property
    def kind(self) -> Optional[str]:
        """The first failed check (``"expired"``, ``"bad_signature"``, …), ``None`` when accepted."""
    @property
    def claims(self) -> Optional[Dict[str, Any]]:
        """The verified claims (not redacted) when accepted, else ``None``."""
    @property
    def record(self) -> AuditRecord:
        """The audit record (built on first access; the same dict afterwards)."""
    @property
    def record_json(self) -> str:
        """The audit record as canonical JSON (the same bytes in every binding)."""
    def challenge(self) -> Optional[Challenge]:
        """The HTTP answer for a rejection; ``None`` when accepted."""

@final
class Verifier:
    """Verifies JWTs and audits every verification. Thread-safe; share one per configuration."""

    def __init__(self, **config: Unpack[VerifierOptions]) -> None:
        """Builds a verifier; raises :class:`ConfigError` naming the bad option."""
    @property
    def name(self) -> str:
        """This verifier's name in records."""
    def verify(
        self,
        token: Union[str, bytes, None],
        context: Optional[RequestContext] = None,
        *,
        scopes: Optional[Iterable[str]] = None,
        roles: Optional[Iterable[str]] = None,
    ) -> Verification:
        """Verifies a compact JWS (``None``: no token). Never raises for a bad token."""
    def verify_authorization(
        self,
        authorization: Optional[str],
        context: Optional[RequestContext] = None,
        *,
        scopes: Optional[Iterable[str]] = None,
        roles: Optional[Iterable[str]] = None,
    ) -> Verification:
        """Verifies the Bearer credential of an ``Authorization`` header value (RFC 6750)."""
    def authorize(
        self,
        verification: Verification,
        *,
        scopes: Optional[Iterable[str]] = None,
        roles: Optional[Iterable[str]] = None,
    ) -> Verification:
        """Requires scopes/roles of an accepted verification; a denial emits an ``authz_fail`` record."""
    def stats(self) -> Stats:
        """Counts by outcome and failure kind, and records lost by sinks."""
    def flush(self) -> None:
        """Flushes every sink."""

def correlation_id(
    x_request_id: Optional[str] = None, traceparent: Optional[str] = None
) -> Optional[str]:
    """``X-Request-Id`` when usable, else the trace id of a valid W3C ``traceparent``, else ``None``."""

def new_correlation_id() -> str:
    """A fresh, time-ordered correlation id (UUIDv7)."""

def _core_verify_loop(verifier: Verifier, token: str, n: int) -> None:
    """Benchmark hook: the core verifies ``token`` ``n`` times in a Rust loop."""
