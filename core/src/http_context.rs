//! The [`RequestContext`] of an HTTP request, for the Rust framework adapters (`jwt-audit-axum`,
//! `jwt-audit-actix`): correlation id (see [`crate::http::correlation_id`]), client address from
//! the TCP peer or from the headers of trusted proxies ([`ClientIp`]), method, path, user agent.
//! Framework-agnostic: the adapter passes a closure that reads header values.

use crate::context::RequestContext;
use crate::http::{correlation_id, new_correlation_id};
use std::net::{IpAddr, SocketAddr};

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
}
