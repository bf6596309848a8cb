//! Framework-neutral request handling for the Rust HTTP adapters (`jwt-audit-axum`,
//! `jwt-audit-actix`), so that they share everything but the framework glue:
//!
//! - [`request_context`]: the [`RequestContext`] of a request — correlation id (see
//!   [`crate::http::correlation_id`]), client address from the TCP peer or from the headers of
//!   trusted proxies ([`ClientIp`]), method, path, user agent. Headers are read through a closure.
//! - [`Admission`]: what the authentication middleware decided (a verified [`Caller`], or an
//!   anonymous request where those are allowed), kept in the request for extractors and guards;
//!   refusals are core's [`Challenge`]s.

use crate::authz::AuthzRequirement;
use crate::context::RequestContext;
use crate::http::{Challenge, challenge, correlation_id, new_correlation_id};
use crate::record::AuditRecord;
use crate::verifier::{Verification, Verifier};
use serde_json::{Map, Value};
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, LazyLock};

/// Where the client's address comes from. Only name a proxy header when every request reaches
/// the service through that many proxies: a client talking to the service directly can write any
/// header it likes.
///
/// ```
/// use jwt_audit::http_context::ClientIp;
/// use std::net::IpAddr;
/// let peer: IpAddr = "10.0.0.2".parse().unwrap();
/// // One proxy (e.g. nginx with `$proxy_add_x_forwarded_for`) appends the address it saw.
/// let xff = ClientIp::XForwardedFor { trusted_proxies: 1 };
/// let ip = xff.resolve(Some(peer), ["6.6.6.6, 203.0.113.7"]);
/// assert_eq!(ip, Some("203.0.113.7".parse().unwrap()));
/// // No header (the request bypassed the proxy): the peer is the honest answer.
/// assert_eq!(xff.resolve(Some(peer), []), Some(peer));
/// assert_eq!(ClientIp::Peer.resolve(Some(peer), ["203.0.113.7"]), Some(peer));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ClientIp {
    /// The TCP peer address (no proxy in front). The default.
    #[default]
    Peer,
    /// `X-Forwarded-For` written by `trusted_proxies` proxies, each appending the address it
    /// saw: the client is the `trusted_proxies`-th entry from the right (entries further left
    /// were written by the client and are not trusted). `0` ignores the header.
    XForwardedFor { trusted_proxies: usize },
    /// RFC 7239 `Forwarded` (`for=` parameter), counted the same way.
    Forwarded { trusted_proxies: usize },
    /// A header holding one address that the proxy sets or overwrites (`X-Real-IP`,
    /// `CF-Connecting-IP`, …); its last value counts. Build it with [`ClientIp::header`].
    Header(String),
}

impl ClientIp {
    /// A single-address header (the name is stored lowercase).
    pub fn header(name: impl Into<String>) -> Self {
        Self::Header(name.into().to_ascii_lowercase())
    }

    /// The header this source reads, if any (lowercase).
    pub fn header_name(&self) -> Option<&str> {
        match self {
            Self::Peer => None,
            Self::XForwardedFor { .. } => Some("x-forwarded-for"),
            Self::Forwarded { .. } => Some("forwarded"),
            Self::Header(name) => Some(name),
        }
    }

    /// The client's address, given the TCP peer and every value of [`ClientIp::header_name`] in
    /// the order received. Falls back to `peer` when the header is absent, has fewer entries
    /// than trusted proxies, or the chosen entry is not an address (`unknown`, an obfuscated
    /// identifier, garbage). IPv4-mapped IPv6 addresses are given as IPv4.
    pub fn resolve<'a>(
        &self,
        peer: Option<IpAddr>,
        values: impl IntoIterator<Item = &'a str>,
    ) -> Option<IpAddr> {
        let from_header = match self {
            Self::Peer => None,
            Self::XForwardedFor { trusted_proxies } => {
                nth_from_right(values, *trusted_proxies).and_then(parse_addr)
            }
            Self::Forwarded { trusted_proxies } => {
                nth_from_right(values, *trusted_proxies).and_then(forwarded_for)
            }
            Self::Header(_) => values.into_iter().last().and_then(parse_addr),
        };
        from_header.or(peer).map(|ip| ip.to_canonical())
    }
}

/// The `n`-th comma-separated element from the right across all header values (`n` ≥ 1).
fn nth_from_right<'a>(values: impl IntoIterator<Item = &'a str>, n: usize) -> Option<&'a str> {
    if n == 0 {
        return None;
    }
    let elements: Vec<&str> = values
        .into_iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect();
    elements.len().checked_sub(n).map(|i| elements[i])
}

