//! # jwt-audit-axum
//!
//! Drop-in JWT authentication for [axum](https://docs.rs/axum) (any tower stack, really) over the
//! [`jwt_audit`] core: every request's Bearer token is verified, and every verification leaves an
//! [`AuditRecord`](jwt_audit::AuditRecord) in the verifier's sinks — with the request's
//! correlation id, client address, method, route and user agent.
//!
//! - [`JwtAuditLayer`]: verifies `Authorization: Bearer …` on every request. A rejected token is
//!   answered `401` with `WWW-Authenticate: Bearer error="invalid_token"` and a generic JSON body
//!   (the specifics stay in the record). [`JwtAuditLayer::allow_anonymous`] lets requests without
//!   an `Authorization` header through (a presented token must still be valid).
//! - Extractors: [`Auth`] (verified claims and the record), `Option<Auth>` for routes open to
//!   anonymous callers, [`CorrelationId`].
//! - Guards: [`require_scopes`] / [`require_roles`] / [`RequireAuthzLayer`] (or
//!   `auth.require(&need)?` inside a handler, see [`Caller::require`]) answer `403` with
//!   `WWW-Authenticate: Bearer error="insufficient_scope"` and emit an `authz_fail` record.
//! - The correlation id comes from `X-Request-Id` or `traceparent`, is generated when absent, and
//!   is echoed in the `X-Request-Id` response header.
//! - The client address is the peer from [`ConnectInfo`](axum::extract::ConnectInfo)
//!   (serve with `into_make_service_with_connect_info::<SocketAddr>()`) or, behind proxies, the
//!   header named by [`ClientIp`].
//!
//! Verification runs inline on the request's task (HS256 takes microseconds, RS256/ES256 tens of
//! microseconds); give the verifier a non-blocking sink
//! ([`jwt_audit::sink::NonBlocking`]) when records go to a file or the network. With
//! [`jwt_audit::sink::TracingSink`] records land in whatever `tracing` subscriber the service runs.
//!
//! ```
//! use axum::{Router, routing::get, body::Body, http::{Request, StatusCode}};
//! use jwt_audit::{Verifier, sink::MemorySink};
//! use jwt_audit_axum::{Auth, JwtAuditLayer, require_scopes};
//! use std::sync::Arc;
//! use tower::ServiceExt;
//!
//! async fn whoami(auth: Auth) -> String {
//!     auth.claims().get("sub").and_then(|s| s.as_str()).unwrap_or("?").to_string()
//! }
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let records = Arc::new(MemorySink::new());
//! let verifier = Verifier::builder()
//!     .hmac_secret("a-very-long-secret-of-at-least-32-bytes!")
//!     .algorithms(["HS256"])
//!     .shared_sink(records.clone())
//!     .build()?;
//! let app = Router::new()
//!     .route("/whoami", get(whoami))
//!     .route("/admin", get(whoami).route_layer(require_scopes(["admin"])))
//!     .layer(JwtAuditLayer::new(verifier));
//!
//! let request = Request::get("/whoami")
//!     .header("authorization", "Bearer not.a.jwt")
//!     .header("x-request-id", "req-1")
//!     .body(Body::empty())?;
//! let response = app.oneshot(request).await?;
//! assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
//! assert_eq!(response.headers()["www-authenticate"], r#"Bearer error="invalid_token""#);
//! assert_eq!(response.headers()["x-request-id"], "req-1");
//! let record = &records.records()[0];
//! assert_eq!(record.request.path.as_deref(), Some("/whoami"));
//! assert_eq!(record.failure_kind().unwrap().as_str(), "malformed");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

mod extract;
mod guard;
mod layer;
mod rejection;

pub use extract::{Auth, CorrelationId};
pub use guard::{RequireAuthz, RequireAuthzLayer, require_roles, require_scopes};
pub use jwt_audit::AuthzRequirement;
pub use jwt_audit::http_context::{Caller, ClientIp};
pub use layer::{JwtAudit, JwtAuditLayer, ResponseFuture};
pub use rejection::AuthRejection;

/// The header that carries the correlation id in and out (`X-Request-Id`).
pub const REQUEST_ID_HEADER: http::HeaderName = http::HeaderName::from_static("x-request-id");
