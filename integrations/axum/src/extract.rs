//! Extractors: [`Auth`] (and `Option<Auth>`), [`CorrelationId`].

use crate::rejection::AuthRejection;
use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use http::request::Parts;
use jwt_audit::http_context::{Admission, Caller};
use std::ops::Deref;

/// What [`JwtAuditLayer`](crate::JwtAuditLayer) decided for this request.
pub(crate) fn admission(parts: &http::Extensions) -> Result<&Admission, AuthRejection> {
    parts.get::<Admission>().ok_or(AuthRejection::MissingLayer)
}

/// The verified caller behind [`JwtAuditLayer`](crate::JwtAuditLayer): claims, audit record and
/// scope/role checks through [`Caller`] (`auth.claims()`, `auth.subject()`, `auth.record()`,
/// `auth.require(&need)?`). Use `Option<Auth>` on routes that allow anonymous callers; `Auth` on
/// an anonymous request answers `401` and records `missing_token`.
///
/// Extracting it on a route without the layer is a programming error, answered `500`.
#[derive(Debug, Clone)]
pub struct Auth(pub Caller);

impl Deref for Auth {
    type Target = Caller;
    fn deref(&self) -> &Caller {
        &self.0
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Auth {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AuthRejection> {
        Ok(Self(admission(&parts.extensions)?.caller()?.clone()))
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for Auth {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, AuthRejection> {
        let caller = admission(&parts.extensions)?.caller_if_any();
        Ok(caller.cloned().map(Self))
    }
}

/// The request's correlation id (from `X-Request-Id` or `traceparent`, else generated), as
/// written in its records and echoed in the `X-Request-Id` response header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrelationId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for CorrelationId {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AuthRejection> {
        parts
            .extensions
            .get::<Self>()
            .cloned()
            .ok_or(AuthRejection::MissingLayer)
    }
}
