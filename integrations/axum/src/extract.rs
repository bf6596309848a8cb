//! Extractors: [`Auth`] (and `Option<Auth>`), [`CorrelationId`].

use crate::rejection::AuthRejection;
use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use http::request::Parts;
use jwt_audit::{AuditRecord, AuthzRequirement, RequestContext, Verification, Verifier};
use serde_json::{Map, Value};
use std::sync::{Arc, LazyLock};

/// What [`JwtAuditLayer`](crate::JwtAuditLayer) left in the request's extensions.
#[derive(Clone)]
pub(crate) enum AuthState {
    Authenticated(Auth),
    /// No `Authorization` header on a layer that allows anonymous requests.
    Anonymous {
        verifier: Verifier,
        context: Arc<RequestContext>,
    },
}

impl AuthState {
    /// The authenticated caller; for an anonymous request, records `missing_token` and rejects.
    pub(crate) fn auth(&self) -> Result<&Auth, AuthRejection> {
        match self {
            Self::Authenticated(auth) => Ok(auth),
            Self::Anonymous { verifier, context } => Err(AuthRejection::from_rejected(
                &verifier.verify_authorization(None, context, None),
            )),
        }
    }

    pub(crate) fn of(parts: &http::Extensions) -> Result<&Self, AuthRejection> {
        parts.get::<Self>().ok_or(AuthRejection::MissingLayer)
    }
}

/// The verified caller: claims, audit record, and scope/role checks. Extract it in a handler
/// behind [`JwtAuditLayer`](crate::JwtAuditLayer); use `Option<Auth>` on routes that allow
/// anonymous callers.
///
/// Extracting `Auth` on a route without the layer is a programming error, answered `500`.
#[derive(Clone)]
pub struct Auth {
    verification: Verification,
    verifier: Verifier,
}

impl Auth {
    pub(crate) fn new(verification: Verification, verifier: Verifier) -> Self {
        Self {
            verification,
            verifier,
        }
    }

    /// The verified claims (complete, not redacted).
    pub fn claims(&self) -> &Map<String, Value> {
        // `Auth` only holds accepted verifications, which always have claims.
        static EMPTY: LazyLock<Map<String, Value>> = LazyLock::new(Map::new);
        self.verification.claims().unwrap_or(&EMPTY)
    }

    /// The `sub` claim, when it is a string.
    pub fn subject(&self) -> Option<&str> {
        self.claims().get("sub").and_then(Value::as_str)
    }

    /// The audit record of this request's verification.
    pub fn record(&self) -> &Arc<AuditRecord> {
        self.verification.record()
    }

    /// The whole verification.
    pub fn verification(&self) -> &Verification {
        &self.verification
    }

    /// Requires scopes/roles inside a handler: on denial an `authz_fail` record is emitted and
    /// the returned rejection answers `403 insufficient_scope`.
    pub fn require(&self, need: &AuthzRequirement) -> Result<(), AuthRejection> {
        self.verifier
            .authorize(&self.verification, need)
            .map_err(|denied| AuthRejection::from_rejected(&denied))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Auth {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AuthRejection> {
        AuthState::of(&parts.extensions)?.auth().cloned()
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for Auth {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, AuthRejection> {
        Ok(match AuthState::of(&parts.extensions)? {
            AuthState::Authenticated(auth) => Some(auth.clone()),
            AuthState::Anonymous { .. } => None,
        })
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
