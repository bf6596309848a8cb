//! [`AuthRejection`]: the generic answer to a rejected request.

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, HeaderValue, WWW_AUTHENTICATE};
use actix_web::{HttpResponse, ResponseError};
use jwt_audit::http::Challenge;
use std::fmt;

/// Why a request was refused. The client learns only the RFC 6750 error; the specifics are in
/// the audit record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthRejection {
    /// `401 invalid_token` (or bare `Bearer` for a missing token), `403 insufficient_scope`, or
    /// `503` when fail-closed auditing could not record: core's
    /// [`challenge`](jwt_audit::http::challenge).
    Challenge(Challenge),
    /// The route has no [`JwtAudit`](crate::JwtAudit) middleware in front of it: a programming
    /// error, answered `500`.
    MissingLayer,
}

impl From<Challenge> for AuthRejection {
    fn from(c: Challenge) -> Self {
        Self::Challenge(c)
    }
}

impl fmt::Display for AuthRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Challenge(c) => write!(f, "{} {}", c.status, c.www_authenticate),
            Self::MissingLayer => f.write_str("the jwt-audit middleware is not on this route"),
        }
    }
}

impl ResponseError for AuthRejection {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Challenge(c) => {
                StatusCode::from_u16(c.status).unwrap_or(StatusCode::UNAUTHORIZED)
            }
            Self::MissingLayer => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((CONTENT_TYPE, HeaderValue::from_static("application/json")));
        match self {
            Self::Challenge(c) => {
                let www = HeaderValue::from_str(&c.www_authenticate)
                    .unwrap_or(HeaderValue::from_static("Bearer"));
                response.insert_header((WWW_AUTHENTICATE, www)).body(c.body)
            }
            Self::MissingLayer => response.body(r#"{"error":"server_error"}"#),
        }
    }
}
