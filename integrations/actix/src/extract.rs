//! Extractors: [`Auth`], [`MaybeAuth`], [`CorrelationId`].

use crate::rejection::AuthRejection;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use jwt_audit::http_context::{Admission, Caller};
use std::future::{Ready, ready};
use std::ops::Deref;

/// Applies `f` to what [`JwtAudit`](crate::JwtAudit) decided for this request.
pub(crate) fn with_admission<T>(
    req: &impl HttpMessage,
    f: impl FnOnce(&Admission) -> Result<T, AuthRejection>,
) -> Result<T, AuthRejection> {
    match req.extensions().get::<Admission>() {
        Some(admission) => f(admission),
        None => Err(AuthRejection::MissingLayer),
    }
}

/// The verified caller behind [`JwtAudit`](crate::JwtAudit): claims, audit record and
/// scope/role checks through [`Caller`] (`auth.claims()`, `auth.subject()`, `auth.record()`,
/// `auth.require(&need)?`). On an anonymous request it answers `401` and records
/// `missing_token`; use [`MaybeAuth`] on routes that allow anonymous callers.
///
/// Extracting it on a route without the middleware is a programming error, answered `500`.
#[derive(Debug, Clone)]
pub struct Auth(pub Caller);

impl Deref for Auth {
    type Target = Caller;
    fn deref(&self) -> &Caller {
        &self.0
    }
}

impl FromRequest for Auth {
    type Error = AuthRejection;
    type Future = Ready<Result<Self, AuthRejection>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(with_admission(req, |a| Ok(Self(a.caller()?.clone()))))
    }
}

/// The verified caller, or `None` for a request without an `Authorization` header behind
/// [`JwtAudit::allow_anonymous`](crate::JwtAudit::allow_anonymous) (nothing is recorded then).
#[derive(Debug, Clone)]
pub struct MaybeAuth(pub Option<Auth>);

impl FromRequest for MaybeAuth {
    type Error = AuthRejection;
    type Future = Ready<Result<Self, AuthRejection>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(with_admission(req, |a| {
            Ok(Self(a.caller_if_any().cloned().map(Auth)))
        }))
    }
}

/// The request's correlation id (from `X-Request-Id` or `traceparent`, else generated), as
/// written in its records and echoed in the `X-Request-Id` response header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrelationId(pub String);

impl FromRequest for CorrelationId {
    type Error = AuthRejection;
    type Future = Ready<Result<Self, AuthRejection>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let id = req.extensions().get::<Self>().cloned();
        ready(id.ok_or(AuthRejection::MissingLayer))
    }
}
