//! [`AuthRejection`]: the generic answer to a rejected request.

use axum::response::{IntoResponse, Response};
use http::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{HeaderValue, StatusCode};
use jwt_audit::http::Challenge;

/// Why a request was refused. The client learns only the RFC 6750 error; the specifics are in
/// the audit record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthRejection {
    /// `401 invalid_token` (or bare `Bearer` for a missing token), `403 insufficient_scope`, or
    /// `503` when fail-closed auditing could not record: core's
    /// [`challenge`](jwt_audit::http::challenge).
    Challenge(Challenge),
    /// The route has no [`JwtAuditLayer`](crate::JwtAuditLayer) in front of it: a programming
    /// error, answered `500`.
    MissingLayer,
}

impl AuthRejection {
    /// The HTTP status of the answer.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Challenge(c) => {
                StatusCode::from_u16(c.status).unwrap_or(StatusCode::UNAUTHORIZED)
            }
            Self::MissingLayer => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<Challenge> for AuthRejection {
    fn from(c: Challenge) -> Self {
        Self::Challenge(c)
    }
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        let json = HeaderValue::from_static("application/json");
        let status = self.status();
        match self {
            Self::Challenge(c) => {
                let www = HeaderValue::try_from(c.www_authenticate)
                    .unwrap_or(HeaderValue::from_static("Bearer"));
                (
                    status,
                    [(WWW_AUTHENTICATE, www), (CONTENT_TYPE, json)],
                    c.body,
                )
                    .into_response()
            }
            Self::MissingLayer => (
                status,
                [(CONTENT_TYPE, json)],
                r#"{"error":"server_error"}"#,
            )
                .into_response(),
        }
    }
}
