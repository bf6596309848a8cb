//! A token's payload as the pipeline keeps it. The usual payload (plain JSON: no escapes,
//! integers only) is scanned, not parsed: the decoded text and its members in name order, each
//! value read from the text when a check or the record needs it, and written to records as it
//! is. The `serde_json` map handed to callers ([`Verification::claims`](crate::Verification)) is
//! built on first use. Anything else is parsed into that map at once.

use crate::json::{self, Limits, Member};
use crate::redaction::{MAX_ARRAY_ITEMS, MAX_STRING_CHARS};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::fmt;
use std::sync::OnceLock;

/// A verified (or at least decoded) payload; members in name order however it was read.
#[derive(Default)]
pub(crate) struct Payload {
    scanned: Option<Scanned>,
    /// Built on first use when scanned, at once otherwise; keys in name order either way.
    map: OnceLock<Map<String, Value>>,
}

struct Scanned {
    text: Box<str>,
    /// Sorted by name, names distinct.
    members: Vec<Member>,
    /// Positions of the claims the pipeline reads on every token ([`REGISTERED`]), found once.
    registered: [Option<u8>; REGISTERED.len()],
}

/// The claims the checks and the record's token section read.
const REGISTERED: [&str; 7] = ["exp", "nbf", "iat", "iss", "aud", "sub", "jti"];

/// Payloads with more members search for registered claims too.
const MAX_INDEXED: usize = u8::MAX as usize;

fn registered_index(name: &str) -> Option<usize> {
    REGISTERED.iter().position(|r| *r == name)
}

/// What a scanned value may be to be written as it is: exactly what redaction keeps unchanged.
const SIMPLE: Limits = Limits {
    string_bytes: MAX_STRING_CHARS,
    array_items: MAX_ARRAY_ITEMS,
};

/// A claim's value as the checks read it: strings borrowed, anything else as a JSON value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Claim<'a> {
    Str(&'a str),
    Other(Cow<'a, Value>),
}

impl<'a> Claim<'a> {
    pub(crate) fn as_str(&self) -> Option<&'a str> {
        match self {
            Claim::Str(s) => Some(s),
            Claim::Other(_) => None,
        }
    }

    pub(crate) fn as_f64(&self) -> Option<f64> {
        match self {
            Claim::Str(_) => None,
            Claim::Other(v) => v.as_f64(),
        }
    }

    /// `"a string"`, `"an array"`…, for messages.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Claim::Str(_) => "a string",
            Claim::Other(v) => json::type_name(v),
        }
    }

    pub(crate) fn into_cow(self) -> Cow<'a, Value> {
        match self {
            Claim::Str(s) => Cow::Owned(Value::String(s.to_string())),
            Claim::Other(v) => v,
        }
    }
}

