//! Token lifecycle: revocation and replay, keyed on `(iss, jti)` — never on the fingerprint, since
//! JWS and ECDSA malleability let one token have several encodings.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, RwLock};

/// What a lifecycle check sees of a token whose signature and claims have been verified.
#[derive(Debug, Clone, Copy)]
pub struct TokenIdentity<'a> {
    pub iss: Option<&'a str>,
    pub jti: Option<&'a str>,
    pub exp: Option<f64>,
    /// The verifier's clock, unix seconds.
    pub now: i64,
}

/// A lifecycle check's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LifecycleVerdict {
    Active,
    /// Detail is short and non-secret.
    Revoked(String),
    Replayed(String),
}

/// A hook run after every other check passed (so a rejected token never marks a `jti` as used).
/// Implementations own their state (in memory, Redis, …); the core does no I/O of its own.
pub trait LifecycleCheck: Send + Sync {
    fn check(&self, token: &TokenIdentity<'_>) -> LifecycleVerdict;
}

/// An in-memory revocation list of `(iss, jti)` pairs.
///
/// ```
/// use jwt_audit::{RevocationList, LifecycleCheck, LifecycleVerdict, TokenIdentity};
/// let list = RevocationList::new();
/// list.revoke("https://auth.example.com", "tok-1");
/// let id = TokenIdentity { iss: Some("https://auth.example.com"), jti: Some("tok-1"), exp: None, now: 0 };
/// assert!(matches!(list.check(&id), LifecycleVerdict::Revoked(_)));
/// ```
#[derive(Debug, Default)]
pub struct RevocationList {
    revoked: RwLock<HashSet<(String, String)>>,
}

impl RevocationList {
    pub fn new() -> Self {
        Self::default()
    }
    /// Revokes the token `(iss, jti)`. Use `""` for tokens without `iss`.
    pub fn revoke(&self, iss: &str, jti: &str) {
        if let Ok(mut set) = self.revoked.write() {
            set.insert((iss.to_string(), jti.to_string()));
        }
    }
}

impl LifecycleCheck for RevocationList {
    fn check(&self, t: &TokenIdentity<'_>) -> LifecycleVerdict {
        let Some(jti) = t.jti else {
            return LifecycleVerdict::Active;
        };
        let key = (t.iss.unwrap_or("").to_string(), jti.to_string());
        match self.revoked.read() {
            Ok(set) if set.contains(&key) => {
                LifecycleVerdict::Revoked("(iss, jti) is on the revocation list".into())
            }
            _ => LifecycleVerdict::Active,
        }
    }
}

/// Refuses a second presentation of the same `(iss, jti)` until the token expires (one-time
/// tokens). Bounded: when full, expired entries are evicted; if still full, the token is refused
/// as a replay rather than silently forgotten (fail closed).
#[derive(Debug)]
pub struct ReplayGuard {
    seen: Mutex<HashMap<(String, String), f64>>,
    capacity: usize,
}

impl ReplayGuard {
    pub fn new(capacity: usize) -> Self {
        Self {
            seen: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }
}

impl LifecycleCheck for ReplayGuard {
    fn check(&self, t: &TokenIdentity<'_>) -> LifecycleVerdict {
        let Some(jti) = t.jti else {
            return LifecycleVerdict::Replayed("a one-time token needs a jti".into());
        };
        let Ok(mut seen) = self.seen.lock() else {
            return LifecycleVerdict::Replayed("replay cache unavailable".into());
        };
        let now = t.now as f64;
        let key = (t.iss.unwrap_or("").to_string(), jti.to_string());
        if seen.get(&key).is_some_and(|exp| *exp > now) {
            return LifecycleVerdict::Replayed("(iss, jti) was already presented".into());
        }
        if seen.len() >= self.capacity {
            seen.retain(|_, exp| *exp > now);
            if seen.len() >= self.capacity {
                return LifecycleVerdict::Replayed("replay cache is full".into());
            }
        }
        seen.insert(key, t.exp.unwrap_or(f64::INFINITY));
        LifecycleVerdict::Active
    }
}
