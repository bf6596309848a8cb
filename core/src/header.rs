//! The JOSE header of a presented token, read strictly (duplicate names rejected, nesting bounded)
//! into just the members the pipeline looks at: no map is built, unknown members are checked and
//! discarded.

use crate::json::{self, MAX_DEPTH, ValueSeed, duplicate};
use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;

/// The header members the pipeline reads, as presented (types are checked by the header policy).
#[derive(Debug, Default)]
pub(crate) struct Header {
    pub(crate) alg: Option<Value>,
    pub(crate) kid: Option<Value>,
    pub(crate) typ: Option<Value>,
    pub(crate) b64: Option<Value>,
    pub(crate) crit: Option<Value>,
    /// An `enc` member is present (a JWE header).
    pub(crate) enc: bool,
}

impl Header {
    /// Takes a header string member out, if it is a string.
    pub(crate) fn take_str(slot: &mut Option<Value>) -> Option<String> {
        match slot.take() {
            Some(Value::String(s)) => Some(s),
            _ => None,
        }
    }
}

/// Parses the decoded header. The error is [`json::parse_object`]'s description of the same bytes
/// (so a header and a payload are judged alike), never quoting the input.
pub(crate) fn parse(bytes: &[u8]) -> Result<Header, String> {
    if let Some(h) = parse_plain(bytes) {
        return Ok(h);
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    de::Deserializer::deserialize_any(&mut de, HeaderVisitor)
        .and_then(|h| de.end().map(|()| h))
        .map_err(|e| match json::parse_object(bytes) {
            Err(description) => description,
            // Not reached: both readers accept the same objects.
            Ok(_) => json::describe(e),
        })
}

/// The usual header (a few members, no escapes, integers only) without serde's visitor; `None`
/// for anything else, which the strict reader then judges.
fn parse_plain(bytes: &[u8]) -> Option<Header> {
    let mut h = Header::default();
    let mut seen = [""; Seen::FEW];
    let mut n = 0;
    json::plain_members(bytes, |name, v| {
        if n == seen.len() || seen[..n].contains(&name) {
            return None;
        }
        seen[n] = name;
        n += 1;
        match name {
            "alg" => h.alg = Some(v),
            "kid" => h.kid = Some(v),
            "typ" => h.typ = Some(v),
            "b64" => h.b64 = Some(v),
            "crit" => h.crit = Some(v),
            other => h.enc |= other == "enc",
        }
        Some(())
    })?;
    Some(h)
}

struct HeaderVisitor;

/// Member names seen so far: the first few on the stack, compared linearly; a set once the header
/// is unusually long (so a 4 KiB header of tiny members cannot cost quadratic time).
struct Seen<'de> {
    few: [Cow<'de, str>; Seen::FEW],
    len: usize,
    many: BTreeSet<Cow<'de, str>>,
}

impl<'de> Seen<'de> {
    const FEW: usize = 8;

    fn new() -> Self {
        Self {
            few: [const { Cow::Borrowed("") }; Seen::FEW],
            len: 0,
            many: BTreeSet::new(),
        }
    }

    /// `false` when `name` was seen before.
    fn insert(&mut self, name: Cow<'de, str>) -> bool {
        if self.few[..self.len].contains(&name) || self.many.contains(&name) {
            return false;
        }
        if self.len < Self::FEW {
            self.few[self.len] = name;
            self.len += 1;
        } else {
            self.many.insert(name);
        }
        true
    }
}

impl<'de> Visitor<'de> for HeaderVisitor {
    type Value = Header;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Header, A::Error> {
        let mut h = Header::default();
        let mut seen = Seen::new();
        let depth = MAX_DEPTH - 1;
        while let Some(name) = map.next_key_seed(NameSeed)? {
            if !seen.insert(name.clone()) {
                return Err(duplicate());
            }
            let slot = match &*name {
                "alg" => &mut h.alg,
                "kid" => &mut h.kid,
                "typ" => &mut h.typ,
                "b64" => &mut h.b64,
                "crit" => &mut h.crit,
                other => {
                    h.enc |= other == "enc";
                    // Checked (nesting, duplicates inside) and discarded.
                    map.next_value_seed(ValueSeed { depth })?;
                    continue;
                }
            };
            *slot = Some(map.next_value_seed(ValueSeed { depth })?);
        }
        Ok(h)
    }
}

/// A member name, borrowed from the input when it has no escapes.
struct NameSeed;

impl<'de> DeserializeSeed<'de> for NameSeed {
    type Value = Cow<'de, str>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for NameSeed {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_members_the_policy_needs() {
        let h = parse(br#"{"alg":"HS256","kid":"k1","typ":"JWT","x":[1,{"y":2}]}"#).unwrap();
        assert_eq!(h.alg, Some(Value::from("HS256")));
        assert_eq!(h.kid, Some(Value::from("k1")));
        assert_eq!(h.typ, Some(Value::from("JWT")));
        assert!(!h.enc && h.b64.is_none() && h.crit.is_none());
        let h = parse(br#"{"alg":"A","enc":"A128GCM","b64":false,"crit":["b64"]}"#).unwrap();
        assert!(h.enc);
        assert_eq!(h.b64, Some(Value::Bool(false)));
    }

    #[test]
    fn plain_and_strict_readers_agree() {
        let strict = |b: &[u8]| {
            let mut de = serde_json::Deserializer::from_slice(b);
            de::Deserializer::deserialize_any(&mut de, HeaderVisitor)
                .and_then(|h| de.end().map(|()| h))
                .ok()
        };
        for b in [
            &br#"{"alg":"HS256","kid":"k1","typ":"JWT","x":[1,{"y":2}]}"#[..],
            br#" { "alg" : "A" , "enc":"A128GCM","b64":false,"crit":["b64"],"n":null} "#,
            br#"{}"#,
            br#"{"alg":"A","kid":{"a":1,"b":[true]},"zip":"DEF"}"#,
        ] {
            let plain = parse_plain(b).expect("plain header");
            assert_eq!(format!("{plain:?}"), format!("{:?}", strict(b).unwrap()));
        }
        // Not plain: left to the strict reader (which decides).
        for b in [
            &br#"{"alg":"A","alg":"B"}"#[..],
            br#"{"\u0061lg":"A"}"#,
            br#"{"alg":1.5}"#,
            br#"{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9}"#,
            br#"[1]"#,
            br#"{"alg":"A"} x"#,
        ] {
            assert!(parse_plain(b).is_none(), "{}", String::from_utf8_lossy(b));
        }
    }

    #[test]
    fn rejects_duplicates_depth_and_non_objects() {
        assert!(
            parse(br#"{"alg":"A","alg":"B"}"#)
                .unwrap_err()
                .contains("duplicate")
        );
        assert!(parse(br#"{"alg":"A","\u0061lg":"B"}"#).is_err());
        assert!(parse(br#"{"x":1,"x":1}"#).is_err());
        assert!(parse(br#"{"x":{"y":1,"y":1}}"#).is_err());
        let many: String = (0..40).map(|i| format!("\"m{i}\":0,")).collect();
        assert!(parse(format!("{{{many}\"m39\":1}}").as_bytes()).is_err());
        assert!(parse(format!("{{{many}\"alg\":1}}").as_bytes()).is_ok());
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(40), "]".repeat(40));
        assert!(parse(deep.as_bytes()).unwrap_err().contains("nesting"));
        assert!(parse(b"[1]").unwrap_err().contains("not an object"));
        assert!(parse(b"{} x").is_err());
    }
}
