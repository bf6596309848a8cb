//! Scope/role guards: [`RequireAuthz`], [`require_scopes`], [`require_roles`].

use crate::extract::with_admission;
use crate::middleware::ResponseFuture;
use actix_web::body::EitherBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::{Error, ResponseError};
use jwt_audit::AuthzRequirement;
use std::future::{Ready, ready};
use std::sync::Arc;

/// Middleware that lets a request through only when its verified token grants every scope and
/// role of an [`AuthzRequirement`]; otherwise `403 insufficient_scope` and an `authz_fail`
/// record (`401` and a `missing_token` record for an anonymous request). Wrap a resource or
/// scope inside [`JwtAudit`](crate::JwtAudit).
#[derive(Debug, Clone)]
pub struct RequireAuthz {
    need: Arc<AuthzRequirement>,
}

impl RequireAuthz {
    pub fn new(need: AuthzRequirement) -> Self {
        Self {
            need: Arc::new(need),
        }
    }
}

/// Requires every listed scope (`scope` or `scp` claim).
pub fn require_scopes<I: IntoIterator<Item = S>, S: Into<String>>(scopes: I) -> RequireAuthz {
    RequireAuthz::new(AuthzRequirement::new().scopes(scopes))
}

/// Requires every listed role (`roles` claim).
pub fn require_roles<I: IntoIterator<Item = S>, S: Into<String>>(roles: I) -> RequireAuthz {
    RequireAuthz::new(AuthzRequirement::new().roles(roles))
}

impl<S, B> Transform<S, ServiceRequest> for RequireAuthz
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = RequireAuthzMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<RequireAuthzMiddleware<S>, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequireAuthzMiddleware {
            service,
            need: self.need.clone(),
        }))
    }
}

/// The service built by [`RequireAuthz`].
pub struct RequireAuthzMiddleware<S> {
    service: S,
    need: Arc<AuthzRequirement>,
}

impl<S, B> Service<ServiceRequest> for RequireAuthzMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = ResponseFuture<S::Future, B>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        match with_admission(&req, |a| Ok(a.require(&self.need)?)) {
            Ok(()) => ResponseFuture::called(self.service.call(req), None),
            Err(rejection) => {
                ResponseFuture::answered(req.into_response(rejection.error_response()), None)
            }
        }
    }
}
