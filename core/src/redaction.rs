//! The redaction policy: keep registered and authorization claims, drop everything else (listing
//! the dropped names), with per-claim `keep`/`hash`/`mask`/`drop` overrides. Every value is size-
//! capped, so an attacker-controlled claim cannot bloat or forge a log line.

use crate::claims;
use crate::config::RedactionConfig;
use crate::errors::ConfigError;
use crate::fingerprint::Fingerprinter;
use crate::payload::{Claim, Payload};
use crate::record::{Canonical, ClaimsInfo};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Claims kept verbatim by default.
pub const DEFAULT_KEEP: [&str; 13] = [
    "iss",
    "sub",
    "aud",
    "exp",
    "nbf",
    "iat",
    "jti",
    "azp",
    "client_id",
    "scope",
    "scp",
    "roles",
    "groups",
];
/// Longest string kept (in characters); longer strings end in `…`.
pub const MAX_STRING_CHARS: usize = 256;
/// Most array items kept; the rest are summarised as `"…(+N)"`.
pub const MAX_ARRAY_ITEMS: usize = 32;
/// Most object members kept per object.
pub const MAX_OBJECT_MEMBERS: usize = 32;
/// Deepest nesting kept inside a claim value.
pub const MAX_VALUE_DEPTH: usize = 4;
/// Most claims kept, and most dropped names listed.
pub const MAX_CLAIMS: usize = 64;
/// Longest claim name written (in characters).
pub const MAX_NAME_CHARS: usize = 64;
/// Most claim names the four override lists may hold together.
pub const MAX_OVERRIDES: usize = 1000;
/// What a masked value becomes.
pub const MASK: &str = "***";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Treatment {
    Keep,
    Hash,
    Mask,
    Drop,
}

/// A compiled redaction policy.
#[derive(Clone)]
pub(crate) struct Redactor {
    overrides: HashMap<String, Treatment>,
    digest: Fingerprinter,
}

impl Redactor {
    pub(crate) fn new(cfg: &RedactionConfig, digest: Fingerprinter) -> Result<Self, ConfigError> {
        let mut overrides = HashMap::new();
        let lists = [
            ("keep", &cfg.keep, Treatment::Keep),
            ("hash", &cfg.hash, Treatment::Hash),
            ("mask", &cfg.mask, Treatment::Mask),
            ("drop", &cfg.drop, Treatment::Drop),
        ];
        for (list, names, t) in lists {
            for name in names {
                if name.is_empty() {
                    return Err(ConfigError::new(
                        format!("redaction.{list}"),
                        "claim names cannot be empty",
                    ));
                }
                if overrides
                    .insert(name.clone(), t)
                    .is_some_and(|prev| prev != t)
                {
                    return Err(ConfigError::new(
                        format!("redaction.{list}"),
                        format!(
                            "claim `{}` appears in more than one list",
                            cap_str(name, 64)
                        ),
                    ));
                }
                if overrides.len() > MAX_OVERRIDES {
                    return Err(ConfigError::new(
                        format!("redaction.{list}"),
                        format!("more than {MAX_OVERRIDES} claims are listed"),
                    ));
                }
            }
        }
        Ok(Self { overrides, digest })
    }

    fn treatment(&self, name: &str) -> Treatment {
        // No overrides is the common case: skip hashing every claim name.
        let overridden = match self.overrides.is_empty() {
            true => None,
            false => self.overrides.get(name).copied(),
        };
        overridden.unwrap_or(if kept_by_default(name) {
            Treatment::Keep
        } else {
            Treatment::Drop
        })
    }

    /// The claims section of a record. Claims kept unchanged are shared with `payload`.
    pub(crate) fn redact(&self, payload: &Arc<Payload>) -> ClaimsInfo {
        if payload.len() > MAX_CLAIMS || payload.names().any(|k| k.len() > MAX_NAME_CHARS) {
            return self.redact_capped(payload);
        }
        // The usual case: no cap applies and names stay distinct.
        let mut b = claims::Builder::new(payload);
        for (pos, name) in payload.names().enumerate() {
            match self.treatment(name) {
                Treatment::Drop => b.drop(pos),
                // Written as the payload has it: no value read.
                Treatment::Keep if payload.simple_json(pos).is_some() => b.keep(pos),
                t => {
                    let claim = payload.claim_at(pos).unwrap_or(Claim::Str(""));
                    match t == Treatment::Keep && !claim_needs_cap(&claim) {
                        true => b.keep(pos),
                        false => b.replace(pos, self.apply(name, claim).unwrap_or_default()),
                    }
                }
            }
        }
        let (values, dropped) = b.finish();
        ClaimsInfo { values, dropped }
    }

