//! Strict JSON for token headers and payloads: objects only, duplicate member names rejected
//! (RFC 7515 §4, RFC 7519 §4), nesting bounded, valid UTF-8 only.

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;
use std::ops::Range;

/// Deepest nesting accepted in a header or payload.
pub(crate) const MAX_DEPTH: usize = 32;

/// Parses `bytes` as one JSON object. The error is short and never quotes the input.
///
/// Usual payloads (no escapes, integers only) are read by [`plain::object`]; anything else, and
/// every error, goes through serde_json, which stays the reference for what is accepted.
pub(crate) fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, String> {
    match plain::object(bytes) {
        Some(m) => Ok(m),
        None => parse_object_serde(bytes),
    }
}

/// The members of `bytes` when it is a usual object (as [`plain::object`] reads), each handed to
/// `f` in order; `None` when it is not, or when `f` returns `None` (the caller then reads it
/// strictly).
pub(crate) fn plain_members<'a>(
    bytes: &'a [u8],
    f: impl FnMut(&'a str, Value) -> Option<()>,
) -> Option<()> {
    plain::members(bytes, f)
}

/// The bytes of `word` (eight, little-endian) that a JSON string cannot hold unescaped (`"`,
/// `\`, a control below 0x20), flagged in their high bit. Exact "has a byte equal to / less
/// than" word tricks: a flag above the lowest may be spurious, the lowest is exact, and there is
/// one whenever such a byte is there.
#[inline]
pub(crate) fn escape_bytes(word: u64) -> u64 {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    let zero = |v: u64| v.wrapping_sub(ONES) & !v;
    let (quote, backslash) = (word ^ (ONES * 0x22), word ^ (ONES * 0x5c));
    (zero(quote) | zero(backslash) | (word.wrapping_sub(ONES * 0x20) & !word)) & (ONES * 0x80)
}

/// A top-level member found by [`scan_object`]: the byte ranges of its name (between the quotes,
/// which hold no escape) and of its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Member {
    pub(crate) name: Range<usize>,
    pub(crate) value: Range<usize>,
    /// The value's text is exactly what serde_json writes for it, and it is within `limits`: a
    /// string of at most `limits.string_bytes` bytes, an integer, `true`/`false`/`null`, or an
    /// array of at most `limits.array_items` of those, without whitespace.
    pub(crate) simple: bool,
}

/// What counts as a [`Member::simple`] value.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) string_bytes: usize,
    pub(crate) array_items: usize,
}

/// The members of `text`, in document order, when it is a plain object as [`parse_object`] reads
/// it without serde (no escapes, integers only; nested objects' names checked for duplicates);
/// nothing is built. `None` for anything else: the caller then parses it with [`parse_object`],
/// which reads the rest and words the errors. Duplicate top-level names are the caller's to find.
pub(crate) fn scan_object(text: &str, limits: Limits) -> Option<Vec<Member>> {
    plain::scan(text, limits)
}

/// One value of the plain JSON [`scan_object`] accepted (a member's `value` range), as serde_json
/// builds it; `None` if `text` is not one plain value.
pub(crate) fn plain_value(text: &str) -> Option<Value> {
    plain::value(text)
}

