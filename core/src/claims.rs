//! The claims section of a record, sharing the verified payload: a claim kept as it is is not
//! copied into the record, it is a position in the parsed payload (which the record holds by
//! `Arc`, as does the [`Verification`](crate::Verification) that hands the claims to the caller).
//! Only what redaction changes (hashed, masked or size-capped values, capped names) is owned.

use crate::record::Canonical;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// A parsed token payload, shared between a verification's claims and its record.
pub(crate) type Payload = Arc<Map<String, Value>>;

/// Kept, hashed and masked claims of a record: `(name, value)` in name order.
///
/// ```
/// use jwt_audit::record::ClaimValues;
/// use serde_json::json;
///
/// let values: ClaimValues = [("sub".to_string(), json!("u1")), ("aud".to_string(), json!("api"))]
///     .into_iter()
///     .collect();
/// assert_eq!(values.iter().map(|(k, _)| k).collect::<Vec<_>>(), ["aud", "sub"]);
/// assert_eq!(values.get("sub"), Some(&json!("u1")));
/// ```
#[derive(Clone, Default)]
pub struct ClaimValues {
    source: Payload,
    slots: Vec<ValueSlot>,
}

#[derive(Clone)]
enum ValueSlot {
    /// Name and value as they are in the payload, at this position.
    Shared(usize),
    /// The name of the payload member at this position, with a value redaction changed.
    Redacted(usize, Value),
    Owned(String, Value),
}

/// Names of the claims a record leaves out, in order.
///
/// ```
/// use jwt_audit::record::ClaimNames;
///
/// let names: ClaimNames = ["email".to_string(), "name".to_string()].into_iter().collect();
/// assert_eq!(names, ["email", "name"]);
/// ```
#[derive(Clone, Default)]
pub struct ClaimNames {
    source: Payload,
    slots: Vec<NameSlot>,
}

#[derive(Clone)]
enum NameSlot {
    Shared(usize),
    Owned(String),
}

/// Walks a payload to the members at increasing positions in one pass (positions come from the
/// payload's own iteration order; a smaller position restarts the walk).
#[derive(Clone)]
struct Cursor<'a> {
    map: &'a Map<String, Value>,
    iter: serde_json::map::Iter<'a>,
    next: usize,
}

impl<'a> Cursor<'a> {
    fn new(map: &'a Map<String, Value>) -> Self {
        Self {
            map,
            iter: map.iter(),
            next: 0,
        }
    }

    /// The member at `pos` (positions were taken from this payload, so it exists; were it not
    /// there, an empty name and `null` stand in rather than a panic).
    fn at(&mut self, pos: usize) -> (&'a str, &'a Value) {
        static NULL: Value = Value::Null;
        if pos < self.next {
            *self = Self::new(self.map);
        }
        let item = self.iter.nth(pos - self.next);
        self.next = pos + 1;
        item.map_or(("", &NULL), |(k, v)| (k.as_str(), v))
    }
}

/// Iterator over [`ClaimValues`].
#[derive(Clone)]
pub struct ValuesIter<'a> {
    cursor: Cursor<'a>,
    slots: std::slice::Iter<'a, ValueSlot>,
}

impl<'a> Iterator for ValuesIter<'a> {
    type Item = (&'a str, &'a Value);

    fn next(&mut self) -> Option<Self::Item> {
        Some(match self.slots.next()? {
            ValueSlot::Shared(pos) => self.cursor.at(*pos),
            ValueSlot::Redacted(pos, v) => (self.cursor.at(*pos).0, v),
            ValueSlot::Owned(k, v) => (k.as_str(), v),
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.slots.size_hint()
    }
}

impl ExactSizeIterator for ValuesIter<'_> {}

/// Iterator over [`ClaimNames`].
#[derive(Clone)]
pub struct NamesIter<'a> {
    cursor: Cursor<'a>,
    slots: std::slice::Iter<'a, NameSlot>,
}

impl<'a> Iterator for NamesIter<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        Some(match self.slots.next()? {
            NameSlot::Shared(pos) => self.cursor.at(*pos).0,
            NameSlot::Owned(k) => k,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.slots.size_hint()
    }
}

impl ExactSizeIterator for NamesIter<'_> {}

impl ClaimValues {
    /// `(name, value)` in name order.
    pub fn iter(&self) -> ValuesIter<'_> {
        ValuesIter {
            cursor: Cursor::new(&self.source),
            slots: self.slots.iter(),
        }
    }

    /// The value of claim `name`, if kept.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.iter().find(|(k, _)| *k == name).map(|(_, v)| v)
    }

    /// The claim names, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.iter().map(|(k, _)| k)
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }
}

impl ClaimNames {
    /// The names, in order.
    pub fn iter(&self) -> NamesIter<'_> {
        NamesIter {
            cursor: Cursor::new(&self.source),
            slots: self.slots.iter(),
        }
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }
}

/// Builds the claims section from a payload: members are kept (shared), redacted (value replaced)
/// or dropped (name listed), visited in the payload's order; the result is in name order.
pub(crate) struct Builder {
    source: Payload,
    values: Vec<ValueSlot>,
    dropped: Vec<NameSlot>,
}

impl Builder {
    pub(crate) fn new(source: &Payload) -> Self {
        Self {
            source: source.clone(),
            values: Vec::with_capacity(source.len()),
            dropped: Vec::new(),
        }
    }

    pub(crate) fn keep(&mut self, pos: usize) {
        self.values.push(ValueSlot::Shared(pos));
    }