impl Payload {
    /// Reads a decoded payload; the error is [`json::parse_object`]'s.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, String> {
        if let Some(scanned) = std::str::from_utf8(bytes).ok().and_then(Scanned::new) {
            return Ok(Self {
                scanned: Some(scanned),
                map: OnceLock::new(),
            });
        }
        json::parse_object(bytes).map(Self::from_map)
    }

    pub(crate) fn from_map(mut map: Map<String, Value>) -> Self {
        // Name order even when serde_json's `preserve_order` is unified into the build.
        map.sort_keys();
        Self {
            scanned: None,
            map: OnceLock::from(map),
        }
    }

    /// The payload as a `serde_json` map (built on first use when scanned).
    pub(crate) fn map(&self) -> &Map<String, Value> {
        self.map.get_or_init(|| match &self.scanned {
            Some(s) => s
                .members
                .iter()
                .map(|m| (s.text[m.name.clone()].to_string(), s.value(m)))
                .collect(),
            None => Map::new(),
        })
    }

    pub(crate) fn len(&self) -> usize {
        match &self.scanned {
            Some(s) => s.members.len(),
            None => self.map().len(),
        }
    }

    /// Member names in order.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        let (scanned, parsed) = match &self.scanned {
            Some(s) => (
                Some(s.members.iter().map(|m| &s.text[m.name.clone()])),
                None,
            ),
            None => (None, Some(self.map().keys().map(String::as_str))),
        };
        scanned
            .into_iter()
            .flatten()
            .chain(parsed.into_iter().flatten())
    }

    /// The name of the member at `pos` (in name order); empty if there is none.
    pub(crate) fn name(&self, pos: usize) -> &str {
        match &self.scanned {
            Some(s) => s.members.get(pos).map_or("", |m| &s.text[m.name.clone()]),
            None => self.map().keys().nth(pos).map_or("", String::as_str),
        }
    }

    /// The value of the member at `pos` as a `serde_json` value (builds the map when scanned);
    /// `null` if there is none.
    pub(crate) fn value_at(&self, pos: usize) -> &Value {
        static NULL: Value = Value::Null;
        let v = match &self.scanned {
            Some(_) => self.map().get(self.name(pos)),
            None => self.map().values().nth(pos),
        };
        v.unwrap_or(&NULL)
    }

    /// The JSON text of the member at `pos` when it is written as it is (scanned, and simple:
    /// see [`Member::simple`]).
    pub(crate) fn simple_json(&self, pos: usize) -> Option<&str> {
        let s = self.scanned.as_ref()?;
        let m = s.members.get(pos).filter(|m| m.simple)?;
        Some(&s.text[m.value.clone()])
    }

    /// The member at `pos` as a [`Claim`].
    pub(crate) fn claim_at(&self, pos: usize) -> Option<Claim<'_>> {
        match &self.scanned {
            Some(s) => s.members.get(pos).map(|m| s.claim(m)),
            None => self.map().values().nth(pos).map(Claim::from),
        }
    }

    /// Claim `name`.
    pub(crate) fn get(&self, name: &str) -> Option<Claim<'_>> {
        match &self.scanned {
            Some(s) => s.position(name).map(|i| s.claim(&s.members[i])),
            None => self.map().get(name).map(Claim::from),
        }
    }

    /// Claim `name` as a JSON value.
    pub(crate) fn value(&self, name: &str) -> Option<Cow<'_, Value>> {
        self.get(name).map(Claim::into_cow)
    }

    /// Claim `name` as a list of strings: `Ok` for a string or an array of strings, else
    /// `Err` with its type name.
    pub(crate) fn strings(&self, name: &str) -> Option<Result<Vec<&str>, &'static str>> {
        if let Some(s) = &self.scanned {
            let m = &s.members[s.position(name)?];
            if let Some(items) = s.strings(m) {
                return Some(Ok(items));
            }
            if let Claim::Str(one) = s.claim(m) {
                return Some(Ok(vec![one]));
            }
        }
        let v = self.map().get(name)?;
        Some(match v {
            Value::String(one) => Ok(vec![one.as_str()]),
            Value::Array(items) => items
                .iter()
                .map(Value::as_str)
                .collect::<Option<_>>()
                .ok_or(json::type_name(v)),
            other => Err(json::type_name(other)),
        })
    }

    pub(crate) fn contains(&self, name: &str) -> bool {
        match &self.scanned {
            Some(s) => s.position(name).is_some(),
            None => self.map().contains_key(name),
        }
    }
}

impl<'a> From<&'a Value> for Claim<'a> {
    fn from(v: &'a Value) -> Self {
        match v {
            Value::String(s) => Claim::Str(s),
            other => Claim::Other(Cow::Borrowed(other)),
        }
    }
}

impl Scanned {
    /// `None` unless `text` is a plain object with distinct names.
    fn new(text: &str) -> Option<Self> {
        let mut members = json::scan_object(text, SIMPLE)?;
        let name = |m: &Member| &text[m.name.clone()];
        members.sort_unstable_by(|a, b| name(a).cmp(name(b)));
        if members.windows(2).any(|w| name(&w[0]) == name(&w[1])) {
            return None;
        }
        let mut registered = [None; REGISTERED.len()];
        for (pos, m) in members.iter().enumerate().take(MAX_INDEXED) {
            if let Some(i) = registered_index(name(m)) {
                registered[i] = Some(pos as u8);
            }
        }
        Some(Self {
            text: text.into(),
            members,
            registered,
        })
    }

    fn position(&self, name: &str) -> Option<usize> {
        // Registered claims are found without a search (when positions fit `u8`).
        if let Some(i) = registered_index(name).filter(|_| self.members.len() <= MAX_INDEXED) {
            return self.registered[i].map(usize::from);
        }
        self.members
            .binary_search_by(|m| self.text[m.name.clone()].cmp(name))
            .ok()
    }