fn parse_object_serde(bytes: &[u8]) -> Result<Map<String, Value>, String> {
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

/// A reader for the plain JSON most tokens carry: strings without escapes, integers that fit 64
/// bits, `true`/`false`/`null`, objects and arrays. It gives up (`None`) on anything else —
/// escapes, fractions, exponents, `-0`, duplicates, too deep, any syntax error — and the caller
/// falls back to serde_json. When it answers, the value is the one serde_json would build (the
/// tests compare the two on generated input).
mod plain {
    use super::{Limits, MAX_DEPTH, Member};
    use serde_json::{Map, Value};

    /// The members of a plain top-level object, in order, each handed to `f`; `None` when the
    /// input is not a plain object or `f` returns `None`.
    pub(super) fn members<'a>(
        bytes: &'a [u8],
        f: impl FnMut(&'a str, Value) -> Option<()>,
    ) -> Option<()> {
        let text = std::str::from_utf8(bytes).ok()?;
        let mut r = Reader::new(text);
        r.skip_ws();
        if r.peek()? != b'{' {
            return None;
        }
        r.members(MAX_DEPTH - 1, f)?;
        r.skip_ws();
        (r.pos == bytes.len()).then_some(())
    }

    pub(super) fn object(bytes: &[u8]) -> Option<Map<String, Value>> {
        // Validated once for the whole input: every string slice below is then valid UTF-8.
        let text = std::str::from_utf8(bytes).ok()?;
        let mut r = Reader::new(text);
        r.skip_ws();
        let Value::Object(m) = r.value(MAX_DEPTH)? else {
            return None;
        };
        r.skip_ws();
        (r.pos == bytes.len()).then_some(m)
    }

    pub(super) fn value(text: &str) -> Option<Value> {
        let mut r = Reader::new(text);
        let v = r.value(MAX_DEPTH)?;
        r.skip_ws();
        (r.pos == text.len()).then_some(v)
    }

    pub(super) fn scan(text: &str, limits: Limits) -> Option<Vec<Member>> {
        let mut r = Reader::new(text);
        r.skip_ws();
        if r.peek()? != b'{' {
            return None;
        }
        // Room for a usual payload's members without growing.
        let mut members = Vec::with_capacity(16);
        let mut names = Vec::new();
        // Depth as `object` counts it: the top-level object is one level.
        r.each_member(|r| {
            let name = r.name()?;
            r.eat(b':')?;
            r.skip_ws();
            let (start, ws) = (r.pos, r.ws);
            let what = r.skip(MAX_DEPTH - 1, &mut names, limits)?;
            members.push(Member {
                name,
                value: start..r.pos,
                simple: r.ws == ws
                    && matches!(what, Skipped::Short | Skipped::Array { flat: true }),
            });
            Some(())
        })?;
        r.skip_ws();
        (r.pos == text.len()).then_some(members)
    }

    /// The position of the first `"`, `\` or control character in `bytes`, eight bytes at a
    /// time ([`super::escape_bytes`]).
    pub(super) fn string_end(bytes: &[u8]) -> Option<usize> {
        let special = |b: u8| b == b'"' || b == b'\\' || b < 0x20;
        let mut chunks = bytes.chunks_exact(8);
        for (i, chunk) in chunks.by_ref().enumerate() {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            let found = super::escape_bytes(u64::from_le_bytes(word));
            if found != 0 {
                return Some(i * 8 + (found.trailing_zeros() / 8) as usize);
            }
        }
        let rest = chunks.remainder();
        let done = bytes.len() - rest.len();
        rest.iter().position(|&b| special(b)).map(|p| done + p)
    }

    /// What [`Reader::skip`] passed over.
    enum Skipped {
        /// A string within the limit, an integer, `true`, `false` or `null`.
        Short,
        Long,
        /// `flat`: at most the limit of items, all `Short`.
        Array {
            flat: bool,
        },
        Object,
    }

    /// Most members a nested object may have for [`Reader::skip`] (names are compared pairwise).
    const MAX_SCANNED_MEMBERS: usize = 64;

    struct Reader<'a> {
        text: &'a str,
        pos: usize,
        /// Whitespace runs skipped so far (a value read without any is written as it is).
        ws: usize,
    }

    impl<'a> Reader<'a> {
        fn new(text: &'a str) -> Self {
            Self {
                text,
                pos: 0,
                ws: 0,
            }
        }

        fn peek(&self) -> Option<u8> {
            self.text.as_bytes().get(self.pos).copied()
        }

        fn skip_ws(&mut self) {
            let start = self.pos;
            while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
                self.pos += 1;
            }
            self.ws += usize::from(self.pos != start);
        }

        /// Calls `f` for each member of the object at the cursor (on `{`), with the cursor
        /// before the member's name; `None` when it is not plain or `f` returns `None`.
        fn each_member(&mut self, mut f: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
            self.pos += 1;
            self.skip_ws();
            if self.peek()? == b'}' {
                self.pos += 1;
                return Some(());
            }
            loop {
                f(self)?;
                self.skip_ws();
                match self.peek()? {
                    b',' => self.pos += 1,
                    b'}' => {
                        self.pos += 1;
                        return Some(());
                    }
                    _ => return None,
                }
            }
        }

        /// A member name's byte range (between the quotes).
        fn name(&mut self) -> Option<std::ops::Range<usize>> {
            self.skip_ws();
            if self.peek()? != b'"' {
                return None;
            }
            let start = self.pos + 1;
            let name = self.string()?;
            Some(start..start + name.len())
        }

        /// Passes over one value, checking it as [`Self::value`] would read it (nested objects'
        /// names must differ: `names` holds those of the objects being read).
        fn skip(
            &mut self,
            depth: usize,
            names: &mut Vec<std::ops::Range<usize>>,
            limits: Limits,
        ) -> Option<Skipped> {
            self.skip_ws();
            Some(match self.peek()? {
                b'{' => {
                    let depth = depth.checked_sub(1)?;
                    let base = names.len();
                    self.each_member(|r| {
                        let name = r.name()?;
                        let text = r.text;
                        if names.len() - base >= MAX_SCANNED_MEMBERS
                            || names[base..]
                                .iter()
                                .any(|n| text[n.clone()] == text[name.clone()])
                        {
                            return None;
                        }
                        names.push(name);
                        r.eat(b':')?;
                        r.skip(depth, names, limits).map(drop)
                    })?;
                    names.truncate(base);
                    Skipped::Object
                }
                b'[' => {
                    let depth = depth.checked_sub(1)?;
                    self.pos += 1;
                    self.skip_ws();
                    let (mut items, mut flat) = (0, true);
                    if self.peek()? == b']' {
                        self.pos += 1;
                    } else {
                        loop {
                            flat &= matches!(self.skip(depth, names, limits)?, Skipped::Short);
                            items += 1;
                            self.skip_ws();
                            match self.peek()? {
                                b',' => self.pos += 1,
                                b']' => {
                                    self.pos += 1;
                                    break;
                                }
                                _ => return None,
                            }
                        }
                    }
                    Skipped::Array {
                        flat: flat && items <= limits.array_items,
                    }
                }
                b'"' => match self.string()?.len() <= limits.string_bytes {
                    true => Skipped::Short,
                    false => Skipped::Long,
                },
                b't' => self.literal("true", Value::Null).map(|_| Skipped::Short)?,
                b'f' => self.literal("false", Value::Null).map(|_| Skipped::Short)?,
                b'n' => self.literal("null", Value::Null).map(|_| Skipped::Short)?,
                _ => self.integer().map(|_| Skipped::Short)?,
            })
        }

        fn eat(&mut self, b: u8) -> Option<()> {
            self.skip_ws();
            (self.peek()? == b).then(|| self.pos += 1)
        }

        fn literal(&mut self, word: &str, v: Value) -> Option<Value> {
            let end = self.pos + word.len();
            (self.text.get(self.pos..end)? == word).then(|| {
                self.pos = end;
                v
            })
        }

        fn value(&mut self, depth: usize) -> Option<Value> {
            self.skip_ws();
            match self.peek()? {
                b'{' => self.object(depth.checked_sub(1)?),
                b'[' => self.array(depth.checked_sub(1)?),
                b'"' => self.string().map(|s| Value::String(s.to_string())),
                b't' => self.literal("true", Value::Bool(true)),
                b'f' => self.literal("false", Value::Bool(false)),
                b'n' => self.literal("null", Value::Null),
                _ => self.integer(),
            }
        }

        /// The content of a string without escapes or control characters; the cursor is on `"`.
        fn string(&mut self) -> Option<&'a str> {
            let start = self.pos + 1;
            let end = start + string_end(self.text.as_bytes().get(start..)?)?;
            let text = self.text;
            (text.as_bytes()[end] == b'"').then(|| {
                self.pos = end + 1;
                &text[start..end]
            })
        }

        fn integer(&mut self) -> Option<Value> {
            let bytes = self.text.as_bytes();
            let negative = bytes[self.pos] == b'-';
            let start = self.pos + usize::from(negative);
            let digits = bytes[start..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            let end = start + digits;
            // No leading zeros, no `-0`, at most 18 digits (fits i64), no fraction or exponent.
            let plain = match digits {
                0 => false,
                1 => !(negative && bytes[start] == b'0'),
                2..=18 => bytes[start] != b'0',
                _ => false,
            };
            if !plain || matches!(bytes.get(end), Some(b'.' | b'e' | b'E')) {
                return None;
            }
            let n: u64 = self.text[start..end].parse().ok()?;
            self.pos = end;
            Some(match negative {
                false => Value::from(n),
                true => Value::from(-(n as i64)),
            })
        }

        fn array(&mut self, depth: usize) -> Option<Value> {
            self.pos += 1;
            let mut items = Vec::new();
            self.skip_ws();
            if self.peek()? == b']' {
                self.pos += 1;
                return Some(Value::Array(items));
            }
            loop {
                items.push(self.value(depth)?);
                self.skip_ws();
                match self.peek()? {
                    b',' => self.pos += 1,
                    b']' => {
                        self.pos += 1;
                        return Some(Value::Array(items));
                    }
                    _ => return None,
                }
            }
        }

        fn object(&mut self, depth: usize) -> Option<Value> {
            let mut m = Map::new();
            self.members(depth, |name, v| match m.entry(name) {
                serde_json::map::Entry::Vacant(slot) => {
                    slot.insert(v);
                    Some(())
                }
                serde_json::map::Entry::Occupied(_) => None,
            })?;
            Some(Value::Object(m))
        }

        /// Reads an object (the cursor is on `{`), handing each member to `f` in order; `None`
        /// when it is not plain or `f` returns `None`.
        fn members(
            &mut self,
            depth: usize,
            mut f: impl FnMut(&'a str, Value) -> Option<()>,
        ) -> Option<()> {
            self.each_member(|r| {
                let name = r.name()?;
                let name = &r.text[name];
                r.eat(b':')?;
                let v = r.value(depth)?;
                f(name, v)
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Pieces of JSON, valid and not, that the plain reader must either read exactly as
    /// serde_json does or hand over.
    const PIECES: &[&str] = &[
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        " ",
        "\n",
        "\"a\"",
        "\"b\"",
        "\"\\u0061\"",
        "\"é\"",
        "\"x\\\"y\"",
        "\"\u{1}\"",
        "0",
        "7",
        "-0",
        "-12",
        "01",
        "1.5",
        "1e3",
        "-",
        "123456789012345678",
        "1234567890123456789",
        "18446744073709551616",
        "true",
        "false",
        "null",
        "nul",
        "\"",
    ];

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            (-1e6f64..1e6).prop_map(Value::from),
            "[a-z\\\\\"\u{0}-\u{1f}é€😀]{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::btree_map("[a-c]{1,2}", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn agrees(bytes: &[u8]) -> Result<(), TestCaseError> {
        if let Some(m) = plain::object(bytes) {
            prop_assert_eq!(parse_object_serde(bytes), Ok(m));
        }
        // What the scanner accepts, the plain reader reads, member by member.
        let limits = Limits {
            string_bytes: 2,
            array_items: 2,
        };
        let text = std::str::from_utf8(bytes).unwrap_or_default();
        if let Some(members) = scan_object(text, limits) {
            let m = plain::object(bytes);
            prop_assert!(m.is_some(), "scanned but not plain: {}", text);
            let m = m.unwrap_or_default();
            prop_assert_eq!(members.len(), m.len());
            for member in members {
                let v = plain_value(&text[member.value.clone()]);
                prop_assert_eq!(v.as_ref(), m.get(&text[member.name.clone()]));
                if member.simple {
                    let v = v.unwrap_or_default();
                    prop_assert_eq!(&text[member.value], serde_json::to_string(&v).unwrap());
                }
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

        #[test]
        fn plain_reader_agrees_with_serde_on_pieces(
            idx in proptest::collection::vec(0..PIECES.len(), 0..24),
        ) {
            let text: String = idx.iter().map(|&i| PIECES[i]).collect();
            agrees(text.as_bytes())?;
            agrees(format!("{{\"k\":{text}}}").as_bytes())?;
        }

        #[test]
        fn plain_reader_agrees_with_serde_on_values(members in proptest::collection::btree_map("[a-e]{1,3}", json_value(), 0..8)) {
            let text = serde_json::to_string(&members).unwrap();
            agrees(text.as_bytes())?;
            agrees(text.replace(',', " , ").as_bytes())?;
        }
    }

    proptest! {
        #[test]
        fn string_end_finds_the_first_special_byte(
            bytes in proptest::collection::vec(prop_oneof![
                8 => 0x20u8..=0xff,
                1 => Just(b'"'),
                1 => Just(b'\\'),
                1 => 0u8..0x20,
            ], 0..40),
        ) {
            let naive = bytes.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20);
            prop_assert_eq!(plain::string_end(&bytes), naive);
        }
    }

    #[test]
    fn plain_reader_reads_the_usual_payload() {
        let text = br#"{"iss":"https://a.example","aud":["x","y"],"exp":1700000000,"n":-3,"ok":true,"z":null,"o":{"p":[]}}"#;
        let m = plain::object(text).expect("plain");
        assert_eq!(Ok(m), parse_object_serde(text));
        for other in [
            &br#"{"a":1.5}"#[..],
            br#"{"a":"\n"}"#,
            br#"{"a":1,"a":1}"#,
            br#"{"a":-0}"#,
            b"{} x",
        ] {
            assert!(plain::object(other).is_none());
        }
    }

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
