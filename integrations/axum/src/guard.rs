//! Scope/role guards: [`RequireAuthzLayer`], [`require_scopes`], [`require_roles`].

use crate::extract::admission;
use crate::layer::ResponseFuture;
use axum::response::{IntoResponse, Response};
use http::Request;
use jwt_audit::AuthzRequirement;
use std::sync::Arc;
use std::task::{Context, Poll};
use tower_layer::Layer;
use tower_service::Service;

/// A layer that lets a request through only when its verified token grants every scope and
/// role of an [`AuthzRequirement`]; otherwise `403 insufficient_scope` and an `authz_fail`
/// record (`401` and a `missing_token` record for an anonymous request). Put it inside
/// [`JwtAuditLayer`](crate::JwtAuditLayer), typically with `route_layer`.
#[derive(Debug, Clone)]
pub struct RequireAuthzLayer {
    need: Arc<AuthzRequirement>,
}

impl RequireAuthzLayer {
    pub fn new(need: AuthzRequirement) -> Self {
        Self {
            need: Arc::new(need),
        }
    }
}

/// Requires every listed scope (`scope` or `scp` claim).
pub fn require_scopes<I: IntoIterator<Item = S>, S: Into<String>>(scopes: I) -> RequireAuthzLayer {
    RequireAuthzLayer::new(AuthzRequirement::new().scopes(scopes))
}

/// Requires every listed role (`roles` claim).
pub fn require_roles<I: IntoIterator<Item = S>, S: Into<String>>(roles: I) -> RequireAuthzLayer {
    RequireAuthzLayer::new(AuthzRequirement::new().roles(roles))
}

impl<S> Layer<S> for RequireAuthzLayer {
    type Service = RequireAuthz<S>;
    fn layer(&self, inner: S) -> RequireAuthz<S> {
        RequireAuthz {
            inner,
            need: self.need.clone(),
        }
    }
}

/// The service built by [`RequireAuthzLayer`].
#[derive(Debug, Clone)]
pub struct RequireAuthz<S> {
    inner: S,
    need: Arc<AuthzRequirement>,
}

impl<S, B> Service<Request<B>> for RequireAuthz<S>
where
    S: Service<Request<B>, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let granted = admission(req.extensions()).and_then(|a| Ok(a.require(&self.need)?));
        match granted {
            Ok(()) => ResponseFuture::called(self.inner.call(req), None),
            Err(rejection) => ResponseFuture::answered(rejection.into_response(), None),
        }
    }
}