    fn claim(&self, m: &Member) -> Claim<'_> {
        let text = &self.text[m.value.clone()];
        if let Some(s) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
            // A scanned string has no escapes: its text is its value.
            return Claim::Str(s);
        }
        // Non-negative integers (NumericDates) and literals without the reader.
        let value = match text {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "null" => Value::Null,
            _ => match text.parse::<u64>() {
                Ok(n) if text.bytes().all(|b| b.is_ascii_digit()) => Value::from(n),
                // Scanned values are plain JSON, so this always reads; `null` rather than a panic.
                _ => json::plain_value(text).unwrap_or(Value::Null),
            },
        };
        Claim::Other(Cow::Owned(value))
    }

    /// The items of a simple array whose items are all strings (`None` for anything else).
    fn strings(&self, m: &Member) -> Option<Vec<&str>> {
        let text = &self.text[m.value.clone()];
        if !m.simple || !text.starts_with('[') {
            return None;
        }
        if text == "[]" {
            return Some(Vec::new());
        }
        // A simple array has no whitespace and its strings no quote: split at quotes, the
        // strings are every other piece, and the pieces between them must be commas.
        let mut pieces = text.strip_prefix('[')?.strip_suffix(']')?.split('"');
        let mut items = Vec::with_capacity(4);
        if pieces.next() != Some("") {
            return None;
        }
        while let Some(item) = pieces.next() {
            items.push(item);
            match pieces.next() {
                Some(",") => {}
                Some("") if pieces.next().is_none() => return Some(items),
                _ => return None,
            }
        }
        None
    }

    fn value(&self, m: &Member) -> Value {
        self.claim(m).into_cow().into_owned()
    }
}