/// An address as proxies write it: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`,
/// `[2001:db8::1]` or `[2001:db8::1]:4711`.
fn parse_addr(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    s.parse::<IpAddr>()
        .ok()
        .or_else(|| s.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| {
            s.strip_prefix('[')
                .and_then(|r| r.strip_suffix(']'))
                .and_then(|r| r.parse().ok())
        })
}

/// The address in the `for=` parameter of one `Forwarded` element (RFC 7239 §4–6).
fn forwarded_for(element: &str) -> Option<IpAddr> {
    element.split(';').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        if !key.trim().eq_ignore_ascii_case("for") {
            return None;
        }
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        parse_addr(value)
    })
}

/// The context of one HTTP request. `headers(name)` yields the values of a header (lowercase
/// name) that are visible ASCII, in order. The correlation id comes from `X-Request-Id` or
/// `traceparent` (see [`correlation_id`]) and is generated ([`new_correlation_id`]) when neither
/// holds one, so the context always has one to echo back. `path` should be the route template
/// (e.g. `/orders/{id}`) when the framework knows it.
///
/// ```
/// use jwt_audit::http_context::{request_context, ClientIp};
/// let headers = [("x-request-id", "req-9"), ("user-agent", "curl/8.5"), ("x-real-ip", "203.0.113.7")];
/// let values = |name: &str| {
///     let found: Vec<&str> = headers.iter().filter(|(n, _)| *n == name).map(|(_, v)| *v).collect();
///     found.into_iter()
/// };
/// let ip = ClientIp::header("X-Real-IP");
/// let ctx = request_context("GET", "/orders/{id}", "10.0.0.2".parse().ok(), &ip, values);
/// assert_eq!(ctx.correlation_id.as_deref(), Some("req-9"));
/// assert_eq!(ctx.client_ip.as_deref(), Some("203.0.113.7"));
/// assert_eq!((ctx.method.as_deref(), ctx.path.as_deref()), (Some("GET"), Some("/orders/{id}")));
/// assert_eq!(ctx.user_agent.as_deref(), Some("curl/8.5"));
/// ```
pub fn request_context<'a, H, I>(
    method: &str,
    path: &str,
    peer: Option<IpAddr>,
    client_ip: &ClientIp,
    headers: H,
) -> RequestContext
where
    H: Fn(&str) -> I,
    I: Iterator<Item = &'a str>,
{
    let first = |name: &str| headers(name).next();
    let correlation = correlation_id(first("x-request-id"), first("traceparent"))
        .unwrap_or_else(new_correlation_id);
    let ip = match client_ip.header_name() {
        Some(name) => client_ip.resolve(peer, headers(name)),
        None => client_ip.resolve(peer, []),
    };
    RequestContext {
        correlation_id: Some(correlation),
        client_ip: ip.map(|ip| ip.to_string()),
        method: Some(method.to_string()),
        path: Some(path.to_string()),
        user_agent: first("user-agent").map(str::to_string),
    }
}

impl fmt::Debug for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verification = &self.verification;
        f.debug_struct("Caller")
            .field("verification", verification)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Admission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Authenticated(caller) => f.debug_tuple("Authenticated").field(caller).finish(),
            Self::Anonymous { context, .. } => f
                .debug_struct("Anonymous")
                .field("context", context)
                .finish_non_exhaustive(),
        }
    }
}

/// The answer to a rejected verification.
fn refusal(v: &Verification) -> Challenge {
    // Only rejected verifications get here, and every rejection has a challenge.
    challenge(v).unwrap_or_else(|| Challenge {
        status: 500,
        www_authenticate: "Bearer".into(),
        body: r#"{"error":"server_error"}"#,
    })
}

/// A request whose Bearer token was accepted: the verification and the verifier (for scope and
/// role checks later in the request).
#[derive(Clone)]
pub struct Caller {
    verification: Verification,
    verifier: Verifier,
}

impl Caller {
    /// The verified claims (complete, not redacted).
    pub fn claims(&self) -> &Map<String, Value> {
        // A `Caller` only holds accepted verifications, which always have claims.
        static EMPTY: LazyLock<Map<String, Value>> = LazyLock::new(Map::new);
        self.verification.claims().unwrap_or(&EMPTY)
    }

