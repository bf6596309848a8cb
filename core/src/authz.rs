//! Authorization after authentication: required scopes (`scope`, `scp`) and roles (`roles`).

use crate::payload::Payload;
use crate::record::{AuthzInfo, Decision, Grants};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// What a route requires. Every listed scope and every listed role must be granted.
///
/// ```
/// let need = jwt_audit::AuthzRequirement::new().scopes(["orders:read"]).roles(["admin"]);
/// assert_eq!(need.scopes, ["orders:read"]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthzRequirement {
    pub scopes: Vec<String>,
    pub roles: Vec<String>,
}

impl AuthzRequirement {
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds required scopes.
    pub fn scopes<I: IntoIterator<Item = S>, S: Into<String>>(mut self, s: I) -> Self {
        self.scopes.extend(s.into_iter().map(Into::into));
        self
    }
    /// Adds required roles.
    pub fn roles<I: IntoIterator<Item = S>, S: Into<String>>(mut self, r: I) -> Self {
        self.roles.extend(r.into_iter().map(Into::into));
        self
    }
    /// `true` when nothing is required.
    pub fn is_empty(&self) -> bool {
        self.scopes.is_empty() && self.roles.is_empty()
    }
}

/// Space-separated string (RFC 8693 `scope`) or array of strings (`scp`, `roles`).
fn words(v: Option<Cow<'_, Value>>, out: &mut Vec<String>) {
    match v.as_deref() {
        Some(Value::String(s)) => out.extend(s.split_whitespace().map(str::to_string)),
        Some(Value::Array(items)) => {
            out.extend(items.iter().filter_map(|i| i.as_str().map(str::to_string)))
        }
        _ => {}
    }
}

/// The scopes and roles a token grants.
pub fn granted(claims: &Map<String, Value>) -> Grants {
    grants(|name| claims.get(name).map(Cow::Borrowed))
}

fn grants<'a>(claim: impl Fn(&str) -> Option<Cow<'a, Value>>) -> Grants {
    let mut scopes = Vec::new();
    words(claim("scope"), &mut scopes);
    words(claim("scp"), &mut scopes);
    let mut roles = Vec::new();
    words(claim("roles"), &mut roles);
    for list in [&mut scopes, &mut roles] {
        list.sort_unstable();
        list.dedup();
    }
    Grants { scopes, roles }
}

pub(crate) fn evaluate(req: &AuthzRequirement, payload: &Payload) -> AuthzInfo {
    let granted = grants(|name| payload.value(name));
    let ok = req.scopes.iter().all(|s| granted.scopes.contains(s))
        && req.roles.iter().all(|r| granted.roles.contains(r));
    AuthzInfo {
        required: Grants {
            scopes: req.scopes.clone(),
            roles: req.roles.clone(),
        },
        granted,
        decision: if ok { Decision::Allow } else { Decision::Deny },
    }
}
