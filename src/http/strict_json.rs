//! What a JSON body must be before it is read into a request type: one object, nothing after
//! it, and no key twice in any object at any depth. serde alone takes the last of two equal
//! keys (a knock-out answer followed by a harmless one grades as the harmless one), reads a
//! struct from an array by position, and stops reading after the first value.

use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

/// Why a body is not one well-formed JSON object.
#[derive(Debug, PartialEq, Eq)]
pub enum ShapeError {
    /// Not JSON, or something after the value.
    Syntax(String),
    /// The value is not an object.
    NotAnObject,
    /// A key appears twice in one object; the path of the second.
    DuplicateKey(String),
}

/// The body with every number written as a whole number with a zero fraction (`4.0`, `-2.00`)
/// written as that whole number: JSON Schema calls `4.0` an integer, so a field documented as
/// one takes it. Strings are left alone; so is every other number (an amount keeps its text).
pub fn integral_numbers(bytes: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let mut out: Option<Vec<u8>> = None;
    let (mut i, mut in_string, mut escaped) = (0, false, false);
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
        } else if b == b'"' {
            in_string = true;
        } else if b == b'-' || b.is_ascii_digit() {
            let end = bytes[i..]
                .iter()
                .position(|c| !matches!(c, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                .map_or(bytes.len(), |n| i + n);
            let token = &bytes[i..end];
            if let Some(dot) = token.iter().position(|c| *c == b'.') {
                let (whole, fraction) = (&token[..dot], &token[dot + 1..]);
                if !fraction.is_empty() && fraction.iter().all(|c| *c == b'0') {
                    let buf = out.get_or_insert_with(|| bytes[..i].to_vec());
                    buf.extend_from_slice(whole);
                    i = end;
                    continue;
                }
            }
            if let Some(buf) = out.as_mut() {
                buf.extend_from_slice(token);
            }
            i = end;
            continue;
        }
        if let Some(buf) = out.as_mut() {
            buf.push(b);
        }
        i += 1;
    }
    match out {
        Some(v) => std::borrow::Cow::Owned(v),
        None => std::borrow::Cow::Borrowed(bytes),
    }
}

/// Checks `bytes` is one JSON object without duplicate keys.
pub fn check(bytes: &[u8]) -> Result<(), ShapeError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| *b != b'{') {
        return Err(ShapeError::NotAnObject);
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let mut duplicate = None;
    let walk = Walk {
        path: String::new(),
        duplicate: &mut duplicate,
    };
    let result = walk.deserialize(&mut de).and_then(|()| de.end());
    if let Some(path) = duplicate {
        return Err(ShapeError::DuplicateKey(path));
    }
    result.map_err(|e| ShapeError::Syntax(e.to_string()))
}

/// Visits a value, remembering the path of the first duplicate key it meets.
struct Walk<'a> {
    path: String,
    duplicate: &'a mut Option<String>,
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl Walk<'_> {
    fn child(&mut self, part: &str) -> Walk<'_> {
        let path = if self.path.is_empty() {
            part.to_string()
        } else {
            format!("{}.{part}", self.path)
        };
        Walk {
            path,
            duplicate: self.duplicate,
        }
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0usize;
        while seq.next_element_seed(self.child(&i.to_string()))?.is_some() {
            i += 1;
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                let path = self.child(&key).path;
                *self.duplicate = Some(path.clone());
                return Err(de::Error::custom(format!("duplicate key '{path}'")));
            }
            map.next_value_seed(self.child(&key))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{ShapeError, check, integral_numbers};

    #[test]
    fn whole_numbers_lose_a_zero_fraction_and_nothing_else_changes() {
        let body =
            br#"{"a": 4.0, "b": -2.00, "c": 1.50, "d": "4.0", "e": [1e3, 7.000], "f": "x\"4.0"}"#;
        let out = integral_numbers(body);
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            r#"{"a": 4, "b": -2, "c": 1.50, "d": "4.0", "e": [1e3, 7], "f": "x\"4.0"}"#
        );
        assert!(matches!(
            integral_numbers(br#"{"a": 1}"#),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn one_object_without_duplicates_at_any_depth() {
        assert_eq!(check(br#" {"a": [1, {"b": 2}], "c": {"d": "e"}} "#), Ok(()));
        assert_eq!(
            check(br#"{"answers": {"q15": "a", "q15": "c"}}"#),
            Err(ShapeError::DuplicateKey("answers.q15".into()))
        );
        assert_eq!(
            check(br#"{"x": [{"k": 1, "k": 2}]}"#),
            Err(ShapeError::DuplicateKey("x.0.k".into()))
        );
        assert_eq!(check(br#"["a", "b"]"#), Err(ShapeError::NotAnObject));
        assert!(matches!(
            check(br#"{"a": 1} GARBAGE"#),
            Err(ShapeError::Syntax(_))
        ));
        assert!(matches!(
            check(br#"{"a": 1} {"a": 2}"#),
            Err(ShapeError::Syntax(_))
        ));
        assert!(matches!(check(b""), Err(ShapeError::Syntax(_))));
    }
}
