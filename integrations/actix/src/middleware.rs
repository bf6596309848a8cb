//! [`JwtAudit`] middleware.

use crate::REQUEST_ID_HEADER;
use crate::extract::CorrelationId;
use crate::rejection::AuthRejection;
use actix_web::body::EitherBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::header::{AUTHORIZATION, HeaderValue};
use actix_web::{Error, HttpMessage, ResponseError};
use jwt_audit::http_context::{Admission, ClientIp, request_context};
use jwt_audit::{RequestContext, Verifier};
use pin_project_lite::pin_project;
use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

/// Middleware that verifies the Bearer token of every request (see the crate docs). Cheap to
/// clone into the `HttpServer::new` factory.
#[derive(Clone)]
pub struct JwtAudit {
    config: Arc<Config>,
}

#[derive(Clone)]
struct Config {
    verifier: Verifier,
    client_ip: ClientIp,
    anonymous: bool,
}

impl JwtAudit {
    /// Every request must carry a valid Bearer token.
    pub fn new(verifier: Verifier) -> Self {
        Self {
            config: Arc::new(Config {
                verifier,
                client_ip: ClientIp::Peer,
                anonymous: false,
            }),
        }
    }

    /// Lets requests without an `Authorization` header through unauthenticated (no verification,
    /// so no record): handlers take [`MaybeAuth`](crate::MaybeAuth), and an
    /// [`Auth`](crate::Auth) extractor or a guard on such a request answers 401 and records
    /// `missing_token`. A presented credential must still be a valid Bearer token.
    pub fn allow_anonymous(mut self) -> Self {
        Arc::make_mut(&mut self.config).anonymous = true;
        self
    }

    /// Where the client address in records comes from (default: the TCP peer). Name a proxy
    /// header only behind trusted proxies.
    pub fn client_ip(mut self, source: ClientIp) -> Self {
        Arc::make_mut(&mut self.config).client_ip = source;
        self
    }
}

impl<S, B> Transform<S, ServiceRequest> for JwtAudit
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = JwtAuditMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<JwtAuditMiddleware<S>, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(JwtAuditMiddleware {
            service,
            config: self.config.clone(),
        }))
    }
}

/// The service built by [`JwtAudit`].
pub struct JwtAuditMiddleware<S> {
    service: S,
    config: Arc<Config>,
}

/// The [`RequestContext`] of an actix request: route pattern, TCP peer, headers.
fn context_of(req: &ServiceRequest, client_ip: &ClientIp) -> RequestContext {
    let pattern = req.match_pattern();
    let path = pattern.as_deref().unwrap_or(req.path());
    let peer = req.peer_addr().map(|a| a.ip());
    let headers = req.headers();
    request_context(req.method().as_str(), path, peer, client_ip, |name| {
        headers.get_all(name).filter_map(|v| v.to_str().ok())
    })
}

impl<S, B> Service<ServiceRequest> for JwtAuditMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = ResponseFuture<S::Future, B>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let config = &*self.config;
        let context = context_of(&req, &config.client_ip);
        let correlation = context.correlation_id.clone().unwrap_or_default();
        let echo = HeaderValue::from_str(&correlation).ok();
        // A header that is not visible ASCII still counts as presented (and is `malformed`).
        let authorization = req
            .headers()
            .get(AUTHORIZATION)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let admission = Admission::decide(
            &config.verifier,
            authorization.as_deref(),
            context,
            config.anonymous,
        );
        match admission {
            Ok(admission) => {
                let mut extensions = req.extensions_mut();
                extensions.insert(admission);
                extensions.insert(CorrelationId(correlation));
                drop(extensions);
                ResponseFuture::called(self.service.call(req), echo)
            }
            Err(refused) => {
                let response = AuthRejection::Challenge(refused).error_response();
                ResponseFuture::answered(req.into_response(response), echo)
            }
        }
    }
}

pin_project! {
    /// The response future of [`JwtAuditMiddleware`] and
    /// [`RequireAuthzMiddleware`](crate::RequireAuthzMiddleware): the inner service's response,
    /// or the rejection; with the correlation id echoed in `X-Request-Id`. (An inner service's
    /// `Err` is passed on as is: actix answers it later, without the header. Handler errors are
    /// responses by then and carry it.)
    pub struct ResponseFuture<F, B> {
        #[pin]
        state: State<F, B>,
        echo: Option<HeaderValue>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F, B> {
        Called { #[pin] future: F },
        Answered { response: Option<ServiceResponse> , _body: std::marker::PhantomData<B> },
    }
}

impl<F, B> ResponseFuture<F, B> {
    pub(crate) fn called(future: F, echo: Option<HeaderValue>) -> Self {
        Self {
            state: State::Called { future },
            echo,
        }
    }

    pub(crate) fn answered(response: ServiceResponse, echo: Option<HeaderValue>) -> Self {
        Self {
            state: State::Answered {
                response: Some(response),
                _body: std::marker::PhantomData,
            },
            echo,
        }
    }
}

impl<F, B> Future for ResponseFuture<F, B>
where
    F: Future<Output = Result<ServiceResponse<B>, Error>>,
{
    type Output = Result<ServiceResponse<EitherBody<B>>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = match this.state.project() {
            StateProj::Called { future } => ready!(future.poll(cx))?.map_into_left_body(),
            StateProj::Answered { response, .. } => match response.take() {
                Some(response) => response.map_into_right_body(),
                None => return Poll::Ready(Err(AuthRejection::MissingLayer.into())),
            },
        };
        if let Some(id) = this.echo.take() {
            response.headers_mut().insert(REQUEST_ID_HEADER, id);
        }
        Poll::Ready(Ok(response))
    }
}