    pub(crate) fn replace(&mut self, pos: usize, v: Value) {
        self.values.push(ValueSlot::Redacted(pos, v));
    }

    pub(crate) fn drop(&mut self, pos: usize) {
        self.dropped.push(NameSlot::Shared(pos));
    }

    pub(crate) fn finish(self) -> (ClaimValues, ClaimNames) {
        let Self {
            source,
            mut values,
            mut dropped,
        } = self;
        // Payload order is name order unless serde_json's `preserve_order` was unified into the
        // build; then the slots are sorted here, once.
        if !source.keys().is_sorted() {
            let names: Vec<&str> = source.keys().map(String::as_str).collect();
            let name = |pos: usize| names.get(pos).copied().unwrap_or_default().to_string();
            values.sort_by_cached_key(|slot| match slot {
                ValueSlot::Shared(pos) | ValueSlot::Redacted(pos, _) => name(*pos),
                ValueSlot::Owned(k, _) => k.clone(),
            });
            dropped.sort_by_cached_key(|slot| match slot {
                NameSlot::Shared(pos) => name(*pos),
                NameSlot::Owned(k) => k.clone(),
            });
        }
        (
            ClaimValues {
                source: source.clone(),
                slots: values,
            },
            ClaimNames {
                source,
                slots: dropped,
            },
        )
    }
}

impl<'a> IntoIterator for &'a ClaimValues {
    type Item = (&'a str, &'a Value);
    type IntoIter = ValuesIter<'a>;
    fn into_iter(self) -> ValuesIter<'a> {
        self.iter()
    }
}

impl<'a> IntoIterator for &'a ClaimNames {
    type Item = &'a str;
    type IntoIter = NamesIter<'a>;
    fn into_iter(self) -> NamesIter<'a> {
        self.iter()
    }
}

impl FromIterator<(String, Value)> for ClaimValues {
    /// Owned values, sorted by name; a repeated name keeps its last value (as a map insert).
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
        let map: BTreeMap<String, Value> = iter.into_iter().collect();
        Self {
            source: Payload::default(),
            slots: map
                .into_iter()
                .map(|(k, v)| ValueSlot::Owned(k, v))
                .collect(),
        }
    }
}

impl FromIterator<String> for ClaimNames {
    /// Owned names, in the given order.
    fn from_iter<I: IntoIterator<Item = String>>(iter: I) -> Self {
        Self {
            source: Payload::default(),
            slots: iter.into_iter().map(NameSlot::Owned).collect(),
        }
    }
}

impl PartialEq for ClaimValues {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl PartialEq for ClaimNames {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl<const N: usize> PartialEq<[&str; N]> for ClaimNames {
    fn eq(&self, other: &[&str; N]) -> bool {
        self.len() == N && self.iter().eq(other.iter().copied())
    }
}

impl fmt::Debug for ClaimValues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl fmt::Debug for ClaimNames {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for ClaimValues {
    /// A JSON object in name order, nested objects with sorted keys (see [`Canonical`]).
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut out = s.serialize_map(Some(self.len()))?;
        for (k, v) in self.iter() {
            out.serialize_entry(k, &Canonical(v))?;
        }
        out.end()
    }
}

impl Serialize for ClaimNames {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for ClaimValues {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(BTreeMap::<String, Value>::deserialize(d)?
            .into_iter()
            .collect())
    }
}

impl<'de> Deserialize<'de> for ClaimNames {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Vec::<String>::deserialize(d)?.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn payload(v: Value) -> Payload {
        match v {
            Value::Object(m) => Arc::new(m),
            _ => unreachable!(),
        }
    }

    #[test]
    fn shared_redacted_and_owned_slots_resolve_in_order() {
        let p = payload(json!({"a": 1, "b": "two", "c": [3], "d": null}));
        let mut b = Builder::new(&p);
        b.keep(0);
        b.drop(1);
        b.replace(2, json!("***"));
        b.keep(3);
        let (values, dropped) = b.finish();
        assert_eq!(
            values.iter().collect::<Vec<_>>(),
            [("a", &json!(1)), ("c", &json!("***")), ("d", &Value::Null)]
        );
        assert_eq!(dropped, ["b"]);
        assert_eq!(values.get("c"), Some(&json!("***")));
        assert_eq!(values.get("b"), None);
        // The same section, owned, is equal and serialises the same.
        let owned: ClaimValues = [
            ("d".to_string(), Value::Null),
            ("a".to_string(), json!(1)),
            ("c".to_string(), json!("***")),
        ]
        .into_iter()
        .collect();
        assert_eq!(values, owned);
        assert_eq!(
            serde_json::to_string(&values).unwrap(),
            serde_json::to_string(&owned).unwrap()
        );
        let back: ClaimValues =
            serde_json::from_str(&serde_json::to_string(&values).unwrap()).unwrap();
        assert_eq!(back, values);
        assert_eq!(format!("{dropped:?}"), r#"["b"]"#);
    }

    #[test]
    fn unsorted_payloads_are_sorted_once() {
        // A `preserve_order` build keeps insertion order; emulate it with positions out of order
        // in a sorted map: slots pushed in any order come out in name order only if sorted, so
        // check the cursor restarts correctly on a smaller position.
        let p = payload(json!({"a": 1, "b": 2, "c": 3}));
        let mut cursor = Cursor::new(&p);
        assert_eq!(cursor.at(2).0, "c");
        assert_eq!(cursor.at(0).0, "a");
        assert_eq!(cursor.at(1), ("b", &json!(2)));
        assert_eq!(cursor.at(7), ("", &Value::Null));
    }
}