    /// More claims than [`MAX_CLAIMS`] or names longer than [`MAX_NAME_CHARS`] (owned copies).
    fn redact_capped(&self, payload: &Payload) -> ClaimsInfo {
        let mut values = BTreeMap::new();
        let mut dropped = Vec::new();
        for (pos, name) in payload.names().enumerate() {
            let claim = payload.claim_at(pos).unwrap_or(Claim::Str(""));
            match self.apply(name, claim) {
                Some(v) if values.len() < MAX_CLAIMS => {
                    values.insert(cap_str(name, MAX_NAME_CHARS), v);
                }
                _ => dropped.push(cap_str(name, MAX_NAME_CHARS)),
            }
        }
        dropped.sort_unstable();
        dropped.dedup();
        if dropped.len() > MAX_CLAIMS {
            let more = dropped.len() - MAX_CLAIMS;
            dropped.truncate(MAX_CLAIMS);
            dropped.push(format!("…(+{more})"));
        }
        ClaimsInfo {
            values: values.into_iter().collect(),
            dropped: dropped.into_iter().collect(),
        }
    }

    /// One claim under the policy: `None` when dropped.
    pub(crate) fn apply(&self, name: &str, claim: Claim<'_>) -> Option<Value> {
        match self.treatment(name) {
            Treatment::Keep => Some(match claim {
                Claim::Str(s) => Value::String(cap_str(s, MAX_STRING_CHARS)),
                Claim::Other(v) if needs_cap(&v, MAX_VALUE_DEPTH) => cap_value(&v, MAX_VALUE_DEPTH),
                Claim::Other(v) => v.into_owned(),
            }),
            Treatment::Mask => Some(Value::String(MASK.to_string())),
            Treatment::Drop => None,
            Treatment::Hash => {
                // Strings are hashed as their UTF-8 bytes, so an operator can compute the digest
                // of a known value (an email) and search for it; other values as canonical JSON.
                let digest = match claim {
                    Claim::Str(s) => self.digest.fingerprint(s.as_bytes()),
                    Claim::Other(other) => self.digest.fingerprint(
                        serde_json::to_string(&Canonical(&other))
                            .unwrap_or_default()
                            .as_bytes(),
                    ),
                };
                Some(Value::String(digest))
            }
        }
    }
}

fn claim_needs_cap(claim: &Claim<'_>) -> bool {
    match claim {
        Claim::Str(s) => s.len() > MAX_STRING_CHARS,
        Claim::Other(v) => needs_cap(v, MAX_VALUE_DEPTH),
    }
}

fn kept_by_default(name: &str) -> bool {
    DEFAULT_KEEP.contains(&name)
}

/// `true` when [`cap_value`] would change `v` (objects with unsorted keys included: it rebuilds
/// them sorted).
fn needs_cap(v: &Value, depth: usize) -> bool {
    match v {
        Value::String(s) => s.len() > MAX_STRING_CHARS,
        Value::Array(_) | Value::Object(_) if depth == 0 => true,
        Value::Array(items) => {
            items.len() > MAX_ARRAY_ITEMS || items.iter().any(|x| needs_cap(x, depth - 1))
        }
        Value::Object(m) => {
            m.len() > MAX_OBJECT_MEMBERS
                || !m.keys().is_sorted()
                || m.iter()
                    .any(|(k, x)| k.len() > MAX_NAME_CHARS || needs_cap(x, depth - 1))
        }
        _ => false,
    }
}

/// Truncates to `max` characters, marking the cut with `…`.
pub(crate) fn cap_str(s: &str, max: usize) -> String {
    if s.len() <= max {
        // At most `max` bytes, so at most `max` characters.
        return s.to_string();
    }
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some((i, _)) => format!("{}…", &s[..i]),
    }
}