/// Walks the payload's map to members at increasing positions, in one pass over it (a smaller
/// position restarts the walk): how a record's kept claims are read as values.
#[derive(Clone)]
pub(crate) struct Cursor<'a> {
    payload: &'a Payload,
    /// Started (and the map built) on the first [`Cursor::at`].
    entries: Option<serde_json::map::Iter<'a>>,
    next: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(payload: &'a Payload) -> Self {
        Self {
            payload,
            entries: None,
            next: 0,
        }
    }

    /// The member at `pos` (an empty name and `null` if there is none, rather than a panic).
    pub(crate) fn at(&mut self, pos: usize) -> (&'a str, &'a Value) {
        static NULL: Value = Value::Null;
        let entries = match &mut self.entries {
            Some(entries) if pos >= self.next => entries,
            _ => {
                self.next = 0;
                self.entries.insert(self.payload.map().iter())
            }
        };
        let item = entries.nth(pos - self.next);
        self.next = pos + 1;
        item.map_or(("", &NULL), |(k, v)| (k.as_str(), v))
    }
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.map()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn scans_the_usual_payload_and_parses_the_rest() {
        let text =
            br#"{"sub":"u1","aud":["a","b"],"exp":1700000000,"o":{"b":1,"a":[2]},"s":"x y"}"#;
        let p = Payload::parse(text).unwrap();
        assert!(p.scanned.is_some());
        assert_eq!(
            p.names().collect::<Vec<_>>(),
            ["aud", "exp", "o", "s", "sub"]
        );
        assert_eq!(p.get("sub"), Some(Claim::Str("u1")));
        assert_eq!(p.get("exp").and_then(|c| c.as_f64()), Some(1.7e9));
        assert_eq!(p.simple_json(0), Some(r#"["a","b"]"#));
        assert_eq!(p.simple_json(2), None, "objects are written from the map");
        assert!(p.contains("o") && !p.contains("x"));
        assert_eq!(p.strings("aud"), Some(Ok(vec!["a", "b"])));
        assert_eq!(p.strings("sub"), Some(Ok(vec!["u1"])));
        assert_eq!(p.strings("exp"), Some(Err("a number")));
        assert_eq!(p.strings("x"), None);
        // Scanned, and parsed (the escape sends it to serde_json).
        let lists = r#"{"a":[],"b":["x,y",""],"c":[1,"z"],"d":[ "s" ]"#;
        for text in [format!("{lists}}}"), format!(r#"{lists},"e":"\"q"}}"#)] {
            let p = Payload::parse(text.as_bytes()).unwrap();
            assert_eq!(p.scanned.is_some(), !text.contains('\\'));
            assert_eq!(p.strings("a"), Some(Ok(vec![])));
            assert_eq!(p.strings("b"), Some(Ok(vec!["x,y", ""])));
            assert_eq!(p.strings("c"), Some(Err("an array")));
            assert_eq!(p.strings("d"), Some(Ok(vec!["s"])));
        }
        assert_eq!(
            Value::Object(p.map().clone()),
            serde_json::from_slice::<Value>(text).unwrap()
        );
        for other in [
            &br#"{"a":"\u0061"}"#[..],
            br#"{"a":1.5}"#,
            br#"{"o":{"b":1,"b":2}}"#,
        ] {
            let p = Payload::parse(other);
            assert!(p.as_ref().map_or(true, |p| p.scanned.is_none()), "{p:?}");
        }
        assert!(Payload::parse(br#"{"a":1,"a":1}"#).is_err());
        assert!(Payload::parse(br#"{"o":{"b":1,"b":2}}"#).is_err());
        assert_eq!(
            Payload::parse(br#"{"b":"\u0062","a":1.5}"#)
                .unwrap()
                .names()
                .collect::<Vec<_>>(),
            ["a", "b"]
        );
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            (-1e6f64..1e6).prop_map(Value::from),
            "[a-z\",é]{0,300}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 40, 40, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..40).prop_map(Value::Array),
                proptest::collection::btree_map("[a-c]{1,2}", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        /// Scanned or parsed, the payload reads as serde_json reads it, and a value written as it
        /// is is what serde_json writes.
        #[test]
        fn reads_as_serde_json(
            members in proptest::collection::btree_map("[a-e]{1,3}", json_value(), 0..8),
            spaced in any::<bool>(),
        ) {
            let mut text = serde_json::to_string(&members).unwrap();
            if spaced {
                text = text.replace(',', " , ");
            }
            let expected: Value = serde_json::from_str(&text).unwrap();
            let p = Payload::parse(text.as_bytes()).unwrap();
            prop_assert_eq!(&Value::Object(p.map().clone()), &expected);
            for (pos, name) in p.names().enumerate() {
                let v = &expected[name];
                let (by_name, at_pos) = (p.value(name), p.claim_at(pos).map(Claim::into_cow));
                prop_assert_eq!(by_name.as_deref(), Some(v));
                prop_assert_eq!(at_pos.as_deref(), Some(v));
                prop_assert_eq!(p.value_at(pos), v);
                let strings = match v {
                    Value::String(s) => Ok(vec![s.as_str()]),
                    Value::Array(items) => items
                        .iter()
                        .map(Value::as_str)
                        .collect::<Option<Vec<_>>>()
                        .ok_or("an array"),
                    other => Err(json::type_name(other)),
                };
                prop_assert_eq!(p.strings(name), Some(strings));
                if let Some(raw) = p.simple_json(pos) {
                    prop_assert_eq!(raw, serde_json::to_string(v).unwrap());
                }
            }
        }
    }

    #[test]
    fn registered_index_is_the_position_in_registered() {
        for (i, name) in REGISTERED.iter().enumerate() {
            assert_eq!(registered_index(name), Some(i));
        }
        assert_eq!(registered_index("scope"), None);
    }

    #[test]
    fn the_cursor_walks_forward_and_restarts() {
        for scanned in [true, false] {
            let v = json!({"a": 1, "b": "x", "c": [3]});
            let p = match scanned {
                true => Payload::parse(v.to_string().as_bytes()).unwrap(),
                false => Payload::from_map(v.as_object().unwrap().clone()),
            };
            let mut c = Cursor::new(&p);
            assert_eq!(c.at(1), ("b", &json!("x")));
            assert_eq!(c.at(2), ("c", &json!([3])));
            assert_eq!(c.at(0), ("a", &json!(1)));
            assert_eq!(c.at(7), ("", &Value::Null));
            assert_eq!(c.at(2).0, "c");
        }
    }

    #[test]
    fn the_map_is_in_name_order() {
        let p = Payload::from_map(json!({"b": 1, "a": 2}).as_object().unwrap().clone());
        assert_eq!(p.names().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(p.name(1), "b");
        assert_eq!(p.value_at(1), &json!(1));
        assert_eq!(p.name(2), "");
    }
}
