//! The claims section of a record, sharing the verified payload: a claim kept as it is is not
//! copied into the record, it is a position in the payload (which the record holds by `Arc`, as
//! does the [`Verification`](crate::Verification) that hands the claims to the caller); the
//! record's JSON writes it from the payload's text when it can (see `payload.rs`). Only what
//! redaction changes (hashed, masked or size-capped values, capped names) is owned.

use crate::payload::{Cursor, Payload};
use crate::record::Canonical;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

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
    source: Arc<Payload>,
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
    source: Arc<Payload>,
    slots: Vec<NameSlot>,
}

#[derive(Clone)]
enum NameSlot {
    Shared(usize),
    Owned(String),
}

/// Iterator over [`ClaimValues`].
#[derive(Clone)]
pub struct ValuesIter<'a> {
    source: &'a Payload,
    cursor: Cursor<'a>,
    slots: std::slice::Iter<'a, ValueSlot>,
}

impl<'a> Iterator for ValuesIter<'a> {
    type Item = (&'a str, &'a Value);

    fn next(&mut self) -> Option<Self::Item> {
        let source = self.source;
        Some(match self.slots.next()? {
            ValueSlot::Shared(pos) => self.cursor.at(*pos),
            ValueSlot::Redacted(pos, v) => (source.name(*pos), v),
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
    source: &'a Payload,
    slots: std::slice::Iter<'a, NameSlot>,
}

impl<'a> Iterator for NamesIter<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        Some(match self.slots.next()? {
            NameSlot::Shared(pos) => self.source.name(*pos),
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
            source: &self.source,
            cursor: Cursor::new(&self.source),
            slots: self.slots.iter(),
        }
    }

    /// `(name, value)` in name order, each value as the JSON text to write when it is kept as
    /// the payload has it (and simple), else as a value: the record writer's view, which does not
    /// build the payload's map.
    pub(crate) fn json_iter(&self) -> impl Iterator<Item = (&str, ClaimJson<'_>)> {
        let source = &*self.source;
        self.slots.iter().map(move |slot| match slot {
            ValueSlot::Shared(pos) => (
                source.name(*pos),
                match source.simple_json(*pos) {
                    Some(text) => ClaimJson::Text(text),
                    None => ClaimJson::Value(source.value_at(*pos)),
                },
            ),
            ValueSlot::Redacted(pos, v) => (source.name(*pos), ClaimJson::Value(v)),
            ValueSlot::Owned(k, v) => (k.as_str(), ClaimJson::Value(v)),
        })
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
            source: &self.source,
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

/// A claim value as the record writer gets it.
pub(crate) enum ClaimJson<'a> {
    /// Its JSON text, exactly as serde_json writes the value.
    Text(&'a str),
    Value(&'a Value),
}

/// Builds the claims section from a payload: members are kept (shared), redacted (value replaced)
/// or dropped (name listed), visited in the payload's order; the result is in name order.
pub(crate) struct Builder {
    source: Arc<Payload>,
    values: Vec<ValueSlot>,
    dropped: Vec<NameSlot>,
}

impl Builder {
    pub(crate) fn new(source: &Arc<Payload>) -> Self {
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

    /// The two lists, in name order (the payload's order, see [`Payload`]).
    pub(crate) fn finish(self) -> (ClaimValues, ClaimNames) {
        (
            ClaimValues {
                source: self.source.clone(),
                slots: self.values,
            },
            ClaimNames {
                source: self.source,
                slots: self.dropped,
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
            source: Arc::default(),
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
            source: Arc::default(),
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
    /// A JSON object in name order, nested objects with sorted keys (as the record JSON writes them).
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

    /// `v` parsed (`scanned: false`) or scanned from its JSON text.
    fn payload(v: Value, scanned: bool) -> Arc<Payload> {
        Arc::new(match scanned {
            true => Payload::parse(v.to_string().as_bytes()).unwrap(),
            false => Payload::from_map(v.as_object().unwrap().clone()),
        })
    }

    #[test]
    fn shared_redacted_and_owned_slots_resolve_in_order() {
        for scanned in [false, true] {
            slots_resolve_in_order(payload(
                json!({"a": 1, "b": "two", "c": [3], "d": null}),
                scanned,
            ));
        }
    }

    fn slots_resolve_in_order(p: Arc<Payload>) {
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
    fn the_writer_gets_simple_scanned_values_as_text() {
        let p = payload(json!({"a": [1, "x"], "b": {"k": 1}, "c": true}), true);
        let mut b = Builder::new(&p);
        (0..3).for_each(|pos| b.keep(pos));
        let (values, _) = b.finish();
        let seen: Vec<_> = values
            .json_iter()
            .map(|(k, v)| match v {
                ClaimJson::Text(t) => format!("{k}={t}"),
                ClaimJson::Value(v) => format!("{k}~{v}"),
            })
            .collect();
        assert_eq!(seen, [r#"a=[1,"x"]"#, r#"b~{"k":1}"#, "c=true"]);
    }
}
