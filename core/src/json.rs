//! Strict JSON for token headers and payloads: objects only, duplicate member names rejected
//! (RFC 7515 §4, RFC 7519 §4), nesting bounded, valid UTF-8 only.

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

/// Deepest nesting accepted in a header or payload.
pub(crate) const MAX_DEPTH: usize = 32;

/// Parses `bytes` as one JSON object. The error is short and never quotes the input.
pub(crate) fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, String> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = ValueSeed { depth: MAX_DEPTH }
        .deserialize(&mut de)
        .map_err(describe)?;
    de.end().map_err(describe)?;
    match value {
        Value::Object(m) => Ok(m),
        other => Err(format!("is JSON {}, not an object", type_name(&other))),
    }
}

pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

pub(crate) fn describe(e: serde_json::Error) -> String {
    let msg = e.to_string();
    if msg.starts_with("duplicate member") || msg.starts_with("nesting") {
        return msg.split(" at line").next().unwrap_or(&msg).to_string();
    }
    match e.classify() {
        serde_json::error::Category::Eof => "is truncated JSON".to_string(),
        _ if msg.contains("UTF-8") || msg.contains("unicode") => {
            "is not valid UTF-8 JSON".to_string()
        }
        _ => format!("is not valid JSON (column {})", e.column()),
    }
}

/// Reads any JSON value, rejecting duplicate member names and nesting deeper than `depth`.
pub(crate) struct ValueSeed {
    pub(crate) depth: usize,
}

impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("number out of range"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let depth = self.depth.checked_sub(1).ok_or_else(too_deep::<A::Error>)?;
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(ValueSeed { depth })? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let depth = self.depth.checked_sub(1).ok_or_else(too_deep::<A::Error>)?;
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            // One lookup finds a duplicate and the insertion point.
            match out.entry(key) {
                serde_json::map::Entry::Occupied(_) => return Err(duplicate::<A::Error>()),
                serde_json::map::Entry::Vacant(slot) => {
                    slot.insert(map.next_value_seed(ValueSeed { depth })?);
                }
            }
        }
        Ok(Value::Object(out))
    }
}

pub(crate) fn duplicate<E: de::Error>() -> E {
    E::custom("duplicate member name")
}

fn too_deep<E: de::Error>() -> E {
    E::custom(format!("nesting deeper than {MAX_DEPTH} levels"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_duplicates_even_when_escaped() {
        assert!(parse_object(br#"{"a":1,"a":2}"#).is_err());
        assert!(parse_object(br#"{"a":1,"\u0061":2}"#).is_err());
        assert!(parse_object(br#"{"o":{"x":1,"x":1}}"#).is_err());
        assert!(parse_object(br#"{"a":1,"b":2}"#).is_ok());
    }

    #[test]
    fn bounds_depth_and_requires_objects() {
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(40), "]".repeat(40));
        assert!(
            parse_object(deep.as_bytes())
                .unwrap_err()
                .contains("nesting")
        );
        assert!(parse_object(b"[1]").unwrap_err().contains("array"));
        assert!(parse_object(b"\"s\"").is_err());
        assert!(parse_object(b"{\"a\":\"\xff\"}").is_err());
        assert!(parse_object(b"{} x").is_err());
    }
}