    /// The `sub` claim, when it is a string.
    pub fn subject(&self) -> Option<&str> {
        self.claims().get("sub").and_then(Value::as_str)
    }

    /// The audit record of the verification.
    pub fn record(&self) -> &Arc<AuditRecord> {
        self.verification.record()
    }

    /// The whole verification.
    pub fn verification(&self) -> &Verification {
        &self.verification
    }

    /// Requires scopes/roles ([`Verifier::authorize`]): on denial an `authz_fail` record is
    /// emitted and the `403 insufficient_scope` challenge returned.
    pub fn require(&self, need: &AuthzRequirement) -> Result<(), Challenge> {
        self.verifier
            .authorize(&self.verification, need)
            .map_err(|denied| refusal(&denied))
    }
}

/// What the authentication middleware decided for a request it let through.
///
/// ```
/// use jwt_audit::{Verifier, RequestContext, AuthzRequirement, http_context::Admission};
/// let verifier = Verifier::builder().hmac_secret("a-very-long-secret-of-at-least-32-bytes!").algorithms(["HS256"]).build()?;
/// let ctx = RequestContext::new().correlation_id("req-1");
/// // A credential that is not a valid token is refused with a generic challenge (and a record).
/// let refused = Admission::decide(&verifier, Some("Bearer x.y.z"), ctx.clone(), true).unwrap_err();
/// assert_eq!((refused.status, refused.body), (401, r#"{"error":"invalid_token"}"#));
/// // Where anonymous callers are welcome, no header means no verification...
/// let anonymous = Admission::decide(&verifier, None, ctx, true).unwrap();
/// assert!(anonymous.caller_if_any().is_none());
/// // ...until something needs the caller: then `missing_token` is recorded and refused.
/// assert_eq!(anonymous.caller().unwrap_err().www_authenticate, "Bearer");
/// # Ok::<(), jwt_audit::ConfigError>(())
/// ```
#[derive(Clone)]
pub enum Admission {
    /// The Bearer token was accepted.
    Authenticated(Caller),
    /// No `Authorization` header, and the route allows anonymous callers: nothing was verified.
    Anonymous {
        verifier: Verifier,
        context: Arc<RequestContext>,
    },
}

impl Admission {
    /// Authenticates a request from its `Authorization` header value
    /// ([`Verifier::verify_authorization`], one record). With `allow_anonymous`, a request
    /// without the header is let through unverified; a presented credential must always be a
    /// valid Bearer token. `Err` is the answer to send.
    pub fn decide(
        verifier: &Verifier,
        authorization: Option<&str>,
        context: RequestContext,
        allow_anonymous: bool,
    ) -> Result<Self, Challenge> {
        if authorization.is_none() && allow_anonymous {
            return Ok(Self::Anonymous {
                verifier: verifier.clone(),
                context: Arc::new(context),
            });
        }
        let verification = verifier.verify_authorization(authorization, &context, None);
        match challenge(&verification) {
            Some(refused) => Err(refused),
            None => Ok(Self::Authenticated(Caller {
                verification,
                verifier: verifier.clone(),
            })),
        }
    }

    /// The verified caller. For an anonymous request this records `missing_token` and returns
    /// the `401` challenge: a handler or guard that needs a caller never refuses silently.
    pub fn caller(&self) -> Result<&Caller, Challenge> {
        match self {
            Self::Authenticated(caller) => Ok(caller),
            Self::Anonymous { verifier, context } => {
                Err(refusal(&verifier.verify_authorization(None, context, None)))
            }
        }
    }

    /// The verified caller, or `None` for an anonymous request (nothing recorded).
    pub fn caller_if_any(&self) -> Option<&Caller> {
        match self {
            Self::Authenticated(caller) => Some(caller),
            Self::Anonymous { .. } => None,
        }
    }

