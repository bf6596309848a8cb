//! # jwt-audit-actix
//!
//! Drop-in JWT authentication for [actix-web](https://docs.rs/actix-web) over the [`jwt_audit`]
//! core: every request's Bearer token is verified, and every verification leaves an
//! [`AuditRecord`](jwt_audit::AuditRecord) in the verifier's sinks — with the request's
//! correlation id, client address, method, route pattern and user agent. Same behaviour as
//! `jwt-audit-axum`; both adapters share core's [`jwt_audit::http_context`].
//!
//! - [`JwtAudit`]: middleware (`App::wrap`, `Scope::wrap`) verifying `Authorization: Bearer …`.
//!   A rejected token is answered `401` with `WWW-Authenticate: Bearer error="invalid_token"` and
//!   a generic JSON body (the specifics stay in the record). [`JwtAudit::allow_anonymous`] lets
//!   requests without an `Authorization` header through (a presented token must still be valid).
//! - Extractors: [`Auth`] (verified claims and the record), [`MaybeAuth`] for routes open to
//!   anonymous callers, [`CorrelationId`]. (`Option<Auth>` also works, but audits every
//!   anonymous request as `missing_token`: prefer [`MaybeAuth`].)
//! - Guards: [`require_scopes`] / [`require_roles`] / [`RequireAuthz`] middleware (or
//!   `auth.require(&need)?` inside a handler, see [`Caller::require`]) answer `403` with
//!   `WWW-Authenticate: Bearer error="insufficient_scope"` and emit an `authz_fail` record.
//! - The correlation id comes from `X-Request-Id` or `traceparent`, is generated when absent, and
//!   is echoed in the `X-Request-Id` response header.
//! - The client address is the TCP peer or, behind proxies, the header named by [`ClientIp`].
//!
//! Verification runs inline on the worker (HS256 takes microseconds, RS256/ES256 tens of
//! microseconds); give the verifier a non-blocking sink ([`jwt_audit::sink::NonBlocking`]) when
//! records go to a file or the network. With [`jwt_audit::sink::TracingSink`] records land in
//! whatever `tracing` subscriber the service runs.
//!
//! ```
//! use actix_web::{App, test, web, http::StatusCode};
//! use jwt_audit::{Verifier, sink::MemorySink};
//! use jwt_audit_actix::{Auth, JwtAudit, require_scopes};
//! use std::sync::Arc;
//!
//! async fn whoami(auth: Auth) -> String {
//!     auth.subject().unwrap_or("?").to_string()
//! }
//!
//! # actix_web::rt::System::new().block_on(async {
//! let records = Arc::new(MemorySink::new());
//! let verifier = Verifier::builder()
//!     .hmac_secret("a-very-long-secret-of-at-least-32-bytes!")
//!     .algorithms(["HS256"])
//!     .shared_sink(records.clone())
//!     .build()?;
//! let app = test::init_service(
//!     App::new()
//!         .wrap(JwtAudit::new(verifier))
//!         .route("/whoami", web::get().to(whoami))
//!         .service(web::resource("/admin").wrap(require_scopes(["admin"])).to(whoami)),
//! )
//! .await;
//!
//! let request = test::TestRequest::get()
//!     .uri("/whoami")
//!     .insert_header(("authorization", "Bearer not.a.jwt"))
//!     .insert_header(("x-request-id", "req-1"))
//!     .to_request();
//! let response = test::call_service(&app, request).await;
//! assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
//! assert_eq!(response.headers().get("www-authenticate").unwrap(), r#"Bearer error="invalid_token""#);
//! assert_eq!(response.headers().get("x-request-id").unwrap(), "req-1");
//! let record = &records.records()[0];
//! assert_eq!(record.request.path.as_deref(), Some("/whoami"));
//! assert_eq!(record.failure_kind().unwrap().as_str(), "malformed");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

mod extract;
mod guard;
mod middleware;
mod rejection;

pub use extract::{Auth, CorrelationId, MaybeAuth};
pub use guard::{RequireAuthz, RequireAuthzMiddleware, require_roles, require_scopes};
pub use jwt_audit::AuthzRequirement;
pub use jwt_audit::http_context::{Caller, ClientIp};
pub use middleware::{JwtAudit, JwtAuditMiddleware, ResponseFuture};
pub use rejection::AuthRejection;

/// The header that carries the correlation id in and out (`X-Request-Id`).
pub const REQUEST_ID_HEADER: actix_web::http::header::HeaderName =
    actix_web::http::header::HeaderName::from_static("x-request-id");