fn cap_value(v: &Value, depth: usize) -> Value {
    match v {
        Value::String(s) => Value::String(cap_str(s, MAX_STRING_CHARS)),
        Value::Array(_) | Value::Object(_) if depth == 0 => Value::String("…".to_string()),
        Value::Array(items) => {
            let mut out: Vec<Value> = items
                .iter()
                .take(MAX_ARRAY_ITEMS)
                .map(|x| cap_value(x, depth - 1))
                .collect();
            if items.len() > MAX_ARRAY_ITEMS {
                out.push(Value::String(format!(
                    "…(+{})",
                    items.len() - MAX_ARRAY_ITEMS
                )));
            }
            Value::Array(out)
        }
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort_unstable();
            let mut out = Map::new();
            for k in keys.iter().take(MAX_OBJECT_MEMBERS) {
                out.insert(
                    cap_str(k, MAX_NAME_CHARS),
                    cap_value(&m[k.as_str()], depth - 1),
                );
            }
            if keys.len() > MAX_OBJECT_MEMBERS {
                out.insert(
                    "…".to_string(),
                    Value::String(format!("+{}", keys.len() - MAX_OBJECT_MEMBERS)),
                );
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// `v` as the pipeline reads it from its JSON text (scanned when plain).
    fn payload(v: Value) -> Arc<Payload> {
        Arc::new(Payload::parse(v.to_string().as_bytes()).unwrap())
    }

    fn redactor(cfg: RedactionConfig) -> Redactor {
        Redactor::new(&cfg, Fingerprinter::new(Some(b"fingerprint-key"))).unwrap()
    }

    #[test]
    fn kept_by_default_is_default_keep() {
        for name in DEFAULT_KEEP {
            assert!(kept_by_default(name), "{name}");
            assert!(!kept_by_default(&name[1..]) && !kept_by_default(&format!("{name}x")));
        }
        assert_eq!(
            DEFAULT_KEEP.len(),
            DEFAULT_KEEP.iter().filter(|n| kept_by_default(n)).count()
        );
        assert!(!kept_by_default("email") && !kept_by_default(""));
    }

    #[test]
    fn default_keeps_registered_and_drops_personal_data() {
        let claims = json!({"sub": "u1", "email": "a@b.c", "name": "Ann", "scope": "read"});
        let info = redactor(RedactionConfig::default()).redact(&payload(claims));
        assert_eq!(info.values.keys().collect::<Vec<_>>(), ["scope", "sub"]);
        assert_eq!(info.dropped, ["email", "name"]);
    }

    #[test]
    fn overrides_apply_and_conflicts_are_errors() {
        let cfg = RedactionConfig {
            keep: vec!["tenant".into()],
            hash: vec!["email".into()],
            mask: vec!["name".into()],
            drop: vec!["sub".into()],
        };
        let claims = json!({"sub": "u1", "email": "a@b.c", "name": "Ann", "tenant": "t9"});
        let info = redactor(cfg).redact(&payload(claims));
        assert!(
            info.values
                .get("email")
                .unwrap()
                .as_str()
                .unwrap()
                .starts_with("hmac-sha256:")
        );
        assert_eq!(info.values.get("name").unwrap(), "***");
        assert_eq!(info.values.get("tenant").unwrap(), "t9");
        assert_eq!(info.dropped, ["sub"]);
        let clash = RedactionConfig {
            keep: vec!["x".into()],
            drop: vec!["x".into()],
            ..Default::default()
        };
        assert_eq!(
            Redactor::new(&clash, Fingerprinter::new(None))
                .err()
                .unwrap()
                .option,
            "redaction.drop"
        );
        let many = RedactionConfig {
            hash: (0..=MAX_OVERRIDES).map(|i| format!("c{i}")).collect(),
            ..Default::default()
        };
        let err = Redactor::new(&many, Fingerprinter::new(None))
            .err()
            .unwrap();
        assert_eq!(err.option, "redaction.hash");
        assert_eq!(err.message, "more than 1000 claims are listed");
    }

    #[test]
    fn caps_claim_count_and_name_length() {
        let long = "n".repeat(100);
        let mut claims = Map::new();
        for i in 0..70 {
            claims.insert(format!("c{i:02}"), json!(i));
        }
        claims.insert(format!("{long}a"), json!(1));
        claims.insert(format!("{long}b"), json!(2));
        let keep: Vec<String> = claims.keys().cloned().collect();
        let info = redactor(RedactionConfig {
            keep,
            ..Default::default()
        })
        .redact(&Arc::new(Payload::from_map(claims)));
        assert_eq!(info.values.len(), MAX_CLAIMS);
        assert_eq!(info.values.get("c00").unwrap(), 0);
        let capped = format!("{}…", "n".repeat(MAX_NAME_CHARS));
        assert!(
            info.values.get(&capped).is_none(),
            "sorted after the c.. claims"
        );
        assert_eq!(info.dropped.len(), 7);
        assert_eq!(
            info.dropped.iter().take(6).collect::<Vec<_>>(),
            ["c64", "c65", "c66", "c67", "c68", "c69"]
        );
        assert_eq!(
            info.dropped.iter().nth(6).unwrap(),
            capped,
            "two long names cap to one entry"
        );

        // Under the caps, every kept claim is in `values` and the rest in `dropped`, sorted.
        let few = json!({"zeta": 1, "sub": "u", "aud": ["a"], "email": "e", "iss": "i"});
        let info = redactor(RedactionConfig::default()).redact(&payload(few));
        assert_eq!(
            info.values.keys().collect::<Vec<_>>(),
            ["aud", "iss", "sub"]
        );
        assert_eq!(info.dropped, ["email", "zeta"]);
    }

    #[test]
    fn caps_sizes() {
        let long = "x".repeat(10_000);
        let claims = json!({"sub": long, "roles": (0..100).collect::<Vec<_>>()});
        let info = redactor(RedactionConfig::default()).redact(&payload(claims));
        assert_eq!(
            info.values
                .get("sub")
                .unwrap()
                .as_str()
                .unwrap()
                .chars()
                .count(),
            MAX_STRING_CHARS + 1
        );
        let roles = info.values.get("roles").unwrap().as_array().unwrap();
        assert_eq!(roles.len(), MAX_ARRAY_ITEMS + 1);
        assert_eq!(roles[MAX_ARRAY_ITEMS], "…(+68)");
    }
}