    /// [`Admission::caller`], then [`Caller::require`]: the check behind scope/role guards.
    pub fn require(&self, need: &AuthzRequirement) -> Result<(), Challenge> {
        self.caller()?.require(need)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn x_forwarded_for_counts_trusted_proxies_from_the_right() {
        let peer = ip("10.0.0.9");
        let two = ClientIp::XForwardedFor { trusted_proxies: 2 };
        // Client-written entries on the left, split over several header lines.
        let lines = ["1.1.1.1, 6.6.6.6", "203.0.113.7, 10.0.0.1"];
        assert_eq!(two.resolve(peer, lines), ip("203.0.113.7"));
        assert_eq!(two.resolve(peer, ["203.0.113.7"]), peer);
        let none = ClientIp::XForwardedFor { trusted_proxies: 0 };
        assert_eq!(none.resolve(peer, lines), peer);
        let one = ClientIp::XForwardedFor { trusted_proxies: 1 };
        assert_eq!(one.resolve(peer, ["1.1.1.1, garbage"]), peer);
        assert_eq!(one.resolve(peer, ["1.1.1.1,,"]), ip("1.1.1.1"));
        assert_eq!(one.resolve(peer, ["[2001:db8::1]:4711"]), ip("2001:db8::1"));
        assert_eq!(one.resolve(peer, ["192.0.2.1:80"]), ip("192.0.2.1"));
        assert_eq!(one.resolve(None, ["::ffff:192.0.2.1"]), ip("192.0.2.1"));
        assert_eq!(one.resolve(None, ["nope"]), None);
    }

    #[test]
    fn forwarded_reads_for_parameters() {
        let peer = ip("10.0.0.9");
        let one = ClientIp::Forwarded { trusted_proxies: 1 };
        let v = [r#"for=6.6.6.6, for="[2001:db8:cafe::17]:4711";proto=https;by=10.0.0.1"#];
        assert_eq!(one.resolve(peer, v), ip("2001:db8:cafe::17"));
        let two = ClientIp::Forwarded { trusted_proxies: 2 };
        assert_eq!(two.resolve(peer, v), ip("6.6.6.6"));
        assert_eq!(
            one.resolve(peer, ["For=192.0.2.60;proto=http"]),
            ip("192.0.2.60")
        );
        assert_eq!(one.resolve(peer, ["for=unknown"]), peer);
        assert_eq!(one.resolve(peer, ["for=_hidden, proto=https"]), peer);
    }

    #[test]
    fn single_address_header_takes_the_last_value() {
        let real = ClientIp::header("X-Real-IP");
        assert_eq!(real.header_name(), Some("x-real-ip"));
        assert_eq!(
            real.resolve(None, ["6.6.6.6", "203.0.113.7"]),
            ip("203.0.113.7")
        );
        assert_eq!(real.resolve(ip("10.0.0.9"), ["x"]), ip("10.0.0.9"));
        assert_eq!(ClientIp::Peer.header_name(), None);
    }

    #[test]
    fn context_generates_a_correlation_id_when_none_is_given() {
        let none = |_: &str| std::iter::empty();
        let a = request_context("POST", "/", None, &ClientIp::Peer, none);
        let b = request_context("POST", "/", None, &ClientIp::Peer, none);
        assert_eq!(a.correlation_id.as_ref().map(String::len), Some(36));
        assert_ne!(a.correlation_id, b.correlation_id);
        assert_eq!((a.client_ip, a.user_agent), (None, None));
        let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let c = request_context("GET", "/", ip("::1"), &ClientIp::Peer, |n| {
            (n == "traceparent").then_some(tp).into_iter()
        });
        assert_eq!(
            c.correlation_id.as_deref(),
            Some("4bf92f3577b34da6a3ce929d0e0e4736")
        );
        assert_eq!(c.client_ip.as_deref(), Some("::1"));
    }

    #[test]
    fn admission_records_and_refuses_like_the_verifier() {
        use crate::sink::MemorySink;
        let sink = Arc::new(MemorySink::new());
        let verifier = Verifier::builder()
            .hmac_secret("a-very-long-secret-of-at-least-32-bytes!")
            .algorithms(["HS256"])
            .shared_sink(sink.clone())
            .build()
            .unwrap();
        let ctx = RequestContext::new().correlation_id("c");
        let missing = Admission::decide(&verifier, None, ctx.clone(), false).unwrap_err();
        assert_eq!(
            (missing.status, missing.www_authenticate.as_str()),
            (401, "Bearer")
        );
        let basic = Admission::decide(&verifier, Some("Basic eDp5"), ctx.clone(), true);
        assert_eq!(basic.unwrap_err().status, 401);
        assert_eq!(sink.take().len(), 2);

        let anonymous = Admission::decide(&verifier, None, ctx, true).unwrap();
        assert!(sink.records().is_empty(), "nothing verified yet");
        let need = AuthzRequirement::new().scopes(["admin"]);
        assert_eq!(anonymous.require(&need).unwrap_err().status, 401);
        let records = sink.take();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].request.correlation_id.as_deref(), Some("c"));
        assert_eq!(
            records[0].failure_kind(),
            Some(crate::FailureKind::MissingToken)
        );
    }
}
