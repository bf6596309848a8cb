//! [`JwtAuditLayer`] and its service [`JwtAudit`].

use crate::REQUEST_ID_HEADER;
use crate::extract::CorrelationId;
use crate::rejection::AuthRejection;
use axum::extract::{ConnectInfo, MatchedPath};
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, Request, header::AUTHORIZATION};
use jwt_audit::http_context::{Admission, ClientIp, request_context};
use jwt_audit::{RequestContext, Verifier};
use pin_project_lite::pin_project;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use tower_layer::Layer;
use tower_service::Service;

/// A tower [`Layer`] that verifies the Bearer token of every request (see the crate docs).
///
/// Apply it with `Router::layer` so that it runs after routing and records the route template
/// (`/orders/{id}`) rather than the raw path.
#[derive(Clone)]
pub struct JwtAuditLayer {
    config: Arc<Config>,
}

#[derive(Clone)]
struct Config {
    verifier: Verifier,
    client_ip: ClientIp,
    anonymous: bool,
}

impl JwtAuditLayer {
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
    /// so no record): handlers take `Option<Auth>`, and an [`Auth`](crate::Auth) extractor or a guard on such a
    /// request answers 401 and records `missing_token`. A presented credential must still be a
    /// valid Bearer token.
    pub fn allow_anonymous(mut self) -> Self {
        Arc::make_mut(&mut self.config).anonymous = true;
        self
    }

    /// Where the client address in records comes from (default: the TCP peer from
    /// [`ConnectInfo<SocketAddr>`]). Name a proxy header only behind trusted proxies.
    pub fn client_ip(mut self, source: ClientIp) -> Self {
        Arc::make_mut(&mut self.config).client_ip = source;
        self
    }
}

impl<S> Layer<S> for JwtAuditLayer {
    type Service = JwtAudit<S>;
    fn layer(&self, inner: S) -> JwtAudit<S> {
        JwtAudit {
            inner,
            config: self.config.clone(),
        }
    }
}

/// The service built by [`JwtAuditLayer`].
#[derive(Clone)]
pub struct JwtAudit<S> {
    inner: S,
    config: Arc<Config>,
}

/// The [`RequestContext`] of an axum request: route template, peer from `ConnectInfo`, headers.
fn context_of<B>(req: &Request<B>, client_ip: &ClientIp) -> RequestContext {
    let path = req
        .extensions()
        .get::<MatchedPath>()
        .map_or(req.uri().path(), MatchedPath::as_str);
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let headers = req.headers();
    request_context(req.method().as_str(), path, peer, client_ip, |name| {
        headers.get_all(name).iter().filter_map(|v| v.to_str().ok())
    })
}

impl<S, B> Service<Request<B>> for JwtAudit<S>
where
    S: Service<Request<B>, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        let config = &*self.config;
        let context = context_of(&req, &config.client_ip);
        let correlation = context.correlation_id.clone().unwrap_or_default();
        let echo = HeaderValue::from_str(&correlation).ok();
        // A header that is not visible ASCII still counts as presented (and is `malformed`).
        let authorization = req
            .headers()
            .get(AUTHORIZATION)
            .map(|v| String::from_utf8_lossy(v.as_bytes()));
        let admission = Admission::decide(
            &config.verifier,
            authorization.as_deref(),
            context,
            config.anonymous,
        );
        let admission = match admission {
            Ok(admission) => admission,
            Err(refused) => {
                let response = AuthRejection::Challenge(refused).into_response();
                return ResponseFuture::answered(response, echo);
            }
        };
        let extensions = req.extensions_mut();
        extensions.insert(admission);
        extensions.insert(CorrelationId(correlation));
        ResponseFuture::called(self.inner.call(req), echo)
    }
}

pin_project! {
    /// The response future of [`JwtAudit`] and [`RequireAuthz`](crate::RequireAuthz): the inner
    /// service's response, or the rejection; with the correlation id echoed in `X-Request-Id`.
    pub struct ResponseFuture<F> {
        #[pin]
        state: State<F>,
        echo: Option<HeaderValue>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F> {
        Called { #[pin] future: F },
        Answered { response: Option<Response> },
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn called(future: F, echo: Option<HeaderValue>) -> Self {
        Self {
            state: State::Called { future },
            echo,
        }
    }

    pub(crate) fn answered(response: Response, echo: Option<HeaderValue>) -> Self {
        Self {
            state: State::Answered {
                response: Some(response),
            },
            echo,
        }
    }
}

impl<F, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = match this.state.project() {
            StateProj::Called { future } => ready!(future.poll(cx))?,
            StateProj::Answered { response } => response.take().unwrap_or_default(),
        };
        if let Some(id) = this.echo.take() {
            response.headers_mut().insert(REQUEST_ID_HEADER, id);
        }
        Poll::Ready(Ok(response))
    }
}
